// The google plugin's embeddings (batchEmbedContents): requests as Gemini's
// spec has them, and the recorded Gemini batch exchanges replayed, vectors
// compared value by value.
#include "embeddings_harness.hpp"

using namespace sbtest;

namespace {

const std::string kBase = "https://generativelanguage.test/v1beta";
const std::string kKey = "AIza-embed-secret-0123456789";
constexpr const char *kSpecPath = "/v1beta/models/{model}:batchEmbedContents";

}  // namespace

BOOST_AUTO_TEST_SUITE(google_embeddings)

BOOST_AUTO_TEST_CASE(offers_the_embeddings_table_with_gemini_limits) {
    const sb_embeddings &e = require_embeddings(embedder());
    BOOST_TEST(sv(e.default_model) == "gemini-embedding-001");
    BOOST_TEST(e.max_batch == 100u);
    BOOST_TEST((e.flags & SB_EMBED_TOKEN_INPUT) == 0u);
    BOOST_TEST((e.flags & SB_EMBED_DIMENSIONS) != 0u);
}

BOOST_AUTO_TEST_CASE(builds_a_batch_with_task_type_title_and_dimensions) {
    Config c(kKey, kBase, "gemini-embedding-001");
    auto r =
        build_embeddings(embedder(), c,
                         R"({"model":"gemini-embedding-001","input":["one","two"],"dimensions":256,
                                  "task_type":"RETRIEVAL_DOCUMENT","title":"Notes","user":"u"})",
                         2);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == kBase + "/models/gemini-embedding-001:batchEmbedContents");
    BOOST_TEST(r.request.header("x-goog-api-key") == kKey);
    BOOST_TEST(r.request.url.find(kKey) == std::string::npos);
    dump_spec_request("google", "embeddings_task_type_title", kSpecPath, "post", r.request.body);
    const json::value want = json::parse(R"({"requests":[
        {"model":"models/gemini-embedding-001","outputDimensionality":256,"taskType":"RETRIEVAL_DOCUMENT",
         "title":"Notes","content":{"parts":[{"text":"one"}]}},
        {"model":"models/gemini-embedding-001","outputDimensionality":256,"taskType":"RETRIEVAL_DOCUMENT",
         "title":"Notes","content":{"parts":[{"text":"two"}]}}]})");
    BOOST_TEST(json::parse(r.request.body) == want);
}

BOOST_AUTO_TEST_CASE(refuses_token_arrays) {
    Config c(kKey, kBase, "gemini-embedding-001");
    auto r =
        build_embeddings(embedder(), c, R"({"model":"gemini-embedding-001","input":[[1,2]]})", 1);
    BOOST_TEST(r.status == SB_ERR_INVALID_ARGUMENT);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_REQUEST);
}

BOOST_AUTO_TEST_CASE(replays_the_recorded_gemini_batches) {
    std::size_t replayed = 0;
    for (const auto &name : recordings("embeddings-google")) {
        const json::object rec = recording("embeddings-google", name);
        const std::string path(rec.at("request").at("path").as_string());
        if (path.find(":batchEmbedContents") == std::string::npos)
            continue;  // Vertex's embedContent
        BOOST_TEST_CONTEXT(name) {
            ++replayed;
            const json::object &sent = recorded_request_body(rec);
            const json::array &requests = sent.at("requests").as_array();
            const json::object &first = requests.front().as_object();
            const std::string model =
                std::string(first.at("model").as_string()).substr(7);  // "models/"
            json::array inputs;
            for (const auto &q : requests)
                inputs.push_back(q.at("content").at("parts").at(0).at("text"));
            json::object batch{{"model", model}, {"input", inputs}};
            if (auto *t = first.if_contains("taskType")) batch["task_type"] = *t;
            if (auto *d = first.if_contains("outputDimensionality")) batch["dimensions"] = *d;
            Config c(kKey, "https://generativelanguage.googleapis.com/v1beta", model);
            auto built = build_embeddings(embedder(), c, json::serialize(batch), inputs.size());
            BOOST_REQUIRE_MESSAGE(built.status == SB_OK, built.error.message);
            BOOST_TEST(built.request.url == "https://generativelanguage.googleapis.com" + path);
            BOOST_TEST(json::parse(built.request.body) == json::value(sent),
                       "the request the client library sent");
            dump_spec_request("google", "embeddings_replay_" + name.substr(0, name.size() - 5),
                              kSpecPath, "post", built.request.body);

            auto parsed = replay_answer(c, rec, [](const json::object &vendor) {
                std::vector<std::vector<float>> want;
                for (const auto &e : vendor.at("embeddings").as_array())
                    want.push_back(floats_of_array(e.at("values")));
                return want;
            });
            if (!parsed) continue;
            const json::value vendor = json::parse(recorded_response_body(rec));
            const json::value *meta = vendor.as_object().if_contains("usageMetadata");
            BOOST_TEST(
                parsed->usage.prompt_tokens ==
                (meta ? meta->at("promptTokenCount").to_number<std::int64_t>() : std::int64_t(-1)));
        }
    }
    BOOST_TEST(replayed >= 6u);
}

BOOST_AUTO_TEST_SUITE_END()
