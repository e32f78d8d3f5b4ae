// Security properties of the real daemon: the admin token and the loopback
// rule, client keys on the data plane, the api_base policy, a corrupt state
// file, a plugin fed garbage by its vendor, and a graceful stop with a
// request in flight.
#include "integration/integration_fixture.hpp"

#include <csignal>
#include <fstream>
#include <future>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string admin_token = "sbadm-TOKEN-9f8e7d6c5b4a39281706";
const std::string file_token = "sbadm-FILETOKEN-0a1b2c3d4e5f6789";
const std::string client_key_1 = "sbck-CLIENTONE-11112222333344445555";
const std::string client_key_2 = "sbck-CLIENTTWO-66667777888899990000";
const std::string reload_path = "/api/backdoor/llm/plugins/reload";

TestHeaders bearer(const std::string &secret) { return {{"Authorization", "Bearer " + secret}}; }

void write_file(const fs::path &p, const std::string &text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

// Every admin-only call, with the given headers: {what, response}.
std::vector<std::pair<std::string, TestHttpResponse>> admin_calls(const TestHttpClient &c, const TestHeaders &h) {
    std::vector<std::pair<std::string, TestHttpResponse>> out;
    out.emplace_back("GET config", c.get(config_path, h));
    out.emplace_back("POST config", c.post(config_path, R"({"provider":"openai","model":"gpt-4o-mini"})", h));
    out.emplace_back("POST test", c.post(test_path, "{}", h));
    out.emplace_back("POST plugins/reload", c.post(reload_path, "", h));
    // The lists too: the model list calls every vendor with the operator's keys.
    out.emplace_back("GET providers", c.get(providers_path, h));
    out.emplace_back("GET models", c.get(models_path, h));
    return out;
}

void check_no_token(const std::string &where, const std::string &haystack, const std::string &token) {
    BOOST_TEST(haystack.find(token) == std::string::npos, where << " leaks the admin token");
    // A recognisable middle part too.
    BOOST_TEST(haystack.find(token.substr(6, 12)) == std::string::npos, where << " leaks part of the admin token");
}

// The provider named by an error response: the error.provider field, the
// x-switchboard-provider header, or the message.
bool names_provider(const TestHttpResponse &r, std::string_view provider) {
    if (r.header("x-switchboard-provider") == provider) return true;
    try {
        auto v = r.json();
        if (text(v, "error.provider") == provider) return true;
        return text(v, "error.message").find(provider) != std::string::npos;
    } catch (...) {
        return false;
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_token_rule)

BOOST_AUTO_TEST_CASE(admin_endpoints_need_the_token_and_open_ones_stay_open, *utf::timeout(120)) {
    Harness h;
    h.start({{"SWITCHBOARD_ADMIN_TOKEN", admin_token},
             {"OPENAI_API_KEY", "sk-test-unused-key-0000000000"},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "3000"}});
    auto c = h.client();
    std::string all_output;

    for (const auto &[label, headers] :
         std::vector<std::pair<std::string, TestHeaders>>{{"no Authorization", {}},
                                                          {"wrong token", bearer("sbadm-wrong-token")},
                                                          {"token prefix", bearer(admin_token.substr(0, 20))},
                                                          {"Basic scheme", {{"Authorization", "Basic " + admin_token}}},
                                                          {"bare token", {{"Authorization", admin_token}}}}) {
        for (const auto &[what, r] : admin_calls(c, headers)) {
            BOOST_TEST_CONTEXT(what << " with " << label) {
                check_error(r, 401, "authentication_error", "invalid_api_key");
                all_output += r.headers_text() + r.body;
            }
        }
    }
    // Nothing was changed by the refused POST /config.
    BOOST_TEST(h.mock.chat_requests().empty(), "a refused /test reached the vendor");

    for (const auto &[what, r] : admin_calls(c, bearer(admin_token))) {
        BOOST_TEST_CONTEXT(what << " with the token") {
            BOOST_TEST(r.status == 200u, r.status << " " << r.body);
            all_output += r.headers_text() + r.body;
        }
    }
    // Any case of the scheme.
    BOOST_TEST(c.get(config_path, {{"Authorization", "bearer " + admin_token}}).status == 200u);
    BOOST_TEST(c.get(config_path, {{"Authorization", "BEARER " + admin_token}}).status == 200u);

    // Open endpoints need nothing (/v1/models: no client keys are configured).
    for (std::string_view path : {std::string_view("/healthz"), v1_models_path}) {
        auto r = c.get(path);
        BOOST_TEST(r.status == 200u, path << ": " << r.status << " " << r.body);
        all_output += r.headers_text() + r.body;
    }
    auto chat = c.post_json(chat_path, chat_body());
    BOOST_TEST(chat.status == 200u, chat.body);
    all_output += chat.headers_text() + chat.body;

    check_no_token("responses", all_output, admin_token);
    check_no_token("log", h.log_text(), admin_token);
}

// Without a token the lists answer only a local browser context: a page
// that rebinds its own name to 127.0.0.1 cannot make the daemon call the
// vendors with the operator's keys.
BOOST_AUTO_TEST_CASE(a_rebinding_page_cannot_read_the_lists, *utf::timeout(120)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-rebind-key-0000000000"}, {"OPENAI_API_BASE", h.mock.base_url()}});
    auto c = h.client();
    for (std::string_view path : {providers_path, models_path}) {
        BOOST_TEST_CONTEXT(path) {
            check_error(c.get(path, {{"Host", "rebind.example.com"}}), 403, "permission_error");
            check_error(c.get(path, {{"Origin", "http://rebind.example.com"}}), 403, "permission_error");
            BOOST_TEST(c.get(path).status == 200u);
        }
    }
    BOOST_TEST(h.mock.model_list_requests().size() == 1u, "only the local request reached the vendor");
}

BOOST_AUTO_TEST_CASE(admin_token_file_in_the_state_dir, *utf::timeout(120)) {
    Harness h;
    write_file(h.state_dir / "admin_token", file_token + "\n");
    h.start({{"OPENAI_API_BASE", h.mock.base_url()}});
    auto c = h.client();
    for (const auto &[what, r] : admin_calls(c, {})) BOOST_TEST_CONTEXT(what) { check_error(r, 401, "authentication_error"); }
    BOOST_TEST(c.get(config_path, bearer(admin_token)).status == 401u);
    auto ok = c.get(config_path, bearer(file_token));
    BOOST_TEST(ok.status == 200u, ok.body);
    auto reload = c.post(reload_path, "", bearer(file_token));
    BOOST_TEST(reload.status == 200u, reload.body);
    BOOST_TEST(c.get(providers_path, bearer(file_token)).status == 200u);
    check_no_token("log", h.log_text(), file_token);
    check_no_token("responses", ok.body + reload.body, file_token);
}

BOOST_AUTO_TEST_CASE(environment_token_wins_over_the_file, *utf::timeout(120)) {
    Harness h;
    write_file(h.state_dir / "admin_token", file_token + "\n");
    h.start({{"SWITCHBOARD_ADMIN_TOKEN", admin_token}});
    auto c = h.client();
    BOOST_TEST(c.get(config_path, bearer(admin_token)).status == 200u);
    BOOST_TEST(c.get(config_path, bearer(file_token)).status == 401u);
}

BOOST_AUTO_TEST_CASE(empty_admin_token_file_stops_the_daemon, *utf::timeout(120)) {
    Harness h;
    write_file(h.state_dir / "admin_token", "\n");
    try {
        h.start();
        BOOST_TEST(false, "the daemon started with an empty admin_token file");
    } catch (const std::runtime_error &e) {
        std::string what = e.what();
        BOOST_TEST(what.find("exited (status 0)") == std::string::npos, what);
        BOOST_TEST(what.find("admin_token") != std::string::npos, what);
        BOOST_TEST(what.find("event=listening") == std::string::npos, what);
    }
}

BOOST_AUTO_TEST_CASE(non_loopback_listen_needs_a_token, *utf::timeout(120)) {
    Harness h;
    DaemonOptions options;
    options.plugins_dir = h.plugins_dir;
    options.state_dir = h.state_dir;
    options.home_dir = h.tmp.path() / "home";
    options.listen = "0.0.0.0:0";
    try {
        DaemonProcess d(options);
        BOOST_TEST(false, "the daemon listened on 0.0.0.0 without an admin token");
    } catch (const std::runtime_error &e) {
        std::string what = e.what();
        BOOST_TEST(what.find("exited (status 0)") == std::string::npos, what);
        BOOST_TEST(what.find("switchboard exited") != std::string::npos, what);
        BOOST_TEST(what.find("level=error event=refusing_to_listen") != std::string::npos, what);
        BOOST_TEST(what.find("admin token") != std::string::npos, what);
        BOOST_TEST(what.find("event=listening") == std::string::npos, what);
    }

    // The same for an IPv6 wildcard.
    options.listen = "[::]:0";
    try {
        DaemonProcess d(options);
        BOOST_TEST(false, "the daemon listened on :: without an admin token");
    } catch (const std::runtime_error &e) {
        std::string what = e.what();
        BOOST_TEST(what.find("event=refusing_to_listen") != std::string::npos, what);
    }

    // With a token it starts; traffic goes to 127.0.0.1 only.
    options.listen = "0.0.0.0:0";
    options.env = {{"SWITCHBOARD_ADMIN_TOKEN", admin_token}};
    DaemonProcess d(options);
    BOOST_TEST(d.running());
    TestHttpClient c("127.0.0.1", d.port());
    BOOST_TEST(c.get("/healthz").status == 200u);
    BOOST_TEST(c.get(config_path).status == 401u);
    BOOST_TEST(c.get(config_path, bearer(admin_token)).status == 200u);
    check_no_token("log", d.log_text(), admin_token);
    BOOST_TEST(d.stop() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(client_keys)

BOOST_AUTO_TEST_CASE(data_plane_needs_a_client_key, *utf::timeout(120)) {
    Harness h;
    h.start({{"SWITCHBOARD_CLIENT_KEYS", client_key_1 + "," + client_key_2},
             {"OPENAI_API_KEY", "sk-test-upstream-key-000000000"},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "3000"}});
    auto c = h.client();
    std::string all_output;
    const std::string body = json::serialize(chat_body());

    for (const auto &[label, headers] : std::vector<std::pair<std::string, TestHeaders>>{
             {"no Authorization", {}},
             {"wrong key", bearer("sbck-wrong")},
             {"Basic", {{"Authorization", "Basic " + client_key_1}}},
             {"upstream key", bearer("sk-test-upstream-key-000000000")}}) {
        BOOST_TEST_CONTEXT(label) {
            auto chat = c.post(chat_path, body, headers);
            check_error(chat, 401, "authentication_error", "invalid_api_key");
            auto models = c.get(v1_models_path, headers);
            check_error(models, 401, "authentication_error", "invalid_api_key");
            auto model = c.get(std::string(v1_models_path) + "/openai/gpt-4o-mini", headers);
            check_error(model, 401, "authentication_error", "invalid_api_key");
            all_output += chat.body + models.body + model.body;
        }
    }
    BOOST_TEST(h.mock.chat_requests().empty(), "a refused chat reached the vendor");

    for (const auto &key : {client_key_1, client_key_2}) {
        auto chat = c.post(chat_path, body, bearer(key));
        BOOST_TEST(chat.status == 200u, chat.body);
        auto models = c.get(v1_models_path, bearer(key));
        BOOST_TEST(models.status == 200u, models.body);
        all_output += chat.headers_text() + chat.body + models.body;
    }
    // The client key is not forwarded to the vendor: the provider's key is.
    auto last = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(last.has_value());
    BOOST_TEST(last->header("Authorization") == "Bearer sk-test-upstream-key-000000000");

    // Admin endpoints do not use client keys (no admin token: loopback rule).
    BOOST_TEST(c.get(config_path).status == 200u);
    BOOST_TEST(c.get(config_path, bearer("anything")).status == 200u);
    BOOST_TEST(c.post(test_path, "{}").status == 200u);
    BOOST_TEST(c.get(providers_path).status == 200u);
    BOOST_TEST(c.get("/healthz").status == 200u);

    std::string log = h.log_text();
    for (const auto &key : {client_key_1, client_key_2}) {
        BOOST_TEST(all_output.find(key) == std::string::npos, "responses leak a client key");
        BOOST_TEST(log.find(key) == std::string::npos, "the log leaks a client key");
    }
}

BOOST_AUTO_TEST_CASE(client_keys_and_admin_token_are_separate, *utf::timeout(120)) {
    Harness h;
    write_file(h.state_dir / "client_keys", "# keys\n\n" + client_key_1 + "\n");
    h.start({{"SWITCHBOARD_ADMIN_TOKEN", admin_token}, {"OPENAI_API_BASE", h.mock.base_url()}});
    auto c = h.client();
    BOOST_TEST(c.get(v1_models_path, bearer(client_key_1)).status == 200u);
    BOOST_TEST(c.get(v1_models_path, bearer(admin_token)).status == 401u);
    BOOST_TEST(c.get(config_path, bearer(client_key_1)).status == 401u);
    BOOST_TEST(c.get(config_path, bearer(admin_token)).status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(api_base_policy)

BOOST_AUTO_TEST_CASE(metadata_addresses_are_refused_by_default, *utf::timeout(120)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-policy-key-0000000000"},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "1500"}});
    for (const char *base : {"http://169.254.169.254/latest", "http://metadata.google.internal/computeMetadata/v1",
                             "http://[fd00:ec2::254]/v1", "http://100.100.100.200/v1",
                             "http://[::ffff:169.254.169.254]/v1"}) {
        BOOST_TEST_CONTEXT(base) {
            auto cfg = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", base}});
            check_error(cfg, 400, "invalid_request_error");
            auto test = h.post_json(test_path, json::object{{"provider", "openai"}, {"api_base", base}});
            check_error(test, 400, "invalid_request_error");
            BOOST_TEST(cfg.body.find("SWITCHBOARD_ALLOW_LINK_LOCAL") != std::string::npos, cfg.body);
        }
    }
    // Nothing was stored.
    auto cfg = h.config();
    BOOST_TEST(text(cfg, "providers.openai.api_base") == h.mock.base_url(), json::serialize(cfg));
    // Credentials in the URL and other schemes are refused too.
    check_error(h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", "http://u:p@127.0.0.1/v1"}}),
                400, "invalid_request_error");
    check_error(h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", "file:///etc/passwd"}}),
                400, "invalid_request_error");
    BOOST_TEST(h.mock.chat_requests().empty());
}

BOOST_AUTO_TEST_CASE(metadata_api_base_from_the_environment_is_refused_at_use, *utf::timeout(120)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-policy-key-0000000000"},
             {"OPENAI_API_BASE", "http://169.254.169.254/v1"},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "1500"}});
    auto started = std::chrono::steady_clock::now();
    auto chat = h.post_json(chat_path, chat_body());
    check_error(chat, 502, "upstream_error", "api_base_incorrect");
    auto test = h.post_json(test_path, json::object{});
    BOOST_TEST(test.status == 200u, test.body);
    BOOST_TEST(text(test.json(), "error.type") == "api_base_incorrect", test.body);
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(3)), "refusal was not immediate");
}

