// End-to-end suites for the vendor provider plugins (anthropic, google,
// cohere, mistral, together) against mock vendors speaking each dialect.
#define BOOST_TEST_MODULE switchboard_integration_vendor_e2e
#include <boost/test/unit_test.hpp>
