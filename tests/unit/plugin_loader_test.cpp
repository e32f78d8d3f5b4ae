#define BOOST_TEST_MODULE plugin_loader
#include <boost/test/unit_test.hpp>

#include "core/errors.hpp"
#include "core/plugin/plugin_library.hpp"
#include "core/plugin/provider_registry.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

using namespace sb::core;
namespace fs = std::filesystem;

namespace {

const fs::path kTestPlugins = SB_TEST_PLUGINS_DIR;
const fs::path kPlugins = SB_PLUGINS_DIR;

std::string refusal_reason(const fs::path &file) {
    try {
        PluginLibrary::load(file);
    } catch (const PluginLoadError &e) {
        return e.what();
    }
    return {};
}

struct PluginsDir {
    fs::path path;
    explicit PluginsDir(std::initializer_list<fs::path> files) {
        path = fs::temp_directory_path() / ("sb-loader-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
        for (const auto &f : files) fs::copy_file(f, path / f.filename());
    }
    ~PluginsDir() { fs::remove_all(path); }
};

bool contains(const std::string &text, std::string_view needle) { return text.find(needle) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(loads_plain_c_plugin_and_reads_its_descriptor) {
    auto lib = PluginLibrary::load(kTestPlugins / "c_echo.so");
    LoadedProvider provider(lib);
    BOOST_TEST(provider.id() == "cecho");
    BOOST_TEST(provider.info().env_api_base == "CECHO_API_BASE");
    BOOST_TEST(lib->abi_version() == std::to_string(SB_ABI_VERSION_MAJOR) + "." + std::to_string(SB_ABI_VERSION_MINOR));
}

BOOST_AUTO_TEST_CASE(loads_plugin_with_newer_minor_version_and_larger_tables) {
    auto lib = PluginLibrary::load(kTestPlugins / "newer_minor.so");
    BOOST_TEST(lib->table().abi_minor > SB_ABI_VERSION_MINOR);
    BOOST_TEST(lib->table().struct_size > sizeof(sb_plugin));
    LoadedProvider provider(lib);
    BOOST_TEST(provider.id() == "newer");
}

BOOST_AUTO_TEST_CASE(loads_plugin_with_older_minor_version_and_smaller_tables) {
    auto lib = PluginLibrary::load(kTestPlugins / "older_minor.so");
    BOOST_TEST(lib->abi_version() == "1.0");
    BOOST_TEST(lib->table().struct_size < sizeof(sb_plugin));
    LoadedProvider provider(lib);
    BOOST_TEST(provider.id() == "older");
    // The host must not read self_check past the older table's end.
    BOOST_TEST(!provider.self_check().has_value());
    EffectiveConfig config{"", "http://127.0.0.1:9/v1", "m"};
    UpstreamRequest req = provider.build_chat_request(config, R"({"model":"m","messages":[]})", false);
    BOOST_TEST(req.url == "http://127.0.0.1:9/v1/chat/completions");
}

BOOST_AUTO_TEST_CASE(current_plugins_run_their_self_check) {
    LoadedProvider provider(PluginLibrary::load(kPlugins / "switchboard-openai.so"));
    auto result = provider.self_check();
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(result->empty());
}

BOOST_AUTO_TEST_CASE(refuses_plugin_with_wrong_major_version) {
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "wrong_major.so"), "ABI major version"));
}

BOOST_AUTO_TEST_CASE(refuses_library_without_entry_symbol) {
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "no_entry.so"), "missing entry symbol switchboard_plugin_entry"));
}

BOOST_AUTO_TEST_CASE(refuses_file_that_is_not_a_shared_library) {
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "not_a_library.so"), "not a shared library"));
}

BOOST_AUTO_TEST_CASE(refuses_plugin_whose_init_fails_with_its_message) {
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "init_fails.so"), "init refused: missing resource"));
}

