// The together plugin's embeddings (/embeddings): model and input only.
#include "embeddings_harness.hpp"

using namespace sbtest;

BOOST_AUTO_TEST_SUITE(together_embeddings)

BOOST_AUTO_TEST_CASE(builds_model_and_input_only) {
    Config c("tg-key", "https://api.together.test/v1", "BAAI/bge-large-en-v1.5");
    auto r = build_embeddings(embedder(), c,
                              R"({"model":"BAAI/bge-large-en-v1.5","input":["x"],"user":"u"})", 1);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == "https://api.together.test/v1/embeddings");
    dump_spec_request("together", "embeddings_model_and_input", "/embeddings", "post",
                      r.request.body);
    BOOST_TEST(json::parse(r.request.body) ==
               json::parse(R"({"model":"BAAI/bge-large-en-v1.5","input":["x"]})"));
    BOOST_TEST(require_embeddings(embedder()).flags == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
