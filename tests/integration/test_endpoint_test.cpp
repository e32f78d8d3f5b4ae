// POST /api/backdoor/llm/test through the real daemon: success, every
// classified failure, bad input, and that a test never saves anything.
#include "integration/integration_fixture.hpp"

#include <chrono>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string good_key = "sk-test-good-key-000011112222";

// openai configured against the mock through env, active. Only the timeout
// case shortens the /test deadline: on a loaded machine the first upstream
// call (TLS context set-up) can itself take a second.
Env configured_openai(const Harness &h, bool short_test_deadline = false) {
    Env env{{"OPENAI_API_KEY", good_key},
            {"OPENAI_API_BASE", h.mock.base_url()},
            {"OPENAI_MODEL", "mock-model"},
            {"LLM_PROVIDER", "openai"}};
    if (short_test_deadline) env["SWITCHBOARD_TEST_TIMEOUT_MS"] = "1500";
    return env;
}

// Runs /test with `body`, expects HTTP 200 with ok:false and error.type.
json::value expect_failure(const Harness &h, const json::value &body, std::string_view type) {
    auto r = h.post_json(test_path, body);
    BOOST_TEST(r.status == 200u, r.body);
    json::value doc = r.json();
    BOOST_TEST(is_false(doc, "ok"), r.body);
    BOOST_TEST(text(doc, "error.type") == type, r.body);
    BOOST_TEST(text(doc, "error.message").rfind("<", 0) != 0, "error.message: " << r.body);
    BOOST_TEST(text(doc, "error.hint").rfind("<", 0) != 0, "error.hint: " << r.body);
    BOOST_TEST(text(doc, "provider").rfind("<", 0) != 0, "provider: " << r.body);
    const json::value *latency = find(doc, "latency_ms");
    BOOST_TEST((latency && latency->is_number()), "latency_ms: " << r.body);
    return doc;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_endpoint)

BOOST_AUTO_TEST_CASE(succeeds_on_a_configured_provider, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    auto r = h.post(test_path, "{}");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(is_true(doc, "ok"), r.body);
    BOOST_TEST(text(doc, "provider") == "openai");
    BOOST_TEST(text(doc, "model") == "mock-model");
    BOOST_TEST(text(doc, "reply") == "pong");
    const json::value *latency = find(doc, "latency_ms");
    BOOST_TEST_REQUIRE((latency && latency->is_number()), r.body);
    BOOST_TEST(latency->to_number<double>() >= 0.0);

    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->target == "/v1/chat/completions");
    BOOST_TEST(sent->header("Authorization") == "Bearer " + good_key);
    auto body = parse_json(sent->body);
    BOOST_TEST(text(body, "model") == "mock-model");
    BOOST_TEST(json::serialize(body).find("pong") != std::string::npos, "asks for pong: " << sent->body);
    // The host's token limit; the openai plugin sends it as max_completion_tokens,
    // the only limit OpenAI's reasoning models accept.
    BOOST_TEST(find(body, "max_completion_tokens") != nullptr, "token limit: " << sent->body);
    BOOST_TEST(find(body, "max_tokens") == nullptr, sent->body);
}