BOOST_AUTO_TEST_CASE(allowed_with_the_flag, *utf::timeout(120)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-policy-key-0000000000"},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_ALLOW_LINK_LOCAL", "1"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "1500"}});
    for (const char *base : {"http://169.254.169.254/latest", "http://metadata.google.internal/computeMetadata/v1"}) {
        BOOST_TEST_CONTEXT(base) {
            auto started = std::chrono::steady_clock::now();
            // A new base drops the stored key, so /test is given one.
            auto test = h.post_json(test_path, json::object{{"provider", "openai"},
                                                            {"api_base", base},
                                                            {"api_key", "sk-test-policy-key-0000000000"}});
            auto took = std::chrono::steady_clock::now() - started;
            BOOST_TEST(test.status == 200u, test.body);
            auto type = text(test.json(), "error.type");
            // Not refused: the daemon tried to reach it. Usually nothing answers
            // there (network_error or timeout), but some sandboxes and clouds
            // do answer at 169.254.169.254 (a 403 reads as invalid_api_key).
            BOOST_TEST(type != "provider_not_configured", test.body);
            BOOST_TEST(test.body.find("SWITCHBOARD_ALLOW_LINK_LOCAL") == std::string::npos, test.body);
            BOOST_TEST((type == "network_error" || type == "timeout" || type == "invalid_api_key" ||
                        type == "api_base_incorrect" || type == "upstream_error" || type == "model_not_found"),
                       test.body);
            BOOST_TEST((took < std::chrono::seconds(6)), "the test took "
                                                           << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                                           << " ms");
            auto cfg = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", base}});
            BOOST_TEST(cfg.status == 200u, cfg.body);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_new_base_never_receives_the_existing_key, *utf::timeout(120)) {
    const std::string env_key = "sk-test-ENVKEY-aaaabbbbccccdddd1111";
    const std::string runtime_key = "sk-test-RTKEY-eeeeffffgggghhhh2222";
    Harness h;
    MockOpenAiUpstream attacker;
    h.start({{"OPENAI_API_KEY", env_key},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "3000"}});
    auto leaked = [&] {
        for (const auto &r : attacker.requests())
            for (const auto &[name, value] : r.headers)
                if (value.find(env_key) != std::string::npos || value.find(runtime_key) != std::string::npos ||
                    value.find("ENVKEY") != std::string::npos || value.find("RTKEY") != std::string::npos)
                    return true;
        return false;
    };
    // The env key, with only the base overridden in /test.
    auto t1 = h.post_json(test_path, json::object{{"provider", "openai"}, {"api_base", attacker.base_url()}});
    BOOST_TEST(t1.status == 200u, t1.body);
    BOOST_TEST(!leaked(), "the env key reached a base given to /test");
    // A runtime key, then a new base (in /test, then stored) without the key.
    auto set = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_key", runtime_key},
                                                     {"api_base", h.mock.base_url()}});
    BOOST_TEST(set.status == 200u, set.body);
    auto t2 = h.post_json(test_path, json::object{{"provider", "openai"}, {"api_base", attacker.base_url()}});
    BOOST_TEST(t2.status == 200u, t2.body);
    auto moved = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", attacker.base_url()}});
    BOOST_TEST(moved.status == 200u, moved.body);
    auto t3 = h.post_json(test_path, json::object{});
    BOOST_TEST(t3.status == 200u, t3.body);
    auto chat = h.post_json(chat_path, chat_body("openai/gpt-4o-mini"));
    BOOST_TEST(!leaked(), "a stored key reached a new base");
    // A trailing slash does not bring a key back either.
    auto t4 = h.post_json(test_path, json::object{{"provider", "openai"}, {"api_base", attacker.base_url() + "/"}});
    BOOST_TEST(!leaked());
    for (const auto &r : {t1, t2, t3, t4, chat}) {
        BOOST_TEST(r.body.find(env_key) == std::string::npos);
        BOOST_TEST(r.body.find(runtime_key) == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(allowlist_refuses_other_hosts, *utf::timeout(120)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-policy-key-0000000000"},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_API_BASE_ALLOWLIST", "127.0.0.1,*.example.com"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "1500"}});
    for (const char *base : {"https://api.openai.com/v1", "https://example.com/v1", "https://evilexample.com/v1",
                             "http://localhost:1/v1"}) {
        BOOST_TEST_CONTEXT(base) {
            auto cfg = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", base}});
            check_error(cfg, 400, "invalid_request_error");
            BOOST_TEST(cfg.body.find("SWITCHBOARD_API_BASE_ALLOWLIST") != std::string::npos, cfg.body);
            auto test = h.post_json(test_path, json::object{{"provider", "openai"}, {"api_base", base}});
            check_error(test, 400, "invalid_request_error");
        }
    }
    // Listed hosts pass.
    auto ok = h.post_json(test_path, json::object{{"provider", "openai"}, {"api_base", h.mock.base_url()}});
    BOOST_TEST(ok.status == 200u, ok.body);
    BOOST_TEST(is_true(ok.json(), "ok"), ok.body);
    auto sub = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", "https://api.example.com/v1"}});
    BOOST_TEST(sub.status == 200u, sub.body);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_AUTO_TEST_CASE(corrupt_state_file_is_moved_aside, *utf::timeout(120)) {
    Harness h;
    write_file(h.state_dir / "config.json", "{\"version\":1,\"providers\":{\"openai\":{\"api_key\":");
    h.start({{"OPENAI_API_BASE", h.mock.base_url()}});
    BOOST_TEST(!fs::exists(h.state_dir / "config.json"));
    int aside = 0;
    for (const auto &entry : fs::directory_iterator(h.state_dir))
        if (entry.path().filename().string().rfind("config.json.corrupt-", 0) == 0) ++aside;
    BOOST_TEST(aside == 1);
    std::string log = h.log_text();
    BOOST_TEST(log.find("level=error event=config_corrupt") != std::string::npos, log);
    BOOST_TEST(log.find("moved_to=") != std::string::npos, log);
    BOOST_TEST(h.get("/healthz").status == 200u);
    BOOST_TEST(h.get(providers_path).status == 200u);
    // And a new config can be written.
    auto cfg = h.post_json(config_path, json::object{{"provider", "openai"}, {"model", "gpt-4o-mini"}});
    BOOST_TEST(cfg.status == 200u, cfg.body);
    BOOST_TEST(fs::exists(h.state_dir / "config.json"));
    auto perms = fs::status(h.state_dir / "config.json").permissions();
    BOOST_TEST(((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none), "config.json is not 0600");
}

BOOST_AUTO_TEST_CASE(vendor_garbage_is_a_502_naming_the_provider, *utf::timeout(120)) {
    Harness h;
    LoopbackHttpServer garbage([](const RecordedRequest &) {
        return MockAction::reply(200, {{"Content-Type", "application/json"}}, "this is \x01 not {json");
    });
    h.start({{"OPENAI_API_KEY", "sk-test-garbage-key-0000000000"},
             {"OPENAI_API_BASE", garbage.base_url() + "/v1"},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "3000"}});
    auto chat = h.post_json(chat_path, chat_body("openai/gpt-4o-mini"));
    BOOST_TEST(chat.status == 502u, chat.body);
    auto v = chat.json();
    auto code = text(v, "error.code");
    BOOST_TEST((code == "api_base_incorrect" || code == "upstream_error"), chat.body);
    BOOST_TEST(names_provider(chat, "openai"), chat.headers_text() << chat.body);

    auto test = h.post_json(test_path, json::object{});
    BOOST_TEST(test.status == 200u, test.body);
    BOOST_TEST(is_false(test.json(), "ok"), test.body);
    BOOST_TEST(text(test.json(), "error.type") == "api_base_incorrect", test.body);
    // The daemon keeps serving.
    BOOST_TEST(h.get("/healthz").status == 200u);
}

