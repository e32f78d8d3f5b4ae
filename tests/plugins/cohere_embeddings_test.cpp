// The cohere plugin's embeddings (v2 /embed): input_type's documented
// default and its override, requests as Cohere's spec has them, and the
// recorded Cohere exchanges replayed, vectors compared value by value.
#include "embeddings_harness.hpp"

using namespace sbtest;

namespace {

const std::string kBase = "https://api.cohere.test";
const std::string kKey = "co-embed-secret-0123456789";

json::object built_body(const std::string &batch, const std::string &dump) {
    Config c(kKey, kBase + "/v1", "embed-v4.0");
    auto r = build_embeddings(embedder(), c, batch, 1);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == kBase + "/v2/embed");
    BOOST_TEST(r.request.header("authorization") == "Bearer " + kKey);
    dump_spec_request("cohere", dump, "/v2/embed", "post", r.request.body);
    return json::parse(r.request.body).as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cohere_embeddings)

BOOST_AUTO_TEST_CASE(offers_the_embeddings_table_with_cohere_limits) {
    const sb_embeddings &e = require_embeddings(embedder());
    BOOST_TEST(sv(e.default_model) == "embed-v4.0");
    BOOST_TEST(e.max_batch == 96u);
    BOOST_TEST((e.flags & SB_EMBED_TOKEN_INPUT) == 0u);
}

BOOST_AUTO_TEST_CASE(input_type_defaults_to_search_document) {
    const json::object body =
        built_body(R"({"model":"embed-v4.0","input":["hello"]})", "embeddings_default_input_type");
    BOOST_TEST(json::value(body) == json::parse(R"({"model":"embed-v4.0","texts":["hello"],
        "input_type":"search_document","embedding_types":["float"]})"));
}

BOOST_AUTO_TEST_CASE(input_type_truncate_and_dimensions_are_the_clients) {
    const json::object body = built_body(
        R"({"model":"embed-v4.0","input":["hello"],"input_type":"search_query","truncate":"END","dimensions":512,
            "user":"u"})",
        "embeddings_input_type_override");
    BOOST_TEST(body.at("input_type") == "search_query");
    BOOST_TEST(body.at("truncate") == "END");
    BOOST_TEST(body.at("output_dimension") == 512);
    BOOST_TEST(!body.contains("user"));
}

BOOST_AUTO_TEST_CASE(replays_the_recorded_cohere_exchanges) {
    const auto names = recordings("embeddings-cohere");
    BOOST_TEST_REQUIRE(names.size() >= 4u);
    for (const auto &name : names) {
        BOOST_TEST_CONTEXT(name) {
            const json::object rec = recording("embeddings-cohere", name);
            const json::object &sent = recorded_request_body(rec);
            const std::string model(sent.at("model").as_string());
            json::object batch{{"model", model},
                               {"input", sent.at("texts")},
                               {"input_type", sent.at("input_type")},
                               {"truncate", sent.at("truncate")}};
            Config c(kKey, "https://api.cohere.com", model);
            auto built = build_embeddings(embedder(), c, json::serialize(batch),
                                          sent.at("texts").as_array().size());
            BOOST_REQUIRE_MESSAGE(built.status == SB_OK, built.error.message);
            BOOST_TEST(built.request.url == "https://api.cohere.com/v2/embed");
            const json::object body = json::parse(built.request.body).as_object();
            // The recording's nulls (max_tokens, output_dimension) are the
            // client library's way of saying "not set".
            for (const auto &member : sent)
                if (!member.value().is_null())
                    BOOST_TEST(body.at(member.key()) == member.value(), member.key());
            dump_spec_request("cohere", "embeddings_replay_" + name.substr(0, name.size() - 5),
                              "/v2/embed", "post", built.request.body);

            auto parsed = replay_answer(c, rec, [](const json::object &vendor) {
                std::vector<std::vector<float>> want;
                for (const auto &v : vendor.at("embeddings").at("float").as_array())
                    want.push_back(floats_of_array(v));
                return want;
            });
            if (!parsed) continue;
            const json::value vendor = json::parse(recorded_response_body(rec));
            BOOST_TEST(
                parsed->usage.prompt_tokens ==
                vendor.at("meta").at("billed_units").at("input_tokens").to_number<std::int64_t>());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
