// End-to-end checks of the OpenAI-compatible API with the official `openai`
// npm client (tests/openai-client/run.mjs), for every provider against a
// mock speaking its vendor's dialect.
#define BOOST_TEST_MODULE switchboard_integration_openai_client
#include <boost/test/unit_test.hpp>
