// POST /v1/embeddings through the real daemon. One daemon serves the same
// plain-C plugin built against the frozen ABI 1.2 header and against the
// current (1.3) one: both chat, only the 1.3 build embeds (its batch limit
// of 2 splits three inputs into two vendor calls, joined in order, and its
// typed input-token report, 101 per call, is what the client and the metrics
// see), and the 1.2 build gets the 400. The openai plugin against the mock
// OpenAI vendor covers the request checks and the vendor's errors.
#define BOOST_TEST_MODULE switchboard_integration_embeddings
#include <boost/beast/core/detail/base64.hpp>
#include <chrono>
#include <cstring>
#include <thread>

#include "integration/integration_fixture.hpp"
#include "support/mock_embeddings.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

constexpr std::string_view embeddings_path = "/v1/embeddings";

std::vector<float> floats(const json::value &embedding) {
    std::vector<float> out;
    if (embedding.is_array()) {
        for (const auto &x : embedding.get_array())
            out.push_back(static_cast<float>(x.to_number<double>()));
        return out;
    }
    namespace base64 = boost::beast::detail::base64;
    const json::string &text = embedding.as_string();
    std::string bytes(base64::decoded_size(text.size()), '\0');
    bytes.resize(base64::decode(bytes.data(), text.data(), text.size()).first);
    out.resize(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), out.size() * 4);  // little-endian, as this machine
    return out;
}

// The vectors of an OpenAI list, checking index i at position i.
std::vector<std::vector<float>> vectors_of(const json::value &doc) {
    std::vector<std::vector<float>> out;
    for (const auto &e : items(doc, "data")) {
        BOOST_TEST(e.at("object").as_string() == "embedding");
        BOOST_TEST(e.at("index").to_number<std::size_t>() == out.size());
        out.push_back(floats(e.at("embedding")));
    }
    return out;
}

std::size_t embeddings_requests(const MockOpenAiUpstream &mock) {
    std::size_t n = 0;
    for (const auto &r : mock.requests()) n += r.target.ends_with("/embeddings");
    return n;
}

// The integer at `dotted`, or -1.
long count_at(const json::value &doc, std::string_view dotted) {
    const json::value *v = find(doc, dotted);
    return v && v->is_number() ? v->to_number<long>() : -1;
}

// The value of a counter series in a /metrics text, or -1.
long counter(const std::string &metrics, const std::string &series) {
    auto at = metrics.find(series + " ");
    return at == std::string::npos ? -1 : std::stol(metrics.substr(at + series.size() + 1));
}

