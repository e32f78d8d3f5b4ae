// The custom (OpenAI-compatible) plugin through the C ABI, plus sanity checks
// of the test plugins in test-plugins/ that the loader suites rely on.
#define BOOST_TEST_MODULE custom_plugin
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <filesystem>

#include "plugin_harness.hpp"
#include "spec_request_dump.hpp"

namespace json = boost::json;
using namespace sbtest;

namespace {

const std::string kKey = "custom-secret-key-0123456789";
const std::string kBase = "http://127.0.0.1:11434/v1/";
const std::string kChat = R"({"model":"grok-3-mini","messages":[{"role":"user","content":"Say a single word."}]})";

Plugin &plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

std::string test_plugin(const std::string &name) { return std::string(SB_TEST_PLUGINS_DIR) + "/" + name; }

}  // namespace

// Exports and runtime dependencies: plugin_binaries_test.cpp.

BOOST_AUTO_TEST_CASE(descriptor) {
    const auto &d = plugin().descriptor();
    BOOST_TEST(sv(d.id) == "custom");
    BOOST_TEST(sv(d.display_name) == "Custom (OpenAI-compatible)");
    BOOST_TEST(d.default_model.len == 0u);
    BOOST_TEST(d.default_api_base.len == 0u);
    BOOST_TEST(sv(d.env_api_key) == "CUSTOM_API_KEY");
    BOOST_TEST(sv(d.env_model) == "CUSTOM_MODEL");
    BOOST_TEST(sv(d.env_api_base) == "CUSTOM_API_BASE");
    BOOST_TEST((d.capabilities & SB_CAP_REQUIRES_API_KEY) == 0u);
    BOOST_TEST((d.capabilities & SB_CAP_STREAMING) != 0u);
    BOOST_TEST((d.capabilities & SB_CAP_MODEL_LISTING) != 0u);
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
}

// The host resolves base and model before it calls a plugin (ABI 1.2): the
// plugin sends to the base it is given and names the model it is given,
// whatever model the body asked for.
BOOST_AUTO_TEST_CASE(uses_the_host_resolved_base_and_model) {
    Config c("", "http://127.0.0.1:9/other/", "qwen3");
    auto r = plugin().build_chat(c, kChat, true);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.request.url == "http://127.0.0.1:9/other/chat/completions");
    auto b = json::parse(r.request.body).as_object();
    BOOST_TEST(b.at("model").as_string() == "qwen3");
    BOOST_TEST(b.at("stream").as_bool());
    auto m = plugin().build_models(c);
    BOOST_REQUIRE(m.status == SB_OK);
    BOOST_TEST(m.request.url == "http://127.0.0.1:9/other/models");
}

BOOST_AUTO_TEST_CASE(no_key_no_authorization) {
    Config c("", kBase, "llama3");
    auto r = plugin().build_chat(c, kChat, false);
    BOOST_REQUIRE(r.status == SB_OK);
    dump_spec_request("custom", "no_key_no_authorization", "/chat/completions", "post", r.request.body);
    BOOST_TEST(r.request.url == "http://127.0.0.1:11434/v1/chat/completions");
    BOOST_TEST(!r.request.has_header("Authorization"));
    BOOST_TEST(json::parse(r.request.body).at("model").as_string() == "llama3");
    auto m = plugin().build_models(c);
    BOOST_REQUIRE(m.status == SB_OK);
    BOOST_TEST(m.request.url == "http://127.0.0.1:11434/v1/models");
    BOOST_TEST(!m.request.has_header("Authorization"));
}

BOOST_AUTO_TEST_CASE(key_goes_in_authorization_only) {
    Config c(kKey, kBase, "grok-3-mini");
    auto r = plugin().build_chat(c, kChat, true);
    BOOST_REQUIRE(r.status == SB_OK);
    dump_spec_request("custom", "key_goes_in_authorization_only", "/chat/completions", "post", r.request.body);
    BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
    BOOST_TEST(!contains(r.request.url, kKey));
    BOOST_TEST(!contains(r.request.body, kKey));
    auto b = json::parse(r.request.body).as_object();
    BOOST_TEST(b.at("stream").as_bool());
    BOOST_TEST(b.at("stream_options").at("include_usage").as_bool());
}

