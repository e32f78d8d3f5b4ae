// Plugins run in helper processes (--plugin-isolation process) through the
// real daemon: containment of crashes, hangs and memory hogs, restarts.
#define BOOST_TEST_MODULE switchboard_integration_isolation
#include <boost/test/unit_test.hpp>
