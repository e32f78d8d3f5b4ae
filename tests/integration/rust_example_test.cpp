// The ABI is language-neutral: the Rust example plugin
// (sdk/examples/rust_openai_compat, built by rustc from the C header alone)
// matches the C tables byte for byte, and the real daemon serves it against a
// mock OpenAI-compatible vendor, in process and isolated in a helper process:
// chats plain and streamed, errors classified, token counts through the typed
// usage report, and the key written by the host, never seen by the plugin.
#define BOOST_TEST_MODULE switchboard_rust_example
#include "integration/integration_fixture.hpp"
#include "support/child_command.hpp"
#include <switchboard/provider_abi.h>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <dlfcn.h>

#include <chrono>
#include <iostream>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const fs::path rust_plugin = SB_RUST_EXAMPLE_PLUGIN;
const std::string provider = "rust_openai_compat";
const std::string api_key = "sk-rust-example-key-0123456789";

std::string_view view(sb_str s) { return s.len ? std::string_view(s.ptr, s.len) : std::string_view(); }

// The daemon with only the Rust plugin in its plugins dir, configured for the
// mock vendor through the plugin's environment variables.
struct RustDaemon {
    TempDir tmp{"sb-rust-example"};
    MockOpenAiUpstream mock;
    std::unique_ptr<DaemonProcess> daemon;

