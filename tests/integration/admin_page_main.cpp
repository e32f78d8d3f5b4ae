// The admin page: its files as the daemon serves them, and the page driven
// in headless Chromium.
#define BOOST_TEST_MODULE switchboard_integration_admin_page
#include <boost/test/unit_test.hpp>
