#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "core/config/config_resolver.hpp"
#include "core/config/config_store.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

using namespace sb::core;
BOOST_TEST_DONT_PRINT_LOG_VALUE(sb::core::ValueSource)
namespace fs = std::filesystem;

namespace {

ProviderInfo openai_like() {
    ProviderInfo info;
    info.id = "openai";
    info.default_model = "gpt-3.5-turbo";
    info.default_api_base = "https://api.openai.com/v1";
    info.env_api_key = "OPENAI_API_KEY";
    info.env_model = "OPENAI_MODEL";
    info.env_api_base = "OPENAI_API_BASE";
    info.capabilities = SB_CAP_REQUIRES_API_KEY;
    return info;
}

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("sb-config-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path &p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(plugin_defaults_apply_when_nothing_else_is_set) {
    auto c = resolve_provider_config(openai_like(), {}, Environment());
    BOOST_TEST(c.model.value == "gpt-3.5-turbo");
    BOOST_TEST(c.model.source == ValueSource::plugin_default);
    BOOST_TEST(c.api_base.value == "https://api.openai.com/v1");
    BOOST_TEST(c.api_key.value.empty());
    BOOST_TEST(c.api_key.source == ValueSource::none);
    BOOST_TEST(missing_configuration(openai_like(), c).has_value());
}

BOOST_AUTO_TEST_CASE(environment_overrides_defaults) {
    Environment env{{"OPENAI_API_KEY", "sk-env-key-123456"}, {"OPENAI_MODEL", "gpt-4o"},
                     {"OPENAI_API_BASE", "http://127.0.0.1:1234/v1/"}};
    auto c = resolve_provider_config(openai_like(), {}, env);
    BOOST_TEST(c.model.value == "gpt-4o");
    BOOST_TEST(c.model.source == ValueSource::env);
    BOOST_TEST(c.api_base.value == "http://127.0.0.1:1234/v1");  // trailing slash trimmed
    BOOST_TEST(c.api_key.value == "sk-env-key-123456");
    BOOST_TEST(c.api_key.source == ValueSource::env);
    BOOST_TEST(!missing_configuration(openai_like(), c).has_value());
}

BOOST_AUTO_TEST_CASE(runtime_overrides_environment) {
    Environment env{{"OPENAI_API_KEY", "sk-env-key-123456"}, {"OPENAI_MODEL", "gpt-4o"}};
    StoredConfig stored;
    stored.providers["openai"] = {"sk-runtime-key-999", "", "gpt-4.1", "https://api.openai.com/v1"};
    auto c = resolve_provider_config(openai_like(), stored, env);
    BOOST_TEST(c.model.value == "gpt-4.1");
    BOOST_TEST(c.model.source == ValueSource::runtime);
    BOOST_TEST(c.api_key.value == "sk-runtime-key-999");
    BOOST_TEST(c.api_key.source == ValueSource::runtime);
}

BOOST_AUTO_TEST_CASE(runtime_key_is_not_sent_to_a_different_base) {
    StoredConfig stored;
    stored.providers["openai"] = {"sk-runtime-key-999", "https://evil.example/v1", "", "https://api.openai.com/v1"};
    auto c = resolve_provider_config(openai_like(), stored, Environment());
    BOOST_TEST(c.api_base.value == "https://evil.example/v1");
    BOOST_TEST(c.api_key.value.empty());
}

BOOST_AUTO_TEST_CASE(env_key_is_not_sent_to_a_runtime_base) {
    Environment env{{"OPENAI_API_KEY", "sk-env-key-123456"}};
    StoredConfig stored;
    stored.providers["openai"].api_base = "https://evil.example/v1";
    auto c = resolve_provider_config(openai_like(), stored, env);
    BOOST_TEST(c.api_key.value.empty());
    BOOST_TEST(missing_configuration(openai_like(), c).has_value());
}

BOOST_AUTO_TEST_CASE(active_provider_precedence) {
    ProviderSet none;
    BOOST_TEST(resolve_active_provider(none, {}, Environment()).empty());
}

BOOST_AUTO_TEST_CASE(masking_shows_at_most_the_last_four_characters) {
    BOOST_TEST(mask_api_key("sk-abcdefghijklmnop1234") == "...1234");
    BOOST_TEST(mask_api_key("short-key") == "****");
    BOOST_TEST(mask_api_key("sk-abcdefghijklmnop1234").find("abcd") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(store_persists_atomically_with_mode_0600_and_survives_reopen) {
    TempDir dir;
    {
        ConfigStore store(dir.path);
        store.update([](StoredConfig &c) {
            c.active_provider = "openai";
            c.providers["openai"] = {"sk-persisted-key-1234", "", "gpt-4o", "https://api.openai.com/v1"};
        });
    }
    struct stat st {};
    BOOST_REQUIRE(::stat((dir.path / "config.json").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    for (const auto &entry : fs::directory_iterator(dir.path))
        BOOST_TEST(entry.path().filename() == "config.json");  // no temp file left behind
    ConfigStore reopened(dir.path);
    StoredConfig c = reopened.snapshot();
    BOOST_TEST(c.active_provider == "openai");
    BOOST_TEST(c.providers["openai"].api_key == "sk-persisted-key-1234");
    BOOST_TEST(c.providers["openai"].model == "gpt-4o");
    BOOST_TEST(c.providers["openai"].api_key_base == "https://api.openai.com/v1");
}

// The gateway keeps what it resolved from a snapshot while current() hands
// out the same one: a change must come as a new snapshot, the old one intact.
BOOST_AUTO_TEST_CASE(current_is_an_immutable_snapshot_replaced_whole_by_update_and_reload) {
    TempDir dir;
    ConfigStore store(dir.path);
    const auto before = store.current();
    BOOST_TEST(store.current() == before);  // unchanged: the same snapshot
    store.update([](StoredConfig &c) { c.providers["openai"] = {"", "http://127.0.0.1:9/v1", "m1", ""}; });
    const auto updated = store.current();
    BOOST_TEST(updated != before);
    BOOST_TEST(before->providers.empty());
    BOOST_TEST(updated->providers.at("openai").model == "m1");
    BOOST_TEST(store.snapshot().providers.at("openai").model == "m1");
    BOOST_TEST(store.reload());
    BOOST_TEST(store.current() != updated);
    BOOST_TEST(store.current()->providers.at("openai").model == "m1");
    BOOST_TEST(updated->providers.at("openai").model == "m1");
}

BOOST_AUTO_TEST_CASE(corrupt_state_file_is_moved_aside_not_overwritten) {
    TempDir dir;
    { std::ofstream(dir.path / "config.json") << "{ this is not json"; }
    ConfigStore store(dir.path);
    BOOST_TEST(store.snapshot().providers.empty());
    bool found_aside = false;
    for (const auto &entry : fs::directory_iterator(dir.path)) {
        if (entry.path().filename().string().starts_with("config.json.corrupt-")) {
            found_aside = true;
            BOOST_TEST(slurp(entry.path()) == "{ this is not json");
        }
    }
    BOOST_TEST(found_aside);
}

BOOST_AUTO_TEST_CASE(stored_config_round_trips_and_rejects_wrong_types) {
    StoredConfig c;
    c.active_provider = "custom";
    c.providers["custom"] = {"", "http://127.0.0.1:9/v1", "m", ""};
    StoredConfig back = parse_stored_config(serialize_stored_config(c));
    BOOST_TEST(back.active_provider == "custom");
    BOOST_TEST(back.providers["custom"].api_base == "http://127.0.0.1:9/v1");
    BOOST_CHECK_THROW(parse_stored_config(R"({"providers":{"x":{"model":5}}})"), std::runtime_error);
    BOOST_CHECK_THROW(parse_stored_config("[]"), std::runtime_error);
}

// Issue #15, item 5: the state dir is ours alone, and nothing in it is
// written through a link someone planted.
BOOST_AUTO_TEST_SUITE(state_dir)

BOOST_AUTO_TEST_CASE(a_planted_link_at_the_old_temp_name_is_not_followed) {
    TempDir dir, elsewhere;
    const fs::path victim = elsewhere.path / "attacker-owned";
    { std::ofstream(victim) << "untouched"; }
    // The temp name used to be config.json.tmp.<pid>: predictable, opened
    // without O_EXCL|O_NOFOLLOW.
    fs::create_symlink(victim, dir.path / ("config.json.tmp." + std::to_string(::getpid())));
    ConfigStore store(dir.path);
    store.update([](StoredConfig &c) { c.providers["openai"] = {"sk-secret-key-in-the-link-0000", "", "", ""}; });
    BOOST_TEST(slurp(victim) == "untouched");
    BOOST_TEST(!fs::is_symlink(dir.path / "config.json"));
    BOOST_TEST(slurp(dir.path / "config.json").find("sk-secret-key-in-the-link-0000") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_link_in_place_of_the_config_is_not_read_through) {
    TempDir dir, elsewhere;
    const fs::path foreign = elsewhere.path / "foreign.json";
    { std::ofstream(foreign) << R"({"active_provider":"custom","providers":{"custom":{"api_base":"http://x/v1"}}})"; }
    fs::create_symlink(foreign, dir.path / "config.json");
    ConfigStore store(dir.path);
    BOOST_TEST(store.snapshot().providers.empty());
    BOOST_TEST(!fs::exists(fs::symlink_status(dir.path / "config.json")));  // moved aside
    store.update([](StoredConfig &c) { c.active_provider = "openai"; });
    BOOST_TEST(slurp(foreign).find("custom") != std::string::npos);  // never written through
}

BOOST_AUTO_TEST_CASE(a_state_dir_writable_by_group_or_others_is_refused) {
    for (fs::perms extra : {fs::perms::group_write, fs::perms::others_write}) {
        TempDir dir;
        fs::permissions(dir.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | extra);
        try {
            ConfigStore store(dir.path);
            BOOST_TEST(false, "a state dir writable by others was accepted");
        } catch (const std::runtime_error &e) {
            const std::string what = e.what();
            BOOST_TEST(what.find(dir.path.string()) != std::string::npos, what);
            BOOST_TEST(what.find("writable by group or others") != std::string::npos, what);
            BOOST_TEST(what.find("chmod 700") != std::string::npos, what);
        }
        // Refused, not repaired behind the operator's back.
        BOOST_TEST(((fs::status(dir.path).permissions() & extra) != fs::perms::none));
    }
}

BOOST_AUTO_TEST_CASE(a_state_dir_owned_by_another_user_is_refused) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("skipped: only root can give a directory to another user");
        return;
    }
    TempDir dir;
    fs::permissions(dir.path, fs::perms::owner_all);
    BOOST_REQUIRE(::chown(dir.path.c_str(), 65534, 65534) == 0);  // nobody
    try {
        ConfigStore store(dir.path);
        BOOST_TEST(false, "a state dir owned by nobody was accepted");
    } catch (const std::runtime_error &e) {
        const std::string what = e.what();
        BOOST_TEST(what.find(dir.path.string()) != std::string::npos, what);
        BOOST_TEST(what.find("owned by uid 65534") != std::string::npos, what);
    }
}

BOOST_AUTO_TEST_CASE(the_state_dir_is_created_or_narrowed_to_0700) {
    TempDir dir;
    const fs::path fresh = dir.path / "a" / "state";
    { ConfigStore store(fresh); }
    struct stat st {};
    BOOST_REQUIRE(::stat(fresh.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0700u);
    fs::permissions(fresh, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);  // 0755: readable, not writable
    { ConfigStore store(fresh); }
    BOOST_REQUIRE(::stat(fresh.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 07777) == 0700u);
}

BOOST_AUTO_TEST_SUITE_END()

// One rule for /config, /test and the chat path: a key binds to the base in
// effect after the change, and a changed base without a key drops the key.
BOOST_AUTO_TEST_CASE(a_key_given_binds_to_the_base_in_effect_after_the_change) {
    // The operator's environment moved the base: a key given alone goes there.
    Environment env{{"OPENAI_API_BASE", "https://gateway.example/v1"}};
    StoredConfig stored;
    apply_config_change(openai_like(), stored, env, ConfigOverrides{"sk-runtime-123456", std::nullopt, std::nullopt});
    auto c = resolve_provider_config(openai_like(), stored, env);
    BOOST_TEST(c.api_base.value == "https://gateway.example/v1");
    BOOST_TEST(c.api_key.value == "sk-runtime-123456");
    // Key and base together: the key goes to the new base.
    apply_config_change(openai_like(), stored, env,
                        ConfigOverrides{"sk-other-1234567", "https://other.example/v1", std::nullopt});
    c = resolve_provider_config(openai_like(), stored, env);
    BOOST_TEST(c.api_base.value == "https://other.example/v1");
    BOOST_TEST(c.api_key.value == "sk-other-1234567");
}

BOOST_AUTO_TEST_CASE(a_changed_base_without_a_key_drops_the_stored_key) {
    StoredConfig stored;
    apply_config_change(openai_like(), stored, Environment(), ConfigOverrides{"sk-runtime-123456", {}, {}});
    apply_config_change(openai_like(), stored, Environment(),
                        ConfigOverrides{std::nullopt, "https://elsewhere.example/v1", std::nullopt});
    BOOST_TEST(stored.providers["openai"].api_key.empty());
    auto c = resolve_provider_config(openai_like(), stored, Environment());
    BOOST_TEST(c.api_key.value.empty());
    // The same base again, or a model change, keeps a key.
    apply_config_change(openai_like(), stored, Environment(), ConfigOverrides{"sk-runtime-123456", {}, {}});
    apply_config_change(openai_like(), stored, Environment(),
                        ConfigOverrides{std::nullopt, "https://elsewhere.example/v1", "gpt-5-mini"});
    BOOST_TEST(resolve_provider_config(openai_like(), stored, Environment()).api_key.value == "sk-runtime-123456");
}

BOOST_AUTO_TEST_CASE(a_key_bound_to_another_base_is_named_not_called_missing) {
    StoredConfig stored;
    apply_config_change(openai_like(), stored, Environment(), ConfigOverrides{"sk-runtime-123456", {}, {}});
    // The base moves by hand-edited state (not through apply_config_change,
    // which would drop the key): the key stays bound to the old base.
    stored.providers["openai"].api_base = "https://elsewhere.example/v1";
    const auto c = resolve_provider_config(openai_like(), stored, Environment());
    BOOST_TEST(c.api_key.value.empty());
    BOOST_TEST(c.key_bound_to == "https://api.openai.com/v1");
    const auto why = missing_configuration(openai_like(), c);
    BOOST_TEST_REQUIRE(why.has_value());
    BOOST_TEST(why->find("belongs to https://api.openai.com/v1") != std::string::npos, *why);
    BOOST_TEST(why->find("has no API key") == std::string::npos, *why);
    BOOST_TEST(why->find("sk-runtime") == std::string::npos, *why);
    // An environment key with a runtime base of another host: named too.
    Environment env{{"OPENAI_API_KEY", "sk-env-key-123456"}};
    StoredConfig moved;
    moved.providers["openai"].api_base = "https://elsewhere.example/v1";
    const auto e = resolve_provider_config(openai_like(), moved, env);
    BOOST_TEST(e.key_bound_to == "https://api.openai.com/v1");
}
