// End-to-end checks of POST /v1/responses with the official `openai` npm
// client and the Vercel AI SDK (tests/responses-client/run.mjs), against
// the openai and anthropic providers' mock vendors.
#define BOOST_TEST_MODULE switchboard_integration_responses_client
#include <boost/test/unit_test.hpp>
