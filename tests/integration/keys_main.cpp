// Virtual keys, limits and budgets through the real daemon.
#define BOOST_TEST_MODULE switchboard_integration_keys
#include <boost/test/unit_test.hpp>