    explicit RustDaemon(std::vector<std::string> extra_args = {}) {
        const fs::path plugins = tmp.subdir("plugins");
        fs::copy_file(rust_plugin, plugins / rust_plugin.filename());
        DaemonOptions options;
        options.plugins_dir = plugins;
        options.state_dir = tmp.subdir("state");
        options.home_dir = tmp.path() / "home";
        options.env = {{"RUST_OPENAI_COMPAT_API_KEY", api_key},
                       {"RUST_OPENAI_COMPAT_API_BASE", mock.base_url()},
                       {"RUST_OPENAI_COMPAT_MODEL", "gpt-4o-mini"},
                       {"LLM_PROVIDER", provider}};
        options.extra_args = std::move(extra_args);
        daemon = std::make_unique<DaemonProcess>(std::move(options));
    }
    ~RustDaemon() {
        try {
            auto id = utf::framework::current_test_case().p_id;
            if (!utf::results_collector.results(id).passed())
                std::cerr << "---- daemon log ----\n" << daemon->log_text() << "---- end of daemon log ----\n";
        } catch (...) {
        }
        daemon->stop(std::chrono::milliseconds{2'000});
    }
    TestHttpClient client() const { return TestHttpClient("127.0.0.1", daemon->port()); }

    // Whether the daemon process itself has the plugin mapped.
    bool plugin_mapped_in_daemon() const {
        return read_text_file("/proc/" + std::to_string(daemon->pid()) + "/maps")
                   .find(rust_plugin.filename().string()) != std::string::npos;
    }
};

// The tokens counter of the provider's gpt-4o-mini in direction, or -1.
long tokens(const std::string &metrics, std::string_view direction) {
    const std::string series = "switchboard_tokens_total{provider=\"" + provider +
                               "\",model=\"gpt-4o-mini\",direction=\"" + std::string(direction) + "\"} ";
    auto at = metrics.find(series);
    return at == std::string::npos ? -1 : std::stol(metrics.substr(at + series.size()));
}

std::size_t count_headers(const RecordedRequest &r, std::string_view name) {
    std::size_t n = 0;
    for (const auto &[k, v] : r.headers)
        if (boost::iequals(k, name)) ++n;
    return n;
}

// What the vendor must have received for every chat: the host's credential,
// exactly once, and the client's body with the vendor model.
void check_vendor_request(const RecordedRequest &sent) {
    BOOST_TEST(sent.method == "POST");
    BOOST_TEST(sent.target == "/v1/chat/completions");
    BOOST_TEST(sent.header("Authorization") == "Bearer " + api_key);
    BOOST_TEST(count_headers(sent, "authorization") == 1u);
    BOOST_TEST(text(parse_json(sent.body), "model") == "gpt-4o-mini", sent.body);
}

// Every behaviour the example shows, against one running daemon.
void serves_through_the_rust_plugin(RustDaemon &d) {
    const TestHttpClient c = d.client();

    // Listed, loaded as ABI 1.4, and trusted with no key.
    auto listed = c.get(providers_path);
    BOOST_TEST_REQUIRE(listed.status == 200u, listed.body);
    const json::value doc = listed.json();
    BOOST_TEST(array_size(doc, "refused") == 0, listed.body);
    const json::object *p = find_in(find(doc, "providers"), "id", provider);
    BOOST_TEST_REQUIRE(p != nullptr, listed.body);
    const json::value entry(*p);
    BOOST_TEST(is_false(entry, "sees_keys"), listed.body);
    BOOST_TEST(text(entry, "abi_version") == "1.4", listed.body);
    BOOST_TEST(is_true(entry, "capabilities.streaming"), listed.body);
    BOOST_TEST(is_true(entry, "api_key_set"), listed.body);

    // A plain chat: the vendor's answer passes through.
    auto plain = c.post_json(chat_path, chat_body(provider + "/gpt-4o-mini"));
    BOOST_TEST_REQUIRE(plain.status == 200u, plain.body);
    BOOST_TEST(text(plain.json(), "choices.0.message.content") == "pong", plain.body);
    BOOST_TEST(plain.header("x-switchboard-provider") == provider);
    auto sent = d.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    check_vendor_request(*sent);
    BOOST_TEST(find(parse_json(sent->body), "stream_options") == nullptr, sent->body);

    // A streamed chat: SSE chunks pass through, [DONE] ends, usage asked for.
    json::object body = chat_body(provider + "/gpt-4o-mini");
    body["stream"] = true;
    auto streamed = c.post_json(chat_path, body);
    BOOST_TEST_REQUIRE(streamed.status == 200u, streamed.body);
    BOOST_TEST(streamed.header("Content-Type").find("text/event-stream") != std::string::npos);
    BOOST_TEST(streamed.body.find("\"po\"") != std::string::npos, streamed.body);
    BOOST_TEST(streamed.body.find("\"ng\"") != std::string::npos, streamed.body);
    BOOST_TEST(streamed.body.find("\"prompt_tokens\":5") != std::string::npos, streamed.body);
    BOOST_TEST(streamed.body.find("data: [DONE]") != std::string::npos, streamed.body);
    sent = d.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    check_vendor_request(*sent);
    BOOST_TEST(is_true(parse_json(sent->body), "stream_options.include_usage"), sent->body);

    // Both exchanges counted from the typed usage reports (5 in, 1 out each).
    // A stream is counted once its body has gone out: wait for it, boundedly.
    auto metrics = c.get("/metrics");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (tokens(metrics.body, "out") != 2 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        metrics = c.get("/metrics");
    }
    BOOST_TEST(tokens(metrics.body, "in") == 10, metrics.body);
    BOOST_TEST(tokens(metrics.body, "out") == 2, metrics.body);

    // Errors, classified by the plugin from the vendor's status.
    check_error(c.post_json(chat_path, chat_body(provider + "/missing-model")), 404, "not_found_error",
                "model_not_found");
    check_error(c.post_json(chat_path, chat_body(provider + "/boom-model")), 502, "upstream_error");

    // A key changed at run time goes where the plugin declared, and the
    // vendor's message quoting it comes back redacted.
    const std::string bad_key = "sk-bad-rust-example-key-987654321";
    auto set = c.post_json(config_path, json::object{{"provider", provider}, {"api_key", bad_key}});
    BOOST_TEST_REQUIRE(set.status == 200u, set.body);
    auto refused = c.post_json(chat_path, chat_body(provider + "/gpt-4o-mini"));
    check_error(refused, 401, "authentication_error", "invalid_api_key");
    BOOST_TEST(refused.body.find(bad_key) == std::string::npos, refused.body);
    sent = d.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->header("Authorization") == "Bearer " + bad_key);

    auto set_limited = c.post_json(config_path, json::object{{"provider", provider}, {"api_key", "sk-ratelimited"}});
    BOOST_TEST_REQUIRE(set_limited.status == 200u, set_limited.body);
    check_error(c.post_json(chat_path, chat_body(provider + "/gpt-4o-mini")), 429, "rate_limit_error");

    // The model list, through the plugin's model-listing functions.
    auto set_good = c.post_json(config_path, json::object{{"provider", provider}, {"api_key", api_key}});
    BOOST_TEST_REQUIRE(set_good.status == 200u, set_good.body);
    auto models = c.get(std::string(models_path) + "?provider=" + provider);
    BOOST_TEST_REQUIRE(models.status == 200u, models.body);
    BOOST_TEST(text(models.json(), "providers.0.source") == "live", models.body);
    BOOST_TEST(models.body.find("\"mock-model\"") != std::string::npos, models.body);
    BOOST_TEST_REQUIRE(!d.mock.model_list_requests().empty());
    BOOST_TEST(d.mock.model_list_requests().back().header("Authorization") == "Bearer " + api_key);
}

// Whether this daemon takes --plugin-isolation process (its --help exits 0
// only after every option before it parsed).
boost::test_tools::assertion_result daemon_isolates_plugins(utf::test_unit_id) {
    TempDir tmp("sb-rust-flag");
    CommandResult r = run_command({SB_DAEMON_PATH, "--plugin-isolation", "process", "--help"}, {},
                                  tmp.path() / "help.log", std::chrono::seconds(10));
    boost::test_tools::assertion_result ok(r.exit_code == 0 && !r.timed_out);
    if (!ok)
        ok.message() << "skipped: this daemon does not take --plugin-isolation process (exit " << r.exit_code
                     << "): " << tail_of(r.output, 300);
    return ok;
}

// A host for loading the plugin into this test process, for the layout check.
const void *no_host_extension(const char *) { return nullptr; }

const sb_host_info test_host{sizeof(sb_host_info), SB_ABI_VERSION_MINOR, {"test", 4}, {"0", 1}, &no_host_extension};

struct Reported {
    sb_error_kind kind = SB_ERROR_NONE;
    std::string message;
};

void record(void *ctx, sb_error_kind kind, int32_t, sb_str message) {
    auto *r = static_cast<Reported *>(ctx);
    r->kind = kind;
    r->message.assign(view(message));
}

// The headers build_chat_request sets for a plain chat given api_key, one
// "name: value\n" per header.
std::string built_headers(const sb_plugin &plugin, std::string_view api_key) {
    std::string headers;
    sb_http_request_builder out{sizeof(sb_http_request_builder), &headers,
                                [](void *, sb_str) {},
                                [](void *, sb_str) {},
                                [](void *ctx, sb_str name, sb_str value) {
                                    *static_cast<std::string *>(ctx) += std::string(view(name)) + ": " +
                                                                        std::string(view(value)) + "\n";
                                },
                                [](void *, const char *, size_t) {}};
    const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
    const std::string base = "http://127.0.0.1:9/v1";
    const sb_provider_config config{sizeof(sb_provider_config), {api_key.data(), api_key.size()},
                                    {base.data(), base.size()}, {"m", 1}};
    const sb_chat_request request{sizeof(sb_chat_request), {body.data(), body.size()}, 0};
    Reported why;
    const sb_error_sink err{sizeof(sb_error_sink), &why, &record};
    BOOST_TEST(plugin.build_chat_request(&config, &request, &out, &err) == SB_OK, why.message);
    return headers;
}

}  // namespace

