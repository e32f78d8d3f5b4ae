// The custom plugin's embeddings: the batch passed through to any
// OpenAI-compatible server, with no key when none is set.
#include "embeddings_harness.hpp"

using namespace sbtest;

BOOST_AUTO_TEST_SUITE(custom_embeddings)

BOOST_AUTO_TEST_CASE(passes_the_batch_through_without_a_key) {
    Config c("", "http://127.0.0.1:9/v1", "nomic-embed-text");
    auto r = build_embeddings(embedder(), c,
                              R"({"model":"nomic-embed-text","input":[[5,6]],"dimensions":8})", 1);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == "http://127.0.0.1:9/v1/embeddings");
    BOOST_TEST(!r.request.has_header("authorization"));
    dump_spec_request("custom", "embeddings_pass_through", "/embeddings", "post", r.request.body);
    BOOST_TEST(json::parse(r.request.body) ==
               json::parse(R"({"model":"nomic-embed-text","input":[[5,6]],"dimensions":8})"));
    BOOST_TEST(require_embeddings(embedder()).max_batch == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