// KNOWN BUG: for "stream": true, a 200 whose body holds no SSE event at all
// (garbage, or a plain JSON answer) ends as an empty successful stream (one
// empty chunk, then [DONE]) instead of a 502 or an in-stream error: the
// streaming path in ChatGateway never checks that any event arrived.
// Marked as an expected failure until that is fixed.
BOOST_AUTO_TEST_CASE(vendor_garbage_in_a_stream_is_an_error, *utf::timeout(120)) {
    Harness h;
    LoopbackHttpServer garbage([](const RecordedRequest &) {
        return MockAction::reply(200, {{"Content-Type", "application/json"}}, "this is \x01 not {json");
    });
    h.start({{"OPENAI_API_KEY", "sk-test-garbage-key-0000000000"},
             {"OPENAI_API_BASE", garbage.base_url() + "/v1"},
             {"LLM_PROVIDER", "openai"}});
    auto body = chat_body("openai/gpt-4o-mini");
    body["stream"] = true;
    auto stream = h.post_json(chat_path, body);
    bool reported = stream.status == 502u ||
                    (stream.status == 200u && stream.body.find("\"error\"") != std::string::npos);
    BOOST_TEST(reported, "garbage answered as a successful stream: " << stream.status << " " << stream.body);
    BOOST_TEST(h.get("/healthz").status == 200u);
}

