// Issue #15's attack classes through the real daemon: encoded bytes in an
// api_base host, the state dir, and who may write plugins and secret files.
#define BOOST_TEST_MODULE switchboard_integration_hardening
#include <boost/test/unit_test.hpp>
