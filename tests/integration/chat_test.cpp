// POST /v1/chat/completions and GET /v1/models through the real daemon:
// routing, what reaches the vendor, and how vendor errors come back.
#include "integration/integration_fixture.hpp"

#include <chrono>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string openai_key = "sk-test-openai-chat-key-4321";

// openai (key, mock base, gpt-4o-mini) active; cecho configured against the
// same mock without a key; custom unconfigured.
Env two_providers(const Harness &h) {
    return {{"OPENAI_API_KEY", openai_key},
            {"OPENAI_API_BASE", h.mock.base_url()},
            {"OPENAI_MODEL", "gpt-4o-mini"},
            {"CECHO_API_BASE", h.mock.base_url()},
            {"CECHO_MODEL", "cecho-model"},
            {"LLM_PROVIDER", "openai"}};
}

std::string sent_model(const Harness &h) {
    auto sent = h.mock.last_chat_request();
    if (!sent) return "<no request>";
    return text(parse_json(sent->body), "model");
}

void check_completion(const TestHttpResponse &r, std::string_view provider, std::string_view model) {
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(text(doc, "object") == "chat.completion");
    BOOST_TEST(text(doc, "model") == model);
    BOOST_TEST(text(doc, "choices.0.message.role") == "assistant");
    BOOST_TEST(text(doc, "choices.0.message.content") == "pong");
    const json::value *total = find(doc, "usage.total_tokens");
    BOOST_TEST((total && total->is_number() && total->to_number<int>() == 6), r.body);
    const json::value *prompt = find(doc, "usage.prompt_tokens");
    BOOST_TEST((prompt && prompt->is_number() && prompt->to_number<int>() == 5), r.body);
    BOOST_TEST(r.header("x-switchboard-provider") == provider);
    BOOST_TEST(r.header("Content-Type").find("application/json") != std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chat_completions)

BOOST_AUTO_TEST_CASE(request_without_model_goes_to_the_active_provider, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    check_completion(h.post_json(chat_path, chat_body()), "openai", "gpt-4o-mini");
    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->method == "POST");
    BOOST_TEST(sent->target == "/v1/chat/completions");
    BOOST_TEST(sent->header("Authorization") == "Bearer " + openai_key);
    auto body = parse_json(sent->body);
    BOOST_TEST(text(body, "model") == "gpt-4o-mini");
    BOOST_TEST(text(body, "messages.0.content") == "ping");
}

BOOST_AUTO_TEST_CASE(bare_model_goes_to_the_active_provider, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    check_completion(h.post_json(chat_path, chat_body("mock-model")), "openai", "mock-model");
    BOOST_TEST(sent_model(h) == "mock-model");
}

BOOST_AUTO_TEST_CASE(provider_prefix_routes_to_openai, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", openai_key}, {"OPENAI_API_BASE", h.mock.base_url()}, {"LLM_PROVIDER", "cecho"}});
    check_completion(h.post_json(chat_path, chat_body("openai/gpt-4o-mini")), "openai", "gpt-4o-mini");
    BOOST_TEST(sent_model(h) == "gpt-4o-mini", "the provider prefix is stripped");
    BOOST_TEST(h.mock.last_chat_request().value().header("Authorization") == "Bearer " + openai_key);
}