BOOST_AUTO_TEST_CASE(response_passes_through) {
    Config c("", kBase, "grok-3-mini");
    std::string body = fixture("openai/xai-text.json");
    auto r = plugin().parse_chat(c, 200, body);
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.body == body);
}

BOOST_AUTO_TEST_CASE(errors_are_classified) {
    Config c("", kBase, "grok-3-mini");
    auto r = plugin().parse_chat(c, 404, fixture("openai/error-404-html.html"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = plugin().parse_chat(c, 404, R"({"error":"model 'grok-3-mini' not found, try pulling it first"})");
    BOOST_TEST(r.error.kind == SB_ERROR_MODEL_NOT_FOUND);
    BOOST_TEST(r.error.message == "model 'grok-3-mini' not found, try pulling it first");
    r = plugin().parse_chat(c, 200, "It works!");
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    BOOST_TEST(contains(r.error.message, "not with an OpenAI-compatible response"));
    r = plugin().parse_chat(c, 401, fixture("openai/error-401-invalid-api-key.json"));
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    r = plugin().parse_chat(c, 502, "<html>Bad Gateway</html>");
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(r.error.http_status == 502);
}

BOOST_AUTO_TEST_CASE(recorded_streams_pass_through) {
    for (std::string f : {"openai/xai-text.chunks.txt", "openai/xai-tool-call.chunks.txt"}) {
        auto lines = fixture_lines(f);
        auto events = lines;
        events.push_back("[DONE]");
        Config c("", kBase, "grok-3-mini");
        auto r = plugin().stream(c, kChat, events);
        BOOST_TEST_CONTEXT(f) {
            BOOST_TEST(r.status == SB_STREAM_END);
            BOOST_TEST(r.chunks == lines);
            BOOST_TEST(json::parse(r.chunks.back()).at("usage").is_object());
        }
    }
}

BOOST_AUTO_TEST_CASE(models_response) {
    Config c("", kBase, "");
    auto r = plugin().parse_models(c, 200, fixture("openai/models.json"));
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.ids == (std::vector<std::string>{"model-id-0", "model-id-1", "model-id-2"}));
}

// ------------------------------------------------------ test-plugins sanity

BOOST_AUTO_TEST_SUITE(test_plugins)

BOOST_AUTO_TEST_CASE(c_echo) {
    const std::string path = test_plugin("c_echo.so");
    BOOST_TEST(exported_symbols(path) == std::vector<std::string>{"switchboard_plugin_entry"});
    for (const auto &l : needed_libraries(path)) BOOST_TEST((sbtest::kSanitizedBuild || !contains(l, "libstdc++")), l);
    Plugin p(path);
    BOOST_TEST(sv(p.descriptor().id) == "cecho");
    BOOST_TEST(sv(p.descriptor().display_name) == "C Echo");
    BOOST_TEST(sv(p.descriptor().plugin_version) == "1.0.0");
    BOOST_TEST(p.descriptor().capabilities == SB_CAP_MODEL_LISTING);
    BOOST_TEST(sv(p.descriptor().env_api_base) == "CECHO_API_BASE");
    Config c("", "http://127.0.0.1:9/v1/", "echo");
    auto r = p.build_chat(c, kChat, false);
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.request.url == "http://127.0.0.1:9/v1/chat/completions");
    BOOST_TEST(r.request.body == kChat);
    BOOST_TEST(!r.request.has_header("Authorization"));
    Config k("k1", "http://h/v1", "echo");
    BOOST_TEST(p.build_chat(k, kChat, false).request.header("Authorization") == "Bearer k1");
    auto ok = p.parse_chat(c, 200, "{\"anything\":1}");
    BOOST_TEST(ok.status == SB_OK);
    BOOST_TEST(ok.body == "{\"anything\":1}");
    auto e = p.parse_chat(c, 429, "x");
    BOOST_TEST(e.status == SB_ERR_UPSTREAM);
    BOOST_TEST(e.error.kind == SB_ERROR_RATE_LIMITED);
    BOOST_TEST(e.error.message == "cecho upstream returned HTTP 429");
    BOOST_TEST(p.parse_chat(c, 404, "x").error.kind == SB_ERROR_MODEL_NOT_FOUND);
    BOOST_TEST(p.parse_chat(c, 401, "x").error.kind == SB_ERROR_INVALID_API_KEY);
    BOOST_TEST(p.parse_chat(c, 500, "x").error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(p.stream(c, kChat, {}).status == SB_ERR_UNSUPPORTED);
    auto m = p.build_models(c);
    BOOST_TEST(m.request.method == "GET");
    BOOST_TEST(m.request.url == "http://127.0.0.1:9/v1/models");
    auto ids = p.parse_models(c, 200, fixture("openai/models.json"));
    BOOST_TEST(ids.ids == (std::vector<std::string>{"model-id-0", "model-id-1", "model-id-2"}));
}

BOOST_AUTO_TEST_CASE(newer_minor) {
    const std::string path = test_plugin("newer_minor.so");
    Plugin p(path);
    BOOST_TEST(sv(p.descriptor().id) == "newer");
    BOOST_TEST(p.table().abi_major == 1u);
    BOOST_TEST(p.table().abi_minor == 7u);
    BOOST_TEST(p.table().struct_size > sizeof(sb_plugin));
    BOOST_TEST(p.descriptor().struct_size > sizeof(sb_provider_descriptor));
    Config c("", "http://h/v1", "m");
    BOOST_TEST(p.build_chat(c, kChat, false).request.url == "http://h/v1/chat/completions");
}

BOOST_AUTO_TEST_CASE(wrong_major) {
    void *h = dlopen(test_plugin("wrong_major.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    BOOST_REQUIRE(h);
    auto entry = reinterpret_cast<sb_entry_fn>(dlsym(h, SB_ENTRY_SYMBOL));
    BOOST_REQUIRE(entry);
    const sb_plugin *t = nullptr;
    BOOST_TEST(entry(nullptr, 1, 1, &t) == SB_ERR_VERSION);
    BOOST_TEST(entry(nullptr, 1, 2, &t) == SB_OK);
    BOOST_REQUIRE(t);
    BOOST_TEST(t->abi_major == 2u);
    dlclose(h);
}

BOOST_AUTO_TEST_CASE(init_fails) {
    void *h = dlopen(test_plugin("init_fails.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    BOOST_REQUIRE(h);
    auto entry = reinterpret_cast<sb_entry_fn>(dlsym(h, SB_ENTRY_SYMBOL));
    const sb_plugin *t = nullptr;
    BOOST_REQUIRE(entry(nullptr, 1, 1, &t) == SB_OK);
    Error e;
    sb_error_sink es = Plugin::error_sink(e);
    BOOST_TEST(t->init(nullptr, &es) != SB_OK);
    BOOST_TEST(e.message == "init refused: missing resource");
    dlclose(h);
}

BOOST_AUTO_TEST_CASE(no_entry_and_not_a_library) {
    const std::string ne = test_plugin("no_entry.so");
    void *h = dlopen(ne.c_str(), RTLD_NOW | RTLD_LOCAL);
    BOOST_REQUIRE(h);
    BOOST_TEST(dlsym(h, SB_ENTRY_SYMBOL) == nullptr);
    BOOST_TEST(dlsym(h, "switchboard_not_the_entry") != nullptr);
    dlclose(h);
    const std::string nal = test_plugin("not_a_library.so");
    BOOST_TEST(std::filesystem::exists(nal));
    BOOST_TEST(dlopen(nal.c_str(), RTLD_NOW | RTLD_LOCAL) == nullptr);
}

BOOST_AUTO_TEST_CASE(duplicate_openai) {
    const std::string path = test_plugin("duplicate_openai.so");
    BOOST_TEST(exported_symbols(path) == std::vector<std::string>{"switchboard_plugin_entry"});
    Plugin p(path);
    BOOST_TEST(sv(p.descriptor().id) == "openai");
    Config c("k", "http://h/v1", "m");
    auto r = p.build_chat(c, kChat, false);
    BOOST_TEST(r.status == SB_ERR_UNSUPPORTED);
    BOOST_TEST(r.error.reported);
}

BOOST_AUTO_TEST_SUITE_END()