BOOST_AUTO_TEST_CASE(sigterm_lets_an_in_flight_request_finish, *utf::timeout(120)) {
    Harness h;
    const std::string reply =
        R"({"id":"chatcmpl-slow","object":"chat.completion","created":1,"model":"gpt-4o-mini",)"
        R"("choices":[{"index":0,"message":{"role":"assistant","content":"slow pong"},"finish_reason":"stop"}],)"
        R"("usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})";
    LoopbackHttpServer slow([reply](const RecordedRequest &) {
        return MockAction::stream(200, {{"Content-Type", "application/json"}}, {reply},
                                  std::chrono::milliseconds{1'000});
    });
    h.start({{"OPENAI_API_KEY", "sk-test-slow-key-0000000000"},
             {"OPENAI_API_BASE", slow.base_url() + "/v1"},
             {"LLM_PROVIDER", "openai"}});
    auto port = h.daemon().port();
    auto pending = std::async(std::launch::async, [port] {
        TestHttpClient c("127.0.0.1", port, std::chrono::milliseconds{15'000});
        return c.post_json(chat_path, chat_body("openai/gpt-4o-mini"));
    });
    BOOST_TEST_REQUIRE(slow.wait_for_requests(1, std::chrono::milliseconds{5'000}));
    auto started = std::chrono::steady_clock::now();
    int status = h.daemon().stop(std::chrono::milliseconds{12'000});
    auto took = std::chrono::steady_clock::now() - started;
    BOOST_TEST(status == 0, "exit status " << status << "; log:\n" << h.log_text());
    BOOST_TEST((took < std::chrono::seconds(10)));
    BOOST_TEST_REQUIRE((pending.wait_for(std::chrono::seconds(5)) == std::future_status::ready));
    auto r = pending.get();
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.body.find("slow pong") != std::string::npos, r.body);
    std::string log = h.log_text();
    BOOST_TEST(log.find("event=stopping") != std::string::npos, log);
    BOOST_TEST(log.find("event=stopped") != std::string::npos, log);
}

BOOST_AUTO_TEST_SUITE_END()

// Start-up mistakes say what is wrong and where: an empty plugins directory,
// and an address another process already listens on.
BOOST_AUTO_TEST_CASE(start_up_mistakes_name_the_directory_and_the_address, *utf::timeout(120)) {
    Harness h;
    const fs::path empty = h.tmp.subdir("no-plugins-here");
    DaemonOptions options;
    options.plugins_dir = empty;
    options.state_dir = h.state_dir;
    options.home_dir = h.tmp.path() / "home";
    try {
        DaemonProcess d(options);
        BOOST_TEST(false, "the daemon started on an empty plugins directory");
    } catch (const std::runtime_error &e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("level=error event=no_plugins dir=" + empty.string()) != std::string::npos, what);
        BOOST_TEST(what.find("--allow-no-plugins") != std::string::npos, what);
        BOOST_TEST(what.find("event=listening") == std::string::npos, what);
    }

    // The daemon holding the port makes the second one fail, naming it.
    options.plugins_dir = h.plugins_dir;
    DaemonProcess first(options);
    DaemonOptions second = options;
    second.state_dir = h.tmp.subdir("state-2");
    second.listen = "127.0.0.1:" + std::to_string(first.port());
    try {
        DaemonProcess d(second);
        BOOST_TEST(false, "a second daemon listened on a taken port");
    } catch (const std::runtime_error &e) {
        const std::string what = e.what();
        BOOST_TEST(what.find("event=listen_failed addr=" + second.listen) != std::string::npos, what);
        BOOST_TEST(what.find("Address already in use") != std::string::npos, what);
    }
}
