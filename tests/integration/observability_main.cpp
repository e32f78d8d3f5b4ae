// Logs, metrics and model-list caching through the real daemon.
#define BOOST_TEST_MODULE switchboard_integration_observability
#include <boost/test/unit_test.hpp>
