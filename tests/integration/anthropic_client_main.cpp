// End-to-end checks of POST /v1/messages with the official Anthropic npm
// clients (tests/anthropic-client/run.mjs), against the openai, google and
// anthropic providers' mocks.
#define BOOST_TEST_MODULE switchboard_integration_anthropic_client
#include <boost/test/unit_test.hpp>
