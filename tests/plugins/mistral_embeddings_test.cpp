// The mistral plugin's embeddings (/v1/embeddings): the batch rebuilt from
// Mistral's EmbeddingRequest (checked with unknown fields refused, as
// Mistral refuses them), and its OpenAI-shaped answers read.
#include "embeddings_harness.hpp"

using namespace sbtest;

namespace {

const std::string kBase = "https://api.mistral.test/v1";
const std::string kKey = "mistral-embed-secret-0123456789";

}  // namespace

BOOST_AUTO_TEST_SUITE(mistral_embeddings)

BOOST_AUTO_TEST_CASE(builds_only_the_fields_mistral_knows) {
    Config c(kKey, kBase, "codestral-embed");
    auto r = build_embeddings(
        embedder(), c,
        R"({"model":"codestral-embed","input":["x","y"],"dimensions":256,"user":"u",
                                  "metadata":{"k":"v"}})",
        2);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == kBase + "/embeddings");
    BOOST_TEST(r.request.header("authorization") == "Bearer " + kKey);
    dump_spec_request("mistral", "embeddings_output_dimension", "/v1/embeddings", "post",
                      r.request.body);
    BOOST_TEST(json::parse(r.request.body) ==
               json::parse(R"({"model":"codestral-embed","input":["x","y"],
        "output_dimension":256,"metadata":{"k":"v"}})"));
}

BOOST_AUTO_TEST_CASE(reads_the_answer_and_its_usage) {
    Config c(kKey, kBase, "mistral-embed");
    auto r = parse_embeddings(embedder(), c, 200,
                              R"({"id":"e1","object":"list","model":"mistral-embed","data":[
                                  {"object":"embedding","embedding":[0.25,-0.125],"index":0}],
                                  "usage":{"prompt_tokens":3,"total_tokens":3}})");
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    expect_same_vectors(list_vectors(r.body), {{0.25f, -0.125f}});
    BOOST_TEST(r.usage.prompt_tokens == 3);
}

BOOST_AUTO_TEST_CASE(classifies_mistral_errors_as_chat_does) {
    Config c(kKey, kBase, "missing-model");
    auto r = parse_embeddings(
        embedder(), c, 400,
        R"({"object":"error","message":"Invalid model: missing-model","type":"invalid_model",
                                  "param":null,"code":"1500"})");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_MODEL_NOT_FOUND);
}

BOOST_AUTO_TEST_SUITE_END()