BOOST_AUTO_TEST_CASE(directory_load_refuses_duplicates_and_keeps_the_rest) {
    PluginsDir dir({kPlugins / "switchboard-openai.so", kTestPlugins / "duplicate_openai.so",
                    kTestPlugins / "c_echo.so", kTestPlugins / "wrong_major.so",
                    kTestPlugins / "not_a_library.so"});
    ProviderSet set = load_plugins_dir(dir.path);
    BOOST_TEST(set.providers.size() == 2u);
    BOOST_TEST(set.find("openai") != nullptr);
    BOOST_TEST(set.find("cecho") != nullptr);
    BOOST_TEST(set.refused.size() == 3u);
    bool duplicate_reported = false;
    for (const auto &r : set.refused)
        duplicate_reported = duplicate_reported || contains(r.reason, "duplicate provider id 'openai'");
    BOOST_TEST(duplicate_reported);
}

BOOST_AUTO_TEST_CASE(library_stays_loaded_while_a_provider_uses_it) {
    std::shared_ptr<const LoadedProvider> provider;
    {
        ProviderSet set = load_plugins_dir(kPlugins);
        provider = set.find("openai");
    }
    BOOST_REQUIRE(provider);
    // The set is gone; the provider still calls into the library safely.
    EffectiveConfig config{"sk-test-key-abcdefgh1234", "http://127.0.0.1:9/v1", "gpt-4o"};
    UpstreamRequest req = provider->build_chat_request(
        config, R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})", false);
    BOOST_TEST(req.url == "http://127.0.0.1:9/v1/chat/completions");
}

BOOST_AUTO_TEST_CASE(plugin_errors_become_classified_gateway_errors) {
    auto provider = std::make_shared<LoadedProvider>(PluginLibrary::load(kPlugins / "switchboard-openai.so"));
    EffectiveConfig config{"sk-test-SECRET-abcdefghijklmnop1234", "http://127.0.0.1:9/v1", "gpt-4o"};
    UpstreamResponse response;
    response.status = 401;
    response.headers = {{"Content-Type", "application/json"}};
    response.body = R"({"error":{"message":"Incorrect API key provided: sk-test-SECRET-abcdefghijklmnop1234.",)"
                    R"("type":"invalid_request_error","code":"invalid_api_key"}})";
    try {
        provider->parse_chat_response(config, response);
        BOOST_FAIL("expected an error");
    } catch (const GatewayError &e) {
        BOOST_TEST(e.code() == ErrorCode::invalid_api_key);
        BOOST_TEST(e.provider() == "openai");
        BOOST_TEST(std::string(e.what()).find("SECRET") == std::string::npos);
    }
}

// Issue #15, item 6: who may have written a plugin decides whether it is
// loaded at all; a file that failed is not loaded again until it changes.
BOOST_AUTO_TEST_SUITE(plugin_trust)

namespace {

const RefusedPlugin *refusal_of(const ProviderSet &set, const fs::path &file) {
    for (const auto &r : set.refused)
        if (r.file == file) return &r;
    return nullptr;
}

constexpr fs::perms k755 = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec;

}  // namespace

BOOST_AUTO_TEST_CASE(refuses_a_plugin_file_writable_by_group_or_others) {
    for (fs::perms extra : {fs::perms::group_write, fs::perms::others_write}) {
        PluginsDir dir({kTestPlugins / "c_echo.so"});
        const fs::path file = dir.path / "c_echo.so";
        fs::permissions(file, k755 | extra);
        BOOST_TEST(contains(refusal_reason(file), "writable by group or others"), refusal_reason(file));
        ProviderSet set = load_plugins_dir(dir.path);
        BOOST_TEST(set.providers.empty());
        const RefusedPlugin *r = refusal_of(set, file);
        BOOST_REQUIRE(r);
        BOOST_TEST(contains(r->reason, "writable by group or others"), r->reason);
        // Fixing the mode (which leaves inode, size and mtime alone) is enough.
        fs::permissions(file, k755);
        BOOST_TEST(load_plugins_dir(dir.path, &set).find("cecho") != nullptr);
    }
}

