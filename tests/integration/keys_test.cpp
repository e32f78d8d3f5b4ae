// Virtual keys through the real daemon: an admin makes a key, clients use
// it as a client key; past its rpm or tpm it gets 429 with Retry-After,
// past its budget 402, outside its models 403, revoked or expired 401. The
// cost of each request reaches the key's spend, the access log and
// /metrics. The key itself appears only in the answer that created it.
#include "integration/integration_fixture.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;
using namespace std::chrono_literals;

namespace {

const std::string openai_key = "sk-test-openai-keys-key-8642";
const std::string static_key = "static-client-key-for-keys-test";
constexpr std::string_view keys_path = "/api/backdoor/keys";
constexpr std::string_view messages_path = "/v1/messages";

Env openai_env(const Harness &h, Env extra = {}) {
    Env env{{"OPENAI_API_KEY", openai_key},
            {"OPENAI_API_BASE", h.mock.base_url()},
            {"OPENAI_MODEL", "gpt-4o-mini"},
            {"LLM_PROVIDER", "openai"}};
    env.insert(extra.begin(), extra.end());
    return env;
}

struct CreatedKey {
    std::string id;
    std::string key;
};

CreatedKey create_key(const Harness &h, const json::object &fields) {
    auto r = h.post_json(keys_path, fields);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    auto doc = r.json();
    CreatedKey k{text(doc, "id"), text(doc, "key")};
    BOOST_TEST(k.key.starts_with("sk-sb-"), r.body);
    BOOST_TEST(k.id.starts_with("vk-"), r.body);
    return k;
}

TestHttpResponse chat_with(const Harness &h, std::string_view key, json::object body = chat_body()) {
    TestHeaders headers;
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(key));
    return h.client().post(chat_path, json::serialize(body), headers);
}

TestHttpResponse messages_with(const Harness &h, std::string_view key) {
    const json::object body{{"model", "gpt-4o-mini"},
                            {"max_tokens", 16},
                            {"messages", json::array{json::object{{"role", "user"}, {"content", "ping"}}}}};
    return h.client().post(messages_path, json::serialize(body),
                           {{"x-api-key", std::string(key)}, {"anthropic-version", "2023-06-01"}});
}

TestHttpResponse send(const Harness &h, std::string_view method, std::string_view target,
                      std::string_view body = {}) {
    return h.client().request(method, target, body);
}

std::string key_url(const CreatedKey &k) { return std::string(keys_path) + "/" + k.id; }

// A fixed one-minute window must not end in the middle of a test's burst:
// waits for the next minute when fewer than 20 s are left in this one.
void wait_for_fresh_window() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto into = std::chrono::duration_cast<std::chrono::seconds>(now).count() % 60;
    if (into > 40) std::this_thread::sleep_for(std::chrono::seconds(61 - into));
}

