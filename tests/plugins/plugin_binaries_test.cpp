// The rules every in-tree plugin binary follows, checked for all of them at
// once: exactly one exported symbol, its own C++ runtime (no libstdc++ or
// Boost dependency), major-version negotiation, and a descriptor whose id
// matches the file name.
#define BOOST_TEST_MODULE plugin_binaries
#include <boost/test/unit_test.hpp>

#include "plugin_harness.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace sbtest;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> in_tree_plugins() {
    std::vector<fs::path> out;
    for (const auto &e : fs::directory_iterator(SB_PLUGINS_DIR))
        if (e.path().extension() == ".so") out.push_back(e.path());
    return out;
}

bool contains(const std::string &s, std::string_view needle) { return s.find(needle) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(every_in_tree_plugin_is_built) {
    BOOST_TEST(in_tree_plugins().size() >= 7u);
}

BOOST_AUTO_TEST_CASE(each_exports_only_the_entry_symbol) {
    for (const auto &p : in_tree_plugins())
        BOOST_TEST((exported_symbols(p.string()) == std::vector<std::string>{"switchboard_plugin_entry"}), p);
}

BOOST_AUTO_TEST_CASE(each_carries_its_own_cxx_runtime) {
    for (const auto &p : in_tree_plugins()) {
        auto libs = needed_libraries(p.string());
        BOOST_TEST(!libs.empty(), p);
        for (const auto &l : libs) {
            BOOST_TEST((kSanitizedBuild || !contains(l, "libstdc++")), p << ": " << l);
            BOOST_TEST(!contains(l, "libboost"), p << ": " << l);
        }
    }
}

BOOST_AUTO_TEST_CASE(each_negotiates_major_1_and_names_itself_after_its_file) {
    for (const auto &p : in_tree_plugins()) {
        void *handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
        BOOST_REQUIRE_MESSAGE(handle, p << ": " << dlerror());
        auto entry = reinterpret_cast<sb_entry_fn>(dlsym(handle, SB_ENTRY_SYMBOL));
        BOOST_REQUIRE(entry);
        sb_host_info host{};
        host.struct_size = sizeof host;
        const sb_plugin *t = nullptr;
        BOOST_TEST(entry(&host, 2, 3, &t) == SB_ERR_VERSION, p);
        BOOST_TEST(entry(&host, 1, 9, &t) == SB_OK, p);
        BOOST_REQUIRE(t);
        BOOST_TEST(t->abi_major == 1u, p);
        BOOST_TEST(t->struct_size >= sizeof(sb_plugin), p);
        BOOST_TEST(t->descriptor->struct_size >= sizeof(sb_provider_descriptor), p);
        BOOST_TEST("switchboard-" + sv(t->descriptor->id) + ".so" == p.filename().string());
        dlclose(handle);
    }
}

// Boost.JSON reads 1e999 as an infinity and would write it back as the
// non-JSON token "Infinity": a client number out of range is refused, and an
// upstream one never reaches the client as invalid JSON.
BOOST_AUTO_TEST_CASE(each_refuses_a_request_number_out_of_range) {
    for (const auto &p : in_tree_plugins()) {
        Plugin plugin(p.string());
        Config cfg("sk-test", "https://vendor.example.test", "m");
        auto r = plugin.build_chat(
            cfg, R"({"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1e999})", false);
        BOOST_TEST(r.status != SB_OK, p);
        BOOST_TEST(r.error.kind == SB_ERROR_INVALID_REQUEST, p);
        BOOST_TEST(contains(r.error.message, "out of range"), p << ": " << r.error.message);
    }
}

// The host validates the body before a plugin sees it, so plugins no longer
// check its shape. A body that breaks that promise never crashes a plugin:
// one that is not a JSON object ends in one error report through the sdk's
// firewall; an object without messages is refused the same way, or passed
// through untouched by a plugin that never reads them.
BOOST_AUTO_TEST_CASE(each_survives_a_body_the_host_would_have_refused) {
    for (const auto &p : in_tree_plugins()) {
        Plugin plugin(p.string());
        Config cfg("sk-test", "https://vendor.example.test", "m");
        for (std::string bad : {"{not json", "[1]"}) {
            auto r = plugin.build_chat(cfg, bad, false);
            BOOST_TEST(r.status != SB_OK, p << ": " << bad);
            BOOST_TEST(r.error.reports == 1, p << ": " << bad);
        }
        for (std::string bad : {R"({"model":"m"})", R"({"messages":"hi"})"}) {
            auto r = plugin.build_chat(cfg, bad, false);
            BOOST_TEST((r.status == SB_OK) == (r.error.reports == 0), p << ": " << bad);
        }
    }
}

BOOST_AUTO_TEST_CASE(openai_dialect_plugins_never_emit_infinity) {
    const std::string reply =
        R"({"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,)"
        R"("message":{"role":"assistant","content":"hi"},"finish_reason":"stop","score":-1e999}],)"
        R"("usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"cost":1e999}})";
    for (const char *id : {"openai", "custom", "mistral", "together"}) {
        Plugin plugin(std::string(SB_PLUGINS_DIR) + "/switchboard-" + id + ".so");
        Config cfg("sk-test", "https://vendor.example.test", "m");
        auto r = plugin.parse_chat(cfg, 200, reply);
        BOOST_REQUIRE_MESSAGE(r.status == SB_OK, id << ": " << r.error.message);
        BOOST_TEST(!contains(r.body, "Infinity"), id << ": " << r.body);
        auto s = plugin.stream(cfg, R"({"model":"m","messages":[{"role":"user","content":"hi"}]})",
                               {R"({"id":"x","object":"chat.completion.chunk","created":1,"model":"m",)"
                                R"("choices":[],"usage":{"prompt_tokens":1e999,"completion_tokens":1}})",
                                "[DONE]"});
        for (const auto &c : s.chunks) BOOST_TEST(!contains(c, "Infinity"), id << ": " << c);
    }
}