Env abi_env(const Harness &h) {
    return {{"ABI12_API_BASE", h.mock.base_url()},
            {"ABI13_API_BASE", h.mock.base_url()},
            {"LLM_PROVIDER", "abi12"}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_13_plugin_embeds_and_a_12_plugin_gets_a_400_in_the_same_daemon,
                     *utf::timeout(120)) {
    Harness h({"usage_echo_1_2.so", "usage_echo_1_3.so"});
    h.start(abi_env(h));
    for (std::string id : {"abi12", "abi13"}) {
        auto chat = h.post_json(chat_path, chat_body(id + "/echo-model"));
        BOOST_TEST_REQUIRE(chat.status == 200u, id << ": " << chat.body);
        BOOST_TEST(text(chat.json(), "choices.0.message.content") == "pong");
    }
    const std::vector<std::string> inputs{"alpha", "be", "gamma ray"};
    for (const char *format : {"float", "base64"}) {
        BOOST_TEST_CONTEXT(format) {
            const std::size_t before = embeddings_requests(h.mock);
            auto r = h.post_json(embeddings_path,
                                 json::object{{"model", "abi13/echo-embed"},
                                              {"input", json::array{"alpha", "be", "gamma ray"}},
                                              {"encoding_format", format}});
            BOOST_TEST_REQUIRE(r.status == 200u, r.body);
            BOOST_TEST(r.header("x-switchboard-provider") == "abi13");
            const json::value doc = r.json();
            BOOST_TEST(text(doc, "object") == "list");
            const auto got = vectors_of(doc);
            BOOST_TEST_REQUIRE(got.size() == inputs.size());
            for (std::size_t i = 0; i < inputs.size(); ++i)
                BOOST_TEST(got[i] == mock_embedding(inputs[i]),
                           "vector " << i << " is not input " << i << "'s");
            BOOST_TEST(embeddings_requests(h.mock) - before == 2u,
                       "max_batch 2: three inputs take two calls");
            // Typed (101 per call), not the mock's JSON (2 per input).
            BOOST_TEST(count_at(doc, "usage.prompt_tokens") == 202);
            BOOST_TEST(count_at(doc, "usage.total_tokens") == 202);
        }
    }
    auto refused = h.post_json(embeddings_path,
                               json::object{{"model", "abi12/echo-model"}, {"input", "hello"}});
    check_error(refused, 400, "invalid_request_error");
    BOOST_TEST(text(refused.json(), "error.message") == "model does not support embeddings");

    auto providers = h.get(providers_path).json();
    BOOST_TEST(
        is_true(*find_in(find(providers, "providers"), "id", "abi13"), "capabilities.embeddings"));
    BOOST_TEST(
        is_false(*find_in(find(providers, "providers"), "id", "abi12"), "capabilities.embeddings"));
    BOOST_TEST(text(*find_in(find(providers, "providers"), "id", "abi13"),
                    "embeddings.default_model") == "echo-embed");

    // "provider/" alone: the plugin's default embedding model.
    auto by_default = h.post_json(embeddings_path,
                                  json::object{{"model", "abi13/"}, {"input", json::array{"x"}}});
    BOOST_TEST_REQUIRE(by_default.status == 200u, by_default.body);
    BOOST_TEST(h.mock.requests().back().body.find("\"model\":\"echo-embed\"") != std::string::npos);

    auto tested =
        h.post_json(test_path, json::object{{"provider", "abi13"}, {"kind", "embeddings"}});
    BOOST_TEST_REQUIRE(tested.status == 200u, tested.body);
    BOOST_TEST(is_true(tested.json(), "ok"), tested.body);
    BOOST_TEST(count_at(tested.json(), "dimensions") == 4);
    auto untested =
        h.post_json(test_path, json::object{{"provider", "abi12"}, {"kind", "embeddings"}});
    BOOST_TEST(is_false(untested.json(), "ok"), untested.body);

    // Counted once each exchange has ended: wait for it, boundedly.
    std::string metrics = h.get("/metrics").body;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (counter(metrics, "switchboard_embedding_inputs_total{provider=\"abi13\"}") != 8 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        metrics = h.get("/metrics").body;
    }
    BOOST_TEST(counter(metrics, "switchboard_embedding_requests_total{provider=\"abi13\"}") == 4,
               metrics);
    BOOST_TEST(counter(metrics, "switchboard_embedding_inputs_total{provider=\"abi13\"}") == 8,
               metrics);
    BOOST_TEST(counter(metrics, "switchboard_embedding_input_tokens_total{provider=\"abi13\"}") ==
                   202 * 2 + 101 * 2,
               metrics);
    BOOST_TEST(h.log_text().find("embedding_inputs=3") != std::string::npos,
               "the access log counts inputs");
}

BOOST_AUTO_TEST_CASE(requests_are_checked_and_vendor_errors_classified, *utf::timeout(120)) {
    Harness h({"switchboard-openai.so"});
    h.start({{"OPENAI_API_KEY", "sk-embeddings-test"}, {"OPENAI_API_BASE", h.mock.base_url()}});
    // A bare model goes to the active provider; token arrays pass.
    auto ok =
        h.post_json(embeddings_path, json::object{{"model", "text-embedding-3-small"},
                                                  {"input", json::array{json::array{1, 2, 3}}},
                                                  {"dimensions", 4}});
    BOOST_TEST_REQUIRE(ok.status == 200u, ok.body);
    BOOST_TEST(vectors_of(ok.json()).at(0) == mock_embedding("1,2,3"));
    const std::string sent = h.mock.requests().back().body;
    BOOST_TEST(sent.find("\"encoding_format\":\"base64\"") != std::string::npos, sent);
    BOOST_TEST(sent.find("\"dimensions\":4") != std::string::npos, sent);

    auto missing = h.post_json(embeddings_path,
                               json::object{{"model", "openai/missing-model"}, {"input", "x"}});
    check_error(missing, 404, "not_found_error", "model_not_found");
    check_error(
        h.post_json(embeddings_path, json::object{{"model", "openai/text-embedding-3-small"}}), 400,
        "invalid_request_error");
    check_error(h.post_json(embeddings_path, json::object{{"model", "text-embedding-3-small"},
                                                          {"input", "x"},
                                                          {"encoding_format", "int8"}}),
                400, "invalid_request_error");
    check_error(h.post_json(embeddings_path,
                            json::object{{"model", "text-embedding-3-small"}, {"input", ""}}),
                400, "invalid_request_error");
    check_error(h.post_json(embeddings_path, json::object{{"model", "nobody/x"}, {"input", "x"}}),
                400, "invalid_request_error", "unknown_provider");
    auto models = h.get(v1_models_path).json();
    const json::object *small =
        find_in(find(models, "data"), "id", "openai/text-embedding-3-small");
    BOOST_TEST_REQUIRE(small != nullptr, json::serialize(models));
    BOOST_TEST(is_true(*small, "embeddings"));
}
