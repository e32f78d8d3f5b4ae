// Access control, api_base policy and robustness suites through the real daemon.
#define BOOST_TEST_MODULE switchboard_integration_security
#include <boost/test/unit_test.hpp>
