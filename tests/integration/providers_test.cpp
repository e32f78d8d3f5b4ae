// GET /api/backdoor/llm/providers through the real daemon: loaded plugins,
// the active provider, refused plugins, and forward compatibility.
#include "integration/integration_fixture.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

bool icontains(std::string haystack, std::string needle) {
    for (auto &c : haystack) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto &c : needle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return haystack.find(needle) != std::string::npos;
}

std::string file_name_of(const json::object *entry) {
    if (!entry) return "<no entry>";
    auto it = entry->find("file");
    if (it == entry->end() || !it->value().is_string()) return "<no file>";
    return fs::path(std::string(it->value().get_string())).filename().string();
}

const json::object *refused_entry(const json::value &doc, std::string_view file_name) {
    const json::value *refused = find(doc, "refused");
    if (!refused || !refused->is_array()) return nullptr;
    for (const auto &item : refused->get_array())
        if (item.is_object() && file_name_of(&item.get_object()) == file_name) return &item.get_object();
    return nullptr;
}

void check_env_names(const json::object *p, const std::string &prefix) {
    json::value v(*p);
    BOOST_TEST(text(v, "env.api_key") == prefix + "_API_KEY");
    BOOST_TEST(text(v, "env.model") == prefix + "_MODEL");
    BOOST_TEST(text(v, "env.api_base") == prefix + "_API_BASE");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(providers)

BOOST_AUTO_TEST_CASE(lists_every_loaded_provider_with_documented_fields, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto r = h.get(providers_path);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(r.header("Content-Type").find("application/json") != std::string::npos);
    auto doc = r.json();
    const json::value *list = find(doc, "providers");
    BOOST_TEST_REQUIRE((list && list->is_array()), r.body);
    BOOST_TEST(list->get_array().size() == 3u, r.body);

    const auto *openai = find_in(list, "id", "openai");
    const auto *custom = find_in(list, "id", "custom");
    const auto *cecho = find_in(list, "id", "cecho");
    BOOST_TEST_REQUIRE(openai, r.body);
    BOOST_TEST_REQUIRE(custom, r.body);
    BOOST_TEST_REQUIRE(cecho, r.body);

    json::value o(*openai);
    BOOST_TEST(!text(o, "name").empty());
    BOOST_TEST(text(o, "name").rfind("<", 0) != 0, "name: " << text(o, "name"));
    BOOST_TEST(text(o, "version").rfind("<", 0) != 0, "version: " << text(o, "version"));
    BOOST_TEST(text(o, "abi_version").rfind("1.", 0) == 0, "abi_version: " << text(o, "abi_version"));
    BOOST_TEST(file_name_of(openai) == "switchboard-openai.so");
    BOOST_TEST(text(o, "default_model") == "gpt-3.5-turbo");
    BOOST_TEST(text(o, "api_base") == "https://api.openai.com/v1");
    check_env_names(openai, "OPENAI");
    for (auto cap : {"capabilities.streaming", "capabilities.tools", "capabilities.vision",
                     "capabilities.model_listing"}) {
        const json::value *c = find(o, cap);
        BOOST_TEST((c && c->is_bool()), cap << " in " << json::serialize(o));
    }
    BOOST_TEST((is_true(o, "requires_api_key")));
    BOOST_TEST((is_false(o, "configured")), "openai without a key is not configured");
    BOOST_TEST((find(o, "active") && find(o, "active")->is_bool()));

    json::value c(*custom);
    BOOST_TEST(file_name_of(custom) == "switchboard-custom.so");
    BOOST_TEST(text(c, "default_model") == "");
    BOOST_TEST(text(c, "api_base") == "");
    check_env_names(custom, "CUSTOM");
    BOOST_TEST((is_false(c, "configured")));

    json::value e(*cecho);
    BOOST_TEST(file_name_of(cecho) == "c_echo.so");
    BOOST_TEST(text(e, "default_model") == "");
    BOOST_TEST(text(e, "api_base") == "");
    BOOST_TEST(text(e, "abi_version").rfind("1.", 0) == 0);
    check_env_names(cecho, "CECHO");
    BOOST_TEST((is_false(e, "requires_api_key")));
    BOOST_TEST((is_false(e, "configured")), "cecho without base and model");

    // Exactly one provider is active, and active_provider names it.
    const json::value *active = find(doc, "active_provider");
    BOOST_TEST_REQUIRE((active && active->is_string()), r.body);
    int active_count = 0;
    for (const auto &p : list->get_array())
        if (is_null_at(p, "active") == false && is_true(p, "active")) {
            ++active_count;
            BOOST_TEST(text(p, "id") == std::string(active->get_string()));
        }
    BOOST_TEST(active_count == 1);

    const json::value *refused = find(doc, "refused");
    BOOST_TEST((refused && refused->is_array() && refused->get_array().empty()), r.body);
}

BOOST_AUTO_TEST_CASE(active_provider_follows_llm_provider_env, *utf::timeout(60)) {
    Harness h;
    h.start({{"LLM_PROVIDER", "cecho"}});
    auto doc = h.get(providers_path).json();
    BOOST_TEST(text(doc, "active_provider") == "cecho");
    const auto *cecho = find_in(find(doc, "providers"), "id", "cecho");
    const auto *openai = find_in(find(doc, "providers"), "id", "openai");
    BOOST_TEST_REQUIRE((cecho && openai));
    BOOST_TEST(is_true(json::value(*cecho), "active"));
    BOOST_TEST(is_false(json::value(*openai), "active"));
}

BOOST_AUTO_TEST_CASE(configured_follows_environment, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-env-key-0000000000"},
             {"CECHO_API_BASE", h.mock.base_url()},
             {"CECHO_MODEL", "mock-model"},
             {"CUSTOM_API_BASE", h.mock.base_url()}});  // custom still lacks a model
    auto doc = h.get(providers_path).json();
    const auto *openai = find_in(find(doc, "providers"), "id", "openai");
    const auto *cecho = find_in(find(doc, "providers"), "id", "cecho");
    const auto *custom = find_in(find(doc, "providers"), "id", "custom");
    BOOST_TEST_REQUIRE((openai && cecho && custom));
    BOOST_TEST(is_true(json::value(*openai), "configured"));
    BOOST_TEST(is_true(json::value(*cecho), "configured"), "cecho needs no key");
    BOOST_TEST(is_false(json::value(*custom), "configured"), "custom has a base but no model");
}

