// The openai plugin's embeddings (sb.embeddings/1): requests as OpenAI's
// spec has them, and the recorded OpenAI exchanges (base64 answers)
// replayed, vectors compared value by value.
#include "embeddings_harness.hpp"

using namespace sbtest;

namespace {

const std::string kBase = "https://api.openai.test/v1";
const std::string kKey = "sk-embed-secret-0123456789";

}  // namespace

BOOST_AUTO_TEST_SUITE(openai_embeddings)

BOOST_AUTO_TEST_CASE(offers_the_embeddings_table_with_openai_limits) {
    const sb_embeddings &e = require_embeddings(embedder());
    BOOST_TEST(sv(e.default_model) == "text-embedding-3-small");
    BOOST_TEST(e.max_batch == 2048u);
    BOOST_TEST((e.flags & SB_EMBED_TOKEN_INPUT) != 0u);
    BOOST_TEST((e.flags & SB_EMBED_DIMENSIONS) != 0u);
    BOOST_TEST_REQUIRE(e.model_count >= 2u);
    BOOST_TEST(sv(e.models[0]) == "text-embedding-3-small");
}

BOOST_AUTO_TEST_CASE(builds_a_base64_request_with_dimensions_and_user) {
    Config c(kKey, kBase, "text-embedding-3-large");
    auto r = build_embeddings(
        embedder(), c,
        R"({"model":"text-embedding-3-large","input":["a","b"],"dimensions":64,"user":"u-1"})", 2);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.method == "POST");
    BOOST_TEST(r.request.url == kBase + "/embeddings");
    BOOST_TEST(r.request.header("authorization") == "Bearer " + kKey);
    BOOST_TEST(r.request.url.find(kKey) == std::string::npos);
    dump_spec_request("openai", "embeddings_dimensions_user", "/embeddings", "post",
                      r.request.body);
    BOOST_TEST(
        json::parse(r.request.body) ==
        json::parse(
            R"({"model":"text-embedding-3-large","input":["a","b"],"dimensions":64,"user":"u-1",
                              "encoding_format":"base64"})"));
}

BOOST_AUTO_TEST_CASE(passes_token_arrays_on) {
    Config c(kKey, kBase, "text-embedding-3-small");
    auto r = build_embeddings(embedder(), c,
                              R"({"model":"text-embedding-3-small","input":[[1,2,3],[4]]})", 2);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    dump_spec_request("openai", "embeddings_token_arrays", "/embeddings", "post", r.request.body);
    BOOST_TEST(json::parse(r.request.body).at("input") == json::parse("[[1,2,3],[4]]"));
}

BOOST_AUTO_TEST_CASE(reads_float_answers_too) {
    Config c(kKey, kBase, "text-embedding-3-small");
    auto r = parse_embeddings(
        embedder(), c, 200,
        R"({"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-2]},
                                  {"object":"embedding","index":0,"embedding":[1e-3,3]}],
                                  "model":"text-embedding-3-small","usage":{"prompt_tokens":7,"total_tokens":7}})");
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    expect_same_vectors(list_vectors(r.body), {{1e-3f, 3.0f}, {0.5f, -2.0f}});
    BOOST_TEST(r.usage_reports == 1);
    BOOST_TEST(r.usage.prompt_tokens == 7);
    BOOST_TEST(r.usage.completion_tokens == 0);
}

BOOST_AUTO_TEST_CASE(an_answer_without_data_is_not_openai) {
    Config c(kKey, kBase, "text-embedding-3-small");
    auto r = parse_embeddings(embedder(), c, 200, R"({"object":"list"})");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
}

BOOST_AUTO_TEST_CASE(replays_the_recorded_openai_exchanges) {
    const auto names = recordings("embeddings-openai");
    BOOST_TEST_REQUIRE(names.size() >= 4u);
    for (const auto &name : names) {
        BOOST_TEST_CONTEXT(name) {
            const json::object rec = recording("embeddings-openai", name);
            const json::object &sent = recorded_request_body(rec);
            const std::string model(sent.at("model").as_string());
            json::object batch{{"model", model}, {"input", sent.at("input")}};
            if (auto *d = sent.if_contains("dimensions")) batch["dimensions"] = *d;
            Config c(kKey, "https://api.openai.com/v1", model);
            auto built = build_embeddings(embedder(), c, json::serialize(batch),
                                          sent.at("input").as_array().size());
            BOOST_REQUIRE_MESSAGE(built.status == SB_OK, built.error.message);
            BOOST_TEST(built.request.url ==
                       "https://api.openai.com" +
                           std::string(rec.at("request").at("path").as_string()));
            BOOST_TEST(json::parse(built.request.body) == json::value(sent),
                       "the request the client library sent");
            dump_spec_request("openai", "embeddings_replay_" + name.substr(0, name.size() - 5),
                              "/embeddings", "post", built.request.body);

            auto parsed = replay_answer(c, rec, [](const json::object &vendor) {
                std::vector<std::vector<float>> want;
                for (const auto &e : vendor.at("data").as_array())
                    want.push_back(floats_of_base64(e.at("embedding").as_string()));
                return want;
            });
            if (!parsed) continue;
            const json::value vendor = json::parse(recorded_response_body(rec));
            if (auto *d = sent.if_contains("dimensions"))
                BOOST_TEST(list_vectors(parsed->body).front().size() ==
                           d->to_number<std::size_t>());
            BOOST_TEST(parsed->usage.prompt_tokens ==
                       vendor.at("usage").at("prompt_tokens").to_number<std::int64_t>());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