BOOST_AUTO_TEST_CASE(provider_prefix_routes_to_the_c_plugin, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    check_completion(h.post_json(chat_path, chat_body("cecho/x")), "cecho", "x");
    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(text(parse_json(sent->body), "model") == "x");
    // openai's key must never travel with another provider's request.
    BOOST_TEST(sent->header("Authorization").find(openai_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_provider_prefix_is_400, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    check_error(h.post_json(chat_path, chat_body("nope/x")), 400, "invalid_request_error", "unknown_provider");
    BOOST_TEST(h.mock.chat_requests().empty());
}

BOOST_AUTO_TEST_CASE(unconfigured_provider_is_401, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    auto r = h.post_json(chat_path, chat_body("custom/x"));
    check_error(r, 401, "authentication_error", "provider_not_configured");
    BOOST_TEST(h.mock.chat_requests().empty());

    Harness keyless;
    keyless.start({{"LLM_PROVIDER", "openai"}, {"OPENAI_API_BASE", keyless.mock.base_url()}});
    check_error(keyless.post_json(chat_path, chat_body()), 401, "authentication_error", "provider_not_configured");
    BOOST_TEST(keyless.mock.chat_requests().empty());
}

BOOST_AUTO_TEST_CASE(vendor_errors_keep_their_class_and_message, *utf::timeout(60)) {
    const std::string bad_key = "sk-bad-SECRET-chat-zxcvbnmlkj7777";
    Harness h;
    h.start(two_providers(h));

    // 404 model not found
    auto r = h.post_json(chat_path, chat_body("openai/missing-model"));
    check_error(r, 404, "not_found_error", "model_not_found");
    BOOST_TEST(text(r.json(), "error.message").find("does not exist") != std::string::npos, r.body);
    BOOST_TEST(text(r.json(), "error.provider") == "openai", r.body);

    // 500 from the vendor -> 502
    r = h.post_json(chat_path, chat_body("openai/boom-model"));
    check_error(r, 502, "upstream_error");
    BOOST_TEST(text(r.json(), "error.provider") == "openai", r.body);

    // 429
    BOOST_TEST_REQUIRE(h.post_json(config_path, json::object{{"provider", "openai"}, {"api_key", "sk-ratelimited"}})
                           .status == 200u);
    r = h.post_json(chat_path, chat_body());
    check_error(r, 429, "rate_limit_error");
    BOOST_TEST(text(r.json(), "error.message").find("Rate limit reached") != std::string::npos, r.body);

    // 401 with a message that quotes the key: the key is redacted.
    BOOST_TEST_REQUIRE(h.post_json(config_path, json::object{{"provider", "openai"}, {"api_key", bad_key}})
                           .status == 200u);
    r = h.post_json(chat_path, chat_body());
    check_error(r, 401, "authentication_error", "invalid_api_key");
    BOOST_TEST(text(r.json(), "error.message").find("Incorrect API key provided") != std::string::npos, r.body);
    BOOST_TEST(r.body.find(bad_key) == std::string::npos, r.body);
    BOOST_TEST(r.body.find("zxcvbnmlkj") == std::string::npos, r.body);
    BOOST_TEST(r.headers_text().find("zxcvbnmlkj") == std::string::npos);
    BOOST_TEST(h.mock.last_chat_request().value().header("Authorization") == "Bearer " + bad_key);
    BOOST_TEST(h.log_text().find("zxcvbnmlkj") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(streams_server_sent_events, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    json::object body = chat_body("openai/gpt-4o-mini");
    body["stream"] = true;
    auto r = h.post_json(chat_path, body);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(r.header("Content-Type").find("text/event-stream") != std::string::npos, r.header("Content-Type"));
    BOOST_TEST(r.body.find("data: ") != std::string::npos, r.body);
    BOOST_TEST(r.body.find("\"po\"") != std::string::npos, r.body);
    BOOST_TEST(r.body.find("\"ng\"") != std::string::npos, r.body);
    BOOST_TEST(r.body.find("data: [DONE]") != std::string::npos, r.body);
    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(is_true(parse_json(sent->body), "stream"));
}

BOOST_AUTO_TEST_CASE(a_hanging_vendor_call_does_not_block_other_requests, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    // One client waits on a vendor that never answers...
    std::thread stuck([&] {
        try {
            h.client(std::chrono::milliseconds{6'000}).post_json(chat_path, chat_body("openai/slow-model"));
        } catch (const std::exception &) {
            // the client gives up; that is the point
        }
    });
    BOOST_TEST(h.mock.server().wait_for_requests(1, std::chrono::milliseconds{5'000}), "slow request reached the vendor");
    // ...while others are served at once.
    for (int i = 0; i < 5; ++i) {
        auto started = std::chrono::steady_clock::now();
        auto r = h.client(std::chrono::milliseconds{10'000}).post_json(chat_path, chat_body("openai/gpt-4o-mini"));
        auto took = std::chrono::steady_clock::now() - started;
        BOOST_TEST(r.status == 200u, r.body);
        BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 5'000);
    }
    stuck.join();
    // The client gave up: the daemon drops the vendor call too.
    BOOST_TEST(h.mock.server().wait_for_closed_by_peer(1, std::chrono::milliseconds{5'000}),
               "vendor connection closed after the client went away");
    BOOST_TEST(h.daemon().running());
}

BOOST_AUTO_TEST_CASE(v1_models_lists_provider_prefixed_ids, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    auto r = h.get(v1_models_path);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(text(doc, "object") == "list");
    std::vector<std::string> ids;
    for (const auto &m : items(doc, "data")) {
        std::string id = text(m, "id");
        ids.push_back(id);
        BOOST_TEST(text(m, "object") == "model");
        auto slash = id.find('/');
        BOOST_TEST_REQUIRE(slash != std::string::npos, id);
        std::string provider = id.substr(0, slash);
        BOOST_TEST((provider == "openai" || provider == "cecho"), "only configured providers: " << id);
        BOOST_TEST(text(m, "owned_by") == provider);
        BOOST_TEST((find(m, "created") && find(m, "created")->is_number()));
    }
    auto has = [&](const std::string &id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
    BOOST_TEST(has("openai/gpt-4o-mini"), r.body);
    BOOST_TEST(has("openai/mock-model"), r.body);
    BOOST_TEST(has("cecho/mock-model"), r.body);
}

BOOST_AUTO_TEST_CASE(v1_models_id_answers_one_model_or_404, *utf::timeout(60)) {
    Harness h;
    h.start(two_providers(h));
    auto r = h.get(std::string(v1_models_path) + "/openai/gpt-4o-mini");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(text(doc, "id") == "openai/gpt-4o-mini");
    BOOST_TEST(text(doc, "object") == "model");
    BOOST_TEST(text(doc, "owned_by") == "openai");
    // A percent-encoded slash names the same model.
    BOOST_TEST(h.get(std::string(v1_models_path) + "/openai%2Fgpt-4o-mini").status == 200u);
    check_error(h.get(std::string(v1_models_path) + "/openai/no-such-model"), 404, "not_found_error",
                "model_not_found");
}

BOOST_AUTO_TEST_SUITE_END()