// Rust computes struct_size with size_of on its #[repr(C)] mirror; equal to
// the C compiler's sizeof here, and every field read back through the C
// declarations, the mirror has the header's layout.
BOOST_AUTO_TEST_CASE(rust_tables_have_the_c_headers_layout, *utf::timeout(30)) {
    void *lib = ::dlopen(rust_plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
    BOOST_TEST_REQUIRE(lib != nullptr, ::dlerror());
    auto entry = reinterpret_cast<sb_entry_fn>(::dlsym(lib, SB_ENTRY_SYMBOL));
    BOOST_TEST_REQUIRE(entry != nullptr);

    const sb_plugin *plugin = nullptr;
    BOOST_TEST(entry(&test_host, 2, 3, &plugin) == SB_ERR_VERSION);
    BOOST_TEST_REQUIRE(entry(&test_host, 1, 1, &plugin) == SB_OK);
    BOOST_TEST_REQUIRE(plugin != nullptr);
    BOOST_TEST(plugin->struct_size == sizeof(sb_plugin));
    BOOST_TEST(plugin->abi_major == 1u);
    BOOST_TEST(plugin->abi_minor == uint32_t(SB_ABI_VERSION_MINOR));
    const sb_provider_descriptor &d = *plugin->descriptor;
    BOOST_TEST(d.struct_size == sizeof(sb_provider_descriptor));
    BOOST_TEST(view(d.id) == provider);
    BOOST_TEST(view(d.env_api_base) == "RUST_OPENAI_COMPAT_API_BASE");
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
    BOOST_TEST(view(d.credential_header) == "authorization");
    BOOST_TEST(view(d.credential_prefix) == "Bearer ");
    BOOST_TEST((plugin->stream_open && plugin->parse_models_response && plugin->self_check));
    BOOST_TEST(!plugin->get_extension);

    BOOST_TEST(!plugin->init);
    Reported why;
    const sb_error_sink sink{sizeof(sb_error_sink), &why, &record};
    BOOST_TEST(plugin->self_check(&sink) == SB_OK, why.message);

    // From a 1.4 host (no key) the plugin writes no credential; an older host
    // hands it the key, and it goes where the descriptor says.
    BOOST_TEST(built_headers(*plugin, "").find("authorization") == std::string::npos);
    BOOST_TEST(built_headers(*plugin, "sk-old-host").find("authorization: Bearer sk-old-host\n") !=
               std::string::npos);
    ::dlclose(lib);
}

BOOST_AUTO_TEST_CASE(plugin_check_passes_it_as_a_plugin_that_sees_no_keys, *utf::timeout(60)) {
    TempDir tmp("sb-rust-check");
    const fs::path plugin = tmp.subdir("plugins") / rust_plugin.filename();
    fs::copy_file(rust_plugin, plugin);
    CommandResult r = run_command({SB_DAEMON_PATH, "plugin", "check", plugin.string()}, {}, tmp.path() / "check.log",
                                  std::chrono::seconds(30));
    BOOST_TEST(r.exit_code == 0, r.output);
    BOOST_TEST(r.output.find("sees_keys       false") != std::string::npos, r.output);
    BOOST_TEST(r.output.find("[FAIL]") == std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(serves_in_process, *utf::timeout(120)) {
    RustDaemon d;
    BOOST_TEST(d.plugin_mapped_in_daemon(), "an in-process plugin is mapped into the daemon");
    serves_through_the_rust_plugin(d);
}

BOOST_AUTO_TEST_CASE(serves_isolated_in_a_helper_process, *utf::precondition(daemon_isolates_plugins) *
                                                             utf::timeout(120)) {
    RustDaemon d({"--plugin-isolation", "process"});
    BOOST_TEST(!d.plugin_mapped_in_daemon(), "an isolated plugin runs in its helper, not in the daemon");
    serves_through_the_rust_plugin(d);
}
