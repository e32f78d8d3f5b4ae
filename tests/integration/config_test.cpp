// GET|POST /api/backdoor/llm/config through the real daemon: masking,
// persistence, precedence, the key bound to its API base, validation.
#include "integration/integration_fixture.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string secret_key = "sk-test-SECRET-abcdefghijklmnop1234";

std::string slurp(const fs::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(get_masks_the_key_showing_only_its_last_four, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", secret_key}, {"LLM_PROVIDER", "openai"}});
    auto r = h.get(config_path);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(text(doc, "provider") == "openai");
    BOOST_TEST(is_true(doc, "api_key_set"));
    BOOST_TEST(text(doc, "api_key_hint") == "...1234");
    BOOST_TEST(text(doc, "model") == "gpt-3.5-turbo");
    BOOST_TEST(text(doc, "api_base") == "https://api.openai.com/v1");
    BOOST_TEST(text(doc, "providers.openai.api_key_hint") == "...1234");
    BOOST_TEST(text(doc, "providers.openai.source.api_key") == "env");
    BOOST_TEST(text(doc, "providers.openai.source.model") == "default");
    BOOST_TEST(text(doc, "providers.openai.source.api_base") == "default");
    BOOST_TEST(r.body.find(secret_key) == std::string::npos);
    BOOST_TEST(r.body.find("SECRET") == std::string::npos);
    BOOST_TEST(r.body.find("abcdefghijklmnop") == std::string::npos);

    // custom has nothing at all.
    BOOST_TEST(is_false(doc, "providers.custom.api_key_set"));
    BOOST_TEST(is_null_at(doc, "providers.custom.api_key_hint"), r.body);
    BOOST_TEST(text(doc, "providers.custom.source.api_key") == "none");
    BOOST_TEST(text(doc, "providers.custom.source.api_base") == "none");
}

BOOST_AUTO_TEST_CASE(short_keys_show_no_characters, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-shortQ9"}, {"LLM_PROVIDER", "openai"}});
    auto doc = h.config();
    BOOST_TEST(is_true(doc, "api_key_set"));
    std::string hint = is_null_at(doc, "api_key_hint") ? std::string() : text(doc, "api_key_hint");
    BOOST_TEST(hint.find("Q9") == std::string::npos, "hint " << hint);
    BOOST_TEST(hint.find('9') == std::string::npos, "hint " << hint);
}

BOOST_AUTO_TEST_CASE(no_key_means_null_hint, *utf::timeout(60)) {
    Harness h;
    h.start({{"LLM_PROVIDER", "openai"}});
    auto doc = h.config();
    BOOST_TEST(is_false(doc, "api_key_set"));
    BOOST_TEST(is_null_at(doc, "api_key_hint"));
    BOOST_TEST(text(doc, "providers.openai.source.api_key") == "none");
}

BOOST_AUTO_TEST_CASE(post_sets_every_field_and_answers_masked, *utf::timeout(60)) {
    Harness h;
    h.start({{"LLM_PROVIDER", "openai"}});
    auto r = h.post_json(config_path, json::object{{"provider", "custom"},
                                                   {"api_key", secret_key},
                                                   {"api_base", h.mock.base_url()},
                                                   {"model", "mock-model"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(r.body.find(secret_key) == std::string::npos);
    BOOST_TEST(r.body.find("abcdefghijklmnop") == std::string::npos);
    for (const auto &doc : {r.json(), h.config()}) {
        BOOST_TEST(text(doc, "provider") == "custom");
        BOOST_TEST(text(doc, "model") == "mock-model");
        BOOST_TEST(text(doc, "api_base") == h.mock.base_url());
        BOOST_TEST(is_true(doc, "api_key_set"));
        BOOST_TEST(text(doc, "api_key_hint") == "...1234");
        BOOST_TEST(text(doc, "providers.custom.source.api_key") == "runtime");
        BOOST_TEST(text(doc, "providers.custom.source.model") == "runtime");
        BOOST_TEST(text(doc, "providers.custom.source.api_base") == "runtime");
    }
    auto providers = h.get(providers_path).json();
    BOOST_TEST(text(providers, "active_provider") == "custom");
    const auto *custom = find_in(find(providers, "providers"), "id", "custom");
    BOOST_TEST_REQUIRE(custom);
    BOOST_TEST(is_true(json::value(*custom), "configured"));

    // The saved key is usable: the chat reaches the vendor with it.
    auto chat = h.post_json(chat_path, chat_body());
    BOOST_TEST(chat.status == 200u, chat.body);
    BOOST_TEST(chat.header("x-switchboard-provider") == "custom");
    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->header("Authorization") == "Bearer " + secret_key);
    BOOST_TEST(text(parse_json(sent->body), "model") == "mock-model");
}

BOOST_AUTO_TEST_CASE(post_persists_to_a_0600_json_file, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto r = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_key", secret_key}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    fs::path file = h.state_dir / "config.json";
    BOOST_TEST_REQUIRE(fs::exists(file), "no " << file);
    struct stat st {};
    BOOST_TEST_REQUIRE(::stat(file.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u, "mode " << std::oct << (st.st_mode & 0777));
    BOOST_TEST_REQUIRE(fs::is_regular_file(file));
    BOOST_CHECK_NO_THROW(parse_json(slurp(file)));
    // No temporary files left behind by the atomic write.
    int entries = 0;
    for (const auto &entry : fs::directory_iterator(h.state_dir)) {
        (void)entry;
        ++entries;
    }
    BOOST_TEST(entries == 1, "state dir holds only config.json");
    BOOST_TEST(h.log_text().find(secret_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(runtime_config_survives_a_restart, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto r = h.post_json(config_path, json::object{{"provider", "openai"},
                                                   {"api_key", secret_key},
                                                   {"api_base", h.mock.base_url()},
                                                   {"model", "mock-model"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(h.stop() == 0);

    h.start();  // same state dir, no env
    auto doc = h.config();
    BOOST_TEST(text(doc, "provider") == "openai");
    BOOST_TEST(text(doc, "model") == "mock-model");
    BOOST_TEST(text(doc, "api_base") == h.mock.base_url());
    BOOST_TEST(is_true(doc, "api_key_set"));
    BOOST_TEST(text(doc, "api_key_hint") == "...1234");
    BOOST_TEST(text(doc, "providers.openai.source.api_key") == "runtime");
    BOOST_TEST(text(h.get(providers_path).json(), "active_provider") == "openai");

    auto test = h.post(test_path, "{}");
    BOOST_TEST_REQUIRE(test.status == 200u, test.body);
    BOOST_TEST(is_true(test.json(), "ok"), test.body);
    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->header("Authorization") == "Bearer " + secret_key);
}

BOOST_AUTO_TEST_CASE(runtime_beats_env_beats_default, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_MODEL", "env-model"}, {"LLM_PROVIDER", "openai"}});
    auto doc = h.config();
    BOOST_TEST(text(doc, "model") == "env-model");
    BOOST_TEST(text(doc, "providers.openai.source.model") == "env");
    BOOST_TEST(text(doc, "api_base") == "https://api.openai.com/v1");
    BOOST_TEST(text(doc, "providers.openai.source.api_base") == "default");

    auto r = h.post_json(config_path, json::object{{"provider", "openai"}, {"model", "runtime-model"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    doc = r.json();
    BOOST_TEST(text(doc, "model") == "runtime-model");
    BOOST_TEST(text(doc, "providers.openai.source.model") == "runtime");

    // An empty string clears the runtime value: env shows through again.
    r = h.post_json(config_path, json::object{{"provider", "openai"}, {"model", ""}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    doc = r.json();
    BOOST_TEST(text(doc, "model") == "env-model");
    BOOST_TEST(text(doc, "providers.openai.source.model") == "env");

    // The runtime value also wins over env after a restart.
    h.post_json(config_path, json::object{{"provider", "openai"}, {"model", "runtime-model"}});
    h.start({{"OPENAI_MODEL", "env-model"}, {"LLM_PROVIDER", "openai"}});
    BOOST_TEST(text(h.config(), "model") == "runtime-model");
}

BOOST_AUTO_TEST_CASE(runtime_provider_beats_llm_provider_env, *utf::timeout(60)) {
    Harness h;
    h.start({{"LLM_PROVIDER", "openai"}});
    auto r = h.post_json(config_path, json::object{{"provider", "cecho"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(text(r.json(), "provider") == "cecho");
    h.start({{"LLM_PROVIDER", "openai"}});
    BOOST_TEST(text(h.config(), "provider") == "cecho");
    BOOST_TEST(text(h.get(providers_path).json(), "active_provider") == "cecho");
}

BOOST_AUTO_TEST_CASE(changing_api_base_without_a_key_clears_the_stored_key, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto r = h.post_json(config_path, json::object{{"provider", "openai"},
                                                   {"api_key", secret_key},
                                                   {"api_base", h.mock.base_url()}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(is_true(r.json(), "api_key_set"));

    // Same base again: the key stays.
    r = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", h.mock.base_url()}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(is_true(r.json(), "api_key_set"), r.body);

    // A new base without the key: the key is gone, and never sent there.
    MockOpenAiUpstream other;
    r = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", other.base_url()}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(is_false(doc, "api_key_set"), r.body);
    BOOST_TEST(is_null_at(doc, "api_key_hint"));
    BOOST_TEST(text(doc, "api_base") == other.base_url());

    auto test = h.post(test_path, "{}");
    BOOST_TEST(test.status == 200u, test.body);
    BOOST_TEST(text(test.json(), "error.type") == "provider_not_configured", test.body);
    auto chat = h.post_json(chat_path, chat_body());
    check_error(chat, 401, "authentication_error", "provider_not_configured");
    for (const auto &req : other.requests())
        BOOST_TEST(req.header("Authorization").find(secret_key) == std::string::npos);

    // Still cleared after a restart.
    h.start();
    BOOST_TEST(is_false(h.config(), "api_key_set"));
}

BOOST_AUTO_TEST_CASE(rejects_invalid_bodies_with_400_and_changes_nothing, *utf::timeout(60)) {
    Harness h;
    h.start({{"LLM_PROVIDER", "openai"}});
    auto before = h.config();
    struct Case {
        const char *name;
        std::string body;
        const char *code;  // "" when the code is not pinned
    };
    const std::vector<Case> cases{
        {"malformed JSON", "{\"provider\": \"openai\",", "invalid_json"},
        {"empty body", "", ""},
        {"array", "[\"openai\"]", ""},
        {"string", "\"openai\"", ""},
        {"number", "42", ""},
        {"missing provider", "{}", ""},
        {"non-string provider", "{\"provider\": 1}", ""},
        {"null provider", "{\"provider\": null}", ""},
        {"non-string model", "{\"provider\": \"openai\", \"model\": 5}", ""},
        {"non-string key", "{\"provider\": \"openai\", \"api_key\": [\"sk-x\"]}", ""},
        {"null key", "{\"provider\": \"openai\", \"api_key\": null}", ""},
        {"object base", "{\"provider\": \"openai\", \"api_base\": {}}", ""},
        {"unknown provider", "{\"provider\": \"nope\"}", "unknown_provider"},
        {"unknown field", "{\"provider\": \"openai\", \"colour\": \"red\"}", ""},
        {"ftp base", "{\"provider\": \"openai\", \"api_base\": \"ftp://x\"}", ""},
        {"not a url", "{\"provider\": \"openai\", \"api_base\": \"not a url\"}", ""},
        {"relative base", "{\"provider\": \"openai\", \"api_base\": \"/v1\"}", ""},
        {"trailing garbage", "{\"provider\": \"openai\"} x", "invalid_json"},
    };
    for (const auto &c : cases) {
        BOOST_TEST_CONTEXT(c.name << ": " << c.body) {
            auto r = h.post(config_path, c.body);
            check_error(r, 400, "invalid_request_error", c.code);
        }
    }
    BOOST_TEST(json::serialize(h.config()) == json::serialize(before), "config unchanged");
    BOOST_TEST(!fs::exists(h.state_dir / "config.json"), "nothing persisted");
    BOOST_TEST(h.daemon().running());
}

BOOST_AUTO_TEST_SUITE_END()