BOOST_AUTO_TEST_CASE(refuses_every_plugin_of_a_directory_writable_by_others) {
    PluginsDir dir({kTestPlugins / "c_echo.so"});
    fs::permissions(dir.path, k755 | fs::perms::others_write);
    ProviderSet set = load_plugins_dir(dir.path);
    fs::permissions(dir.path, k755);
    BOOST_TEST(set.providers.empty());
    const RefusedPlugin *r = refusal_of(set, dir.path / "c_echo.so");
    BOOST_REQUIRE(r);
    BOOST_TEST(contains(r->reason, "plugins directory " + dir.path.string()), r->reason);
    BOOST_TEST(contains(r->reason, "writable by group or others (mode 0757)"), r->reason);
}

BOOST_AUTO_TEST_CASE(refuses_a_plugin_owned_by_another_user) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("skipped: only root can give a file to another user");
        return;
    }
    PluginsDir dir({kTestPlugins / "c_echo.so"});
    const fs::path file = dir.path / "c_echo.so";
    BOOST_REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);  // nobody
    BOOST_TEST(contains(refusal_reason(file), "owned by uid 65534, not by root or the daemon's user"),
               refusal_reason(file));
    BOOST_TEST(load_plugins_dir(dir.path).providers.empty());
    BOOST_REQUIRE(::chown(dir.path.c_str(), 65534, 65534) == 0);
    BOOST_REQUIRE(::chown(file.c_str(), 0, 0) == 0);
    BOOST_TEST(contains(refusal_reason(file), "plugins directory"), refusal_reason(file));
}

BOOST_AUTO_TEST_CASE(refuses_a_link_that_leaves_the_plugins_directory) {
    PluginsDir dir({}), elsewhere({kTestPlugins / "c_echo.so"});
    fs::create_symlink(elsewhere.path / "c_echo.so", dir.path / "c_echo.so");
    ProviderSet set = load_plugins_dir(dir.path);
    BOOST_TEST(set.providers.empty());
    const RefusedPlugin *r = refusal_of(set, dir.path / "c_echo.so");
    BOOST_REQUIRE(r);
    BOOST_TEST(contains(r->reason, "outside the plugins directory"), r->reason);
    // A link that stays inside is fine.
    fs::create_directories(dir.path / "versions");
    fs::copy_file(kTestPlugins / "older_minor.so", dir.path / "versions" / "older-1.0.so");
    fs::create_symlink(dir.path / "versions" / "older-1.0.so", dir.path / "older.so");
    BOOST_TEST(load_plugins_dir(dir.path).find("older") != nullptr);
}

BOOST_AUTO_TEST_CASE(a_refused_file_is_not_loaded_again_until_it_changes) {
    PluginsDir dir({kTestPlugins / "wrong_major.so"});
    const fs::path file = dir.path / "wrong_major.so";
    ProviderSet first = load_plugins_dir(dir.path);
    const RefusedPlugin *r = refusal_of(first, file);
    BOOST_REQUIRE(r);
    BOOST_TEST(contains(r->reason, "ABI major version"), r->reason);
    // Overwrite the bytes in place, keeping inode, size and mtime: a reload
    // that loaded the file again would now see no ELF header.
    const auto mtime = fs::last_write_time(file);
    const auto size = fs::file_size(file);
    { std::ofstream(file, std::ios::binary | std::ios::in | std::ios::out) << std::string(size, '\0'); }
    fs::last_write_time(file, mtime);
    ProviderSet second = load_plugins_dir(dir.path, &first);
    r = refusal_of(second, file);
    BOOST_REQUIRE(r);
    BOOST_TEST(contains(r->reason, "ABI major version"), r->reason);  // the first verdict, not a new load
    // Once it changes it is tried again.
    fs::last_write_time(file, mtime + std::chrono::seconds(1));
    ProviderSet third = load_plugins_dir(dir.path, &second);
    r = refusal_of(third, file);
    BOOST_REQUIRE(r);
    BOOST_TEST(contains(r->reason, "not a shared library"), r->reason);
}

BOOST_AUTO_TEST_SUITE_END()
