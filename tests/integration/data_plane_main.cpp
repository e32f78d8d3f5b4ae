// The data plane, hostile input and secret-handling suites in one executable.
#define BOOST_TEST_MODULE switchboard_integration_data_plane
#include <boost/test/unit_test.hpp>
