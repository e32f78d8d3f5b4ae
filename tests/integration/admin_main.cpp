// The admin API suites (providers, models, config, test) in one executable.
#define BOOST_TEST_MODULE switchboard_integration_admin
#include <boost/test/unit_test.hpp>