BOOST_AUTO_TEST_CASE(overrides_are_merged_over_the_stored_config, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_BASE", h.mock.base_url()}, {"LLM_PROVIDER", "openai"}});  // no key
    auto r = h.post_json(test_path, json::object{{"api_key", good_key}, {"model", "gpt-4o-mini"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(is_true(r.json(), "ok"), r.body);
    BOOST_TEST(text(r.json(), "model") == "gpt-4o-mini");

    // Another provider by name, all of its config given in the body.
    r = h.post_json(test_path, json::object{{"provider", "custom"},
                                            {"api_base", h.mock.base_url()},
                                            {"model", "mock-model"},
                                            {"api_key", good_key}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(is_true(r.json(), "ok"), r.body);
    BOOST_TEST(text(r.json(), "provider") == "custom");
}

BOOST_AUTO_TEST_CASE(classifies_invalid_api_key_and_redacts_it, *utf::timeout(60)) {
    const std::string bad_key = "sk-bad-SECRET-qwertyuiopasdf9876";
    Harness h;
    h.start(configured_openai(h));
    auto doc = expect_failure(h, json::object{{"api_key", bad_key}}, "invalid_api_key");
    std::string message = text(doc, "error.message");
    BOOST_TEST(message.find("Incorrect API key provided") != std::string::npos, "vendor message kept: " << message);
    auto body = json::serialize(doc);
    BOOST_TEST(body.find(bad_key) == std::string::npos, body);
    BOOST_TEST(body.find("qwertyuiopasdf") == std::string::npos, body);
    BOOST_TEST(h.log_text().find("qwertyuiopasdf") == std::string::npos);
    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->header("Authorization") == "Bearer " + bad_key);
}

BOOST_AUTO_TEST_CASE(classifies_rate_limit, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    auto doc = expect_failure(h, json::object{{"api_key", "sk-ratelimited"}}, "rate_limit_exceeded");
    BOOST_TEST(text(doc, "error.message").find("Rate limit reached") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(classifies_model_not_found, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    auto doc = expect_failure(h, json::object{{"model", "missing-model"}}, "model_not_found");
    BOOST_TEST(text(doc, "model") == "missing-model");
    BOOST_TEST(text(doc, "error.message").find("does not exist") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(classifies_a_base_that_is_not_the_api, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    expect_failure(h, json::object{{"api_base", h.mock.wrong_base_url()}, {"api_key", good_key}},
                   "api_base_incorrect");
    auto sent = h.mock.requests();
    BOOST_TEST_REQUIRE(!sent.empty());
    BOOST_TEST(sent.back().target.rfind("/notapi/", 0) == 0u, sent.back().target);
}

BOOST_AUTO_TEST_CASE(classifies_connection_refused_as_network_error, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    ClosedPort closed;
    expect_failure(h, json::object{{"api_base", closed.base_url()}, {"api_key", good_key}}, "network_error");
}

BOOST_AUTO_TEST_CASE(classifies_a_silent_vendor_as_timeout, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h, true));  // SWITCHBOARD_TEST_TIMEOUT_MS=1500
    // Warm up first, so the deadline below is spent waiting on the vendor only.
    auto warm = h.post(test_path, "{}");
    BOOST_TEST(is_true(warm.json(), "ok"), "warm-up: " << warm.body);
    auto started = std::chrono::steady_clock::now();
    auto r = h.client(std::chrono::milliseconds{30'000}).post_json(test_path, json::object{{"model", "slow-model"}});
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(is_false(r.json(), "ok"), r.body);
    BOOST_TEST(text(r.json(), "error.type") == "timeout", r.body);
    BOOST_TEST(took.count() >= 1'000, "gave up after " << took.count() << " ms");
    BOOST_TEST(took.count() < 10'000, "SWITCHBOARD_TEST_TIMEOUT_MS honoured? took " << took.count() << " ms");
}

BOOST_AUTO_TEST_CASE(classifies_vendor_5xx_as_upstream_error, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    expect_failure(h, json::object{{"model", "boom-model"}}, "upstream_error");
}

BOOST_AUTO_TEST_CASE(reports_provider_not_configured, *utf::timeout(60)) {
    Harness h;
    h.start({{"LLM_PROVIDER", "openai"}, {"OPENAI_API_BASE", h.mock.base_url()}});
    // openai without a key
    expect_failure(h, json::object{}, "provider_not_configured");
    expect_failure(h, json::object{{"provider", "openai"}}, "provider_not_configured");
    // custom without a base (and without a model)
    expect_failure(h, json::object{{"provider", "custom"}, {"api_key", good_key}}, "provider_not_configured");
    expect_failure(h, json::object{{"provider", "custom"}, {"model", "mock-model"}}, "provider_not_configured");
    BOOST_TEST(h.mock.chat_requests().empty(), "nothing sent upstream");
}

BOOST_AUTO_TEST_CASE(does_not_save_anything, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    auto before = json::serialize(h.config());
    auto active_before = text(h.get(providers_path).json(), "active_provider");

    auto r = h.post_json(test_path, json::object{{"provider", "cecho"},
                                                 {"api_base", h.mock.base_url()},
                                                 {"model", "other-model"},
                                                 {"api_key", "sk-test-not-saved-0000"}});
    BOOST_TEST(r.status == 200u, r.body);
    r = h.post_json(test_path, json::object{{"api_key", "sk-test-other-key-5678"}, {"model", "x"}});
    BOOST_TEST(r.status == 200u, r.body);

    BOOST_TEST(json::serialize(h.config()) == before);
    BOOST_TEST(text(h.get(providers_path).json(), "active_provider") == active_before);
    BOOST_TEST(!fs::exists(h.state_dir / "config.json"), "a test persists nothing");
}

BOOST_AUTO_TEST_CASE(rejects_malformed_input_with_400, *utf::timeout(60)) {
    Harness h;
    h.start(configured_openai(h));
    struct Case {
        const char *name;
        std::string body;
        const char *code;
    };
    const std::vector<Case> cases{
        {"malformed JSON", "{\"provider\":", "invalid_json"},
        {"array", "[]", ""},
        {"string", "\"openai\"", ""},
        {"non-string provider", "{\"provider\": 7}", ""},
        {"non-string key", "{\"api_key\": 12345}", ""},
        {"non-string model", "{\"model\": true}", ""},
        {"unknown provider", "{\"provider\": \"nope\"}", "unknown_provider"},
    };
    for (const auto &c : cases) {
        BOOST_TEST_CONTEXT(c.name << ": " << c.body) {
            check_error(h.post(test_path, c.body), 400, "invalid_request_error", c.code);
        }
    }
    BOOST_TEST(h.mock.chat_requests().empty(), "nothing sent upstream");
}

BOOST_AUTO_TEST_SUITE_END()