BOOST_AUTO_TEST_CASE(refuses_bad_plugins_and_still_serves, *utf::timeout(60)) {
    Harness h({"switchboard-openai.so", "c_echo.so", "wrong_major.so", "no_entry.so", "not_a_library.so",
               "duplicate_openai.so", "init_fails.so"});
    h.start({{"CECHO_API_BASE", h.mock.base_url()}, {"CECHO_MODEL", "mock-model"}, {"LLM_PROVIDER", "cecho"}});
    auto r = h.get(providers_path);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();

    for (const char *bad : {"wrong_major.so", "no_entry.so", "not_a_library.so", "init_fails.so"}) {
        BOOST_TEST_CONTEXT("refused " << bad) {
            const auto *entry = refused_entry(doc, bad);
            BOOST_TEST_REQUIRE(entry, r.body);
            json::value e(*entry);
            BOOST_TEST(text(e, "file") == (h.plugins_dir / bad).string());
            BOOST_TEST(!text(e, "reason").empty());
            BOOST_TEST(text(e, "reason").rfind("<", 0) != 0, text(e, "reason"));
            BOOST_TEST(h.log_text().find(std::string("event=plugin_refused file=") + (h.plugins_dir / bad).string()) !=
                           std::string::npos,
                       "log line for " << bad);
        }
    }
    BOOST_TEST(icontains(text(json::value(*refused_entry(doc, "wrong_major.so")), "reason"), "major"));

    // Two plugins claim "openai": exactly one serves, the other is refused.
    int openai_count = 0;
    for (const auto &p : items(doc, "providers"))
        if (text(p, "id") == "openai") ++openai_count;
    BOOST_TEST(openai_count == 1, r.body);
    bool dup_refused = refused_entry(doc, "duplicate_openai.so") != nullptr;
    bool real_refused = refused_entry(doc, "switchboard-openai.so") != nullptr;
    BOOST_TEST(dup_refused != real_refused, "exactly one openai plugin refused: " << r.body);
    const auto *dup = dup_refused ? refused_entry(doc, "duplicate_openai.so") : refused_entry(doc, "switchboard-openai.so");
    if (dup) BOOST_TEST(icontains(text(json::value(*dup), "reason"), "openai"), "reason names the id");
    BOOST_TEST(array_size(doc, "refused") == 5, r.body);

    // The daemon still serves the good plugins.
    BOOST_TEST(h.get("/healthz").status == 200u);
    auto chat = h.post_json(chat_path, chat_body("cecho/mock-model"));
    BOOST_TEST(chat.status == 200u, chat.body);
    BOOST_TEST(chat.header("x-switchboard-provider") == "cecho");
    BOOST_TEST(h.daemon().running());
}

BOOST_AUTO_TEST_CASE(newer_minor_plugin_loads_and_serves_chat, *utf::timeout(60)) {
    Harness h({"switchboard-openai.so", "newer_minor.so"});
    h.start({{"NEWER_API_BASE", h.mock.base_url()}, {"NEWER_MODEL", "mock-model"}, {"LLM_PROVIDER", "newer"}});
    auto doc = h.get(providers_path).json();
    const auto *newer = find_in(find(doc, "providers"), "id", "newer");
    BOOST_TEST_REQUIRE(newer, json::serialize(doc));
    BOOST_TEST(text(json::value(*newer), "abi_version").rfind("1.", 0) == 0);
    BOOST_TEST(is_true(json::value(*newer), "configured"));
    BOOST_TEST(text(doc, "active_provider") == "newer");
    BOOST_TEST(array_size(doc, "refused") == 0, json::serialize(doc));

    auto chat = h.post_json(chat_path, chat_body("newer/mock-model"));
    BOOST_TEST_REQUIRE(chat.status == 200u, chat.body);
    BOOST_TEST(text(chat.json(), "choices.0.message.content") == "pong");
    BOOST_TEST(chat.header("x-switchboard-provider") == "newer");
    auto sent = h.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(text(parse_json(sent->body), "model") == "mock-model");

    auto test = h.post(test_path, "{}");
    BOOST_TEST(test.status == 200u, test.body);
    BOOST_TEST(is_true(test.json(), "ok"), test.body);
}

BOOST_AUTO_TEST_CASE(health_answers_ok, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto r = h.get("/healthz");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(text(r.json(), "status") == "ok");
    BOOST_TEST(h.stop() == 0, "SIGTERM exits 0");
}

BOOST_AUTO_TEST_SUITE_END()