double number_at(const json::value &doc, std::string_view dotted) {
    const json::value *v = find(doc, dotted);
    return v && v->is_number() ? v->to_number<double>() : -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(virtual_keys)

BOOST_AUTO_TEST_CASE(the_data_plane_opens_with_a_key_once_one_exists_and_closes_when_revoked, *utf::timeout(120)) {
    Harness h;
    h.start(openai_env(h, {{"SWITCHBOARD_CLIENT_KEYS", static_key}}));
    BOOST_TEST(chat_with(h, static_key).status == 200u);
    auto k = create_key(h, {{"name", "app"}});

    auto none = chat_with(h, "");
    check_error(none, 401, "authentication_error", "invalid_api_key");
    check_error(chat_with(h, "sk-sb-not-a-key"), 401, "authentication_error", "invalid_api_key");
    BOOST_TEST(chat_with(h, k.key).status == 200u);
    BOOST_TEST(chat_with(h, static_key).status == 200u);  // static client keys keep working
    BOOST_TEST(messages_with(h, k.key).status == 200u);   // x-api-key on /v1/messages

    auto revoked = send(h, "DELETE", key_url(k));
    BOOST_TEST_REQUIRE(revoked.status == 200u, revoked.body);
    BOOST_TEST(text(revoked.json(), "status") == "revoked");
    auto refused = chat_with(h, k.key);
    check_error(refused, 401, "authentication_error", "invalid_api_key");
    BOOST_TEST(refused.body.find("revoked") != std::string::npos, refused.body);
    auto anthropic = messages_with(h, k.key);
    BOOST_TEST(anthropic.status == 401u);
    BOOST_TEST(text(anthropic.json(), "error.type") == "authentication_error", anthropic.body);
    BOOST_TEST(text(anthropic.json(), "type") == "error", anthropic.body);

    // An expired key is refused like a revoked one.
    auto expired = create_key(h, {{"name", "old"}, {"expires_at", "2020-01-01T00:00:00Z"}});
    auto late = chat_with(h, expired.key);
    check_error(late, 401, "authentication_error", "invalid_api_key");
    BOOST_TEST(late.body.find("expired") != std::string::npos, late.body);
    auto view = h.get(key_url(expired));
    BOOST_TEST(text(view.json(), "status") == "expired", view.body);
}

BOOST_AUTO_TEST_CASE(over_rpm_and_tpm_a_key_gets_429_with_retry_after_in_its_dialect, *utf::timeout(180)) {
    Harness h;
    h.start(openai_env(h));
    wait_for_fresh_window();
    auto rpm = create_key(h, {{"name", "rpm"}, {"rpm_limit", 2}});
    BOOST_TEST(chat_with(h, rpm.key).status == 200u);
    BOOST_TEST(chat_with(h, rpm.key).status == 200u);
    const std::size_t sent = h.mock.chat_requests().size();
    auto over = chat_with(h, rpm.key);
    check_error(over, 429, "rate_limit_error", "rate_limit_exceeded");
    const int retry_after = std::atoi(over.header("Retry-After").c_str());
    BOOST_TEST(retry_after >= 1);
    BOOST_TEST(retry_after <= 60);
    BOOST_TEST(h.mock.chat_requests().size() == sent);  // refused before the vendor
    auto anthropic = messages_with(h, rpm.key);
    BOOST_TEST(anthropic.status == 429u);
    BOOST_TEST(text(anthropic.json(), "error.type") == "rate_limit_error", anthropic.body);
    BOOST_TEST(!anthropic.header("Retry-After").empty());

    // Lifting the limit lets the key through at once.
    auto lifted = send(h, "PATCH", key_url(rpm), R"({"rpm_limit":null})");
    BOOST_TEST_REQUIRE(lifted.status == 200u, lifted.body);
    BOOST_TEST(is_null_at(lifted.json(), "rpm_limit"));
    BOOST_TEST(chat_with(h, rpm.key).status == 200u);

    // The mock reports 6 tokens a request: 0 and 6 are under 10, 12 is not.
    auto tpm = create_key(h, {{"name", "tpm"}, {"tpm_limit", 10}});
    BOOST_TEST(chat_with(h, tpm.key).status == 200u);
    BOOST_TEST(chat_with(h, tpm.key).status == 200u);
    auto tokens_over = chat_with(h, tpm.key);
    check_error(tokens_over, 429, "rate_limit_error", "rate_limit_exceeded");
    BOOST_TEST(!tokens_over.header("Retry-After").empty());
}

BOOST_AUTO_TEST_CASE(a_budget_stops_the_key_with_402_and_spend_is_logged_counted_and_kept, *utf::timeout(120)) {
    Harness h;
    h.start(openai_env(h));
    // gpt-4o-mini: 5 prompt tokens at 0.15 and 1 completion token at 0.60 USD
    // per million = 0.00000135 USD a request; the budget holds two.
    auto k = create_key(h, {{"name", "budget"}, {"budget_usd", 0.000002}, {"budget_period", "daily"}});
    auto first = chat_with(h, k.key);
    BOOST_TEST(first.status == 200u);
    BOOST_TEST(chat_with(h, k.key).status == 200u);
    auto stopped = chat_with(h, k.key);
    check_error(stopped, 402, "insufficient_quota", "budget_exceeded");
    BOOST_TEST(stopped.body.find("budget exceeded") != std::string::npos, stopped.body);

    auto view = h.get(key_url(k));
    BOOST_TEST_REQUIRE(view.status == 200u, view.body);
    auto doc = view.json();
    BOOST_TEST(std::abs(number_at(doc, "spend_usd") - 0.0000027) < 1e-12, view.body);
    BOOST_TEST(number_at(doc, "budget_remaining_usd") == 0.0, view.body);
    BOOST_TEST(text(doc, "budget_period") == "daily");

    const std::string log = h.log_text();
    BOOST_TEST(log.find("key_id=" + k.id) != std::string::npos);
    BOOST_TEST(log.find("cost_usd=0.00000135") != std::string::npos);
    auto metrics = h.get("/metrics");
    BOOST_TEST(metrics.body.find("switchboard_spend_usd_total{key_id=\"" + k.id + "\",provider=\"openai\"} 0.0000027") !=
                   std::string::npos,
               metrics.body);

    // Spend survives a restart: the key stays stopped.
    h.stop();
    h.start(openai_env(h));
    check_error(chat_with(h, k.key), 402, "insufficient_quota", "budget_exceeded");
    // Raising the budget lets it through again.
    auto raised = send(h, "PATCH", key_url(k), R"({"budget_usd":1})");
    BOOST_TEST_REQUIRE(raised.status == 200u, raised.body);
    BOOST_TEST(chat_with(h, k.key).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_model_outside_the_keys_list_is_forbidden, *utf::timeout(60)) {
    Harness h;
    h.start(openai_env(h));
    auto k = create_key(h, {{"name", "narrow"}, {"models", json::array{"openai/gpt-4o"}}});
    auto refused = chat_with(h, k.key, chat_body("gpt-4o-mini"));
    check_error(refused, 403, "permission_error", "permission_denied");
    BOOST_TEST(chat_with(h, k.key, chat_body("gpt-4o")).status == 200u);
    auto wide = create_key(h, {{"name", "wide"}, {"models", json::array{"openai/*"}}});
    BOOST_TEST(chat_with(h, wide.key, chat_body("gpt-4o-mini")).status == 200u);
}

BOOST_AUTO_TEST_CASE(bad_fields_get_400_naming_the_field, *utf::timeout(60)) {
    Harness h;
    h.start(openai_env(h));
    auto check_field = [&](const json::object &body, std::string_view field) {
        auto r = h.post_json(keys_path, body);
        check_error(r, 400, "invalid_request_error", "invalid_request");
        BOOST_TEST(text(r.json(), "error.param") == field, r.body);
    };
    check_field({}, "name");
    check_field({{"name", "x"}, {"budget_period", "weekly"}}, "budget_period");
    check_field({{"name", "x"}, {"rpm_limit", -1}}, "rpm_limit");
    check_field({{"name", "x"}, {"tpm_limit", "many"}}, "tpm_limit");
    check_field({{"name", "x"}, {"budget_usd", "ten"}}, "budget_usd");
    check_field({{"name", "x"}, {"expires_at", "tomorrow"}}, "expires_at");
    check_field({{"name", "x"}, {"models", "gpt-4o"}}, "models");
    check_field({{"name", "x"}, {"key", "sk-sb-mine"}}, "key");
    BOOST_TEST(h.get(std::string(keys_path) + "/vk-missing").status == 404u);
    // No key was made: the data plane is still open.
    BOOST_TEST(chat_with(h, "").status == 200u);
}

BOOST_AUTO_TEST_CASE(the_key_is_never_in_lists_views_logs_or_the_state_dir, *utf::timeout(60)) {
    Harness h;
    h.start(openai_env(h));
    auto k = create_key(h, {{"name", "secret"}, {"rpm_limit", 100}});
    BOOST_TEST(chat_with(h, k.key).status == 200u);
    auto list = h.get(keys_path);
    BOOST_TEST_REQUIRE(list.status == 200u, list.body);
    BOOST_TEST(list.body.find(k.key) == std::string::npos);
    BOOST_TEST(list.body.find(k.key.substr(6, 16)) == std::string::npos);
    const json::value listed = list.json();
    BOOST_TEST(find_in(find(listed, "data"), "id", k.id) != nullptr, list.body);
    BOOST_TEST(!find(listed, "data.0.key"), list.body);
    auto view = h.get(key_url(k));
    BOOST_TEST(view.body.find(k.key.substr(6, 16)) == std::string::npos);
    BOOST_TEST(h.log_text().find(k.key.substr(6, 16)) == std::string::npos);
    for (const auto &entry : fs::directory_iterator(h.state_dir)) {
        std::ifstream in(entry.path());
        std::stringstream ss;
        ss << in.rdbuf();
        BOOST_TEST(ss.str().find(k.key.substr(6, 16)) == std::string::npos, entry.path());
    }
}

BOOST_AUTO_TEST_SUITE_END()
