// Upstream failure handling (retries, fallback, timeouts, broken streams,
// client disconnects) and health/metrics through the real daemon.
#define BOOST_TEST_MODULE switchboard_integration_failure
#include <boost/test/unit_test.hpp>
