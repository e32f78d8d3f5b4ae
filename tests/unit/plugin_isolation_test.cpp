#define BOOST_TEST_MODULE plugin_isolation
#include <boost/test/unit_test.hpp>

// The helper protocol's encoding, and plugins loaded into helper processes
// (PluginLibrary::load_isolated) seen through LoadedProvider exactly as
// loaded libraries are.
#include "core/errors.hpp"
#include "core/plugin/helper_protocol.hpp"
#include "core/plugin/isolated_plugin.hpp"
#include "core/plugin/plugin_library.hpp"
#include "core/plugin/provider.hpp"

#include <chrono>
#include <filesystem>
#include <thread>
#include <memory>
#include <vector>

using namespace sb::core;
namespace fs = std::filesystem;
namespace hp = sb::core::helper_protocol;

namespace {

const fs::path kTestPlugins = SB_TEST_PLUGINS_DIR;
const fs::path kPlugins = SB_PLUGINS_DIR;

HelperSettings helper() {
    HelperSettings s;
    s.executable = SB_PLUGIN_HELPER_PATH;
    return s;
}

std::string refusal_reason(const fs::path &file, HelperSettings settings = helper()) {
    try {
        PluginLibrary::load_isolated(file, settings);
    } catch (const PluginLoadError &e) {
        return e.what();
    }
    return {};
}

bool contains(const std::string &text, std::string_view needle) { return text.find(needle) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(portrait_survives_the_wire) {
    hp::PluginPortrait p;
    p.abi_major = 1;
    p.abi_minor = 3;
    p.functions = hp::kHasStream | hp::kHasSelfCheck;
    p.id = "openai";
    p.env_api_key = "OPENAI_API_KEY";
    p.capabilities = SB_CAP_STREAMING | SB_CAP_TOOLS;
    p.stream_framing = SB_FRAMING_NDJSON;
    p.known_models = {"a", "b"};
    p.credential_header = "authorization";
    p.credential_prefix = "Bearer ";
    p.lifecycle = {ModelLifecycle{"old", "2025-01-01", "2026-01-01", "new", "https://example.invalid"}};
    p.has_native = true;
    p.native_builds = true;
    p.native_dialects = {SB_DIALECT_OPENAI_RESPONSES};
    p.has_embeddings = true;
    p.embedding_models = {"e"};
    p.embedding_max_batch = 96;
    hp::Writer w;
    hp::write_portrait(w, p);
    const std::string frame = w.frame();
    hp::Reader in(std::string_view(frame).substr(4));
    const hp::PluginPortrait q = hp::read_portrait(in);
    BOOST_TEST(in.at_end());
    BOOST_TEST(q.id == "openai");
    BOOST_TEST(q.functions == p.functions);
    BOOST_TEST(q.capabilities == p.capabilities);
    BOOST_TEST(q.stream_framing == SB_FRAMING_NDJSON);
    BOOST_TEST(q.known_models == p.known_models);
    BOOST_TEST(q.credential_prefix == "Bearer ");
    BOOST_TEST_REQUIRE(q.lifecycle.size() == 1u);
    BOOST_TEST(q.lifecycle[0].successor == "new");
    BOOST_TEST(q.native_dialects == p.native_dialects);
    BOOST_TEST(q.embedding_max_batch == 96u);
}

BOOST_AUTO_TEST_CASE(reader_refuses_what_runs_past_the_frame) {
    hp::Writer w;
    w.u32(1000);  // a string length with no bytes behind it
    const std::string frame = w.frame();
    hp::Reader in(std::string_view(frame).substr(4));
    BOOST_CHECK_THROW(in.str(), hp::ProtocolError);
}

BOOST_AUTO_TEST_CASE(isolated_plugin_translates_like_a_loaded_one) {
    auto lib = PluginLibrary::load_isolated(kPlugins / "switchboard-openai.so", helper());
    BOOST_TEST((lib->isolation() == Isolation::process));
    LoadedProvider provider(lib);
    BOOST_TEST(provider.id() == "openai");
    BOOST_TEST(provider.info().has(SB_CAP_STREAMING));
    BOOST_TEST(!provider.info().known_models.empty());
    const EffectiveConfig config{"sk-test-isolated-key-1234", "http://127.0.0.1:9/v1", "gpt-4o-mini"};
    UpstreamRequest request = provider.build_chat_request(
        config, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})", false);
    BOOST_TEST(request.method == "POST");
    BOOST_TEST(request.url == "http://127.0.0.1:9/v1/chat/completions");
    BOOST_TEST(contains(request.body, "\"hi\""));
    UpstreamResponse response;
    response.status = 200;
    response.body = R"({"id":"x","object":"chat.completion","created":0,"model":"gpt-4o-mini",)"
                    R"("choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],)"
                    R"("usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})";
    TokenUsage usage;
    BOOST_TEST(contains(provider.parse_chat_response(config, response, &usage), "pong"));
    BOOST_TEST(usage.prompt_tokens == 5);

    auto stream = provider.open_stream(config, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})");
    std::vector<std::string> chunks;
    auto collect = [&](std::string_view c) { chunks.emplace_back(c); };
    BOOST_TEST(!stream->feed("", R"({"id":"x","object":"chat.completion.chunk","created":0,"model":"m",)"
                                 R"("choices":[{"index":0,"delta":{"content":"po"},"finish_reason":null}]})",
                             collect));
    BOOST_TEST(stream->feed("", "[DONE]", collect));
    stream->finish(collect);
    BOOST_TEST_REQUIRE(!chunks.empty());
    BOOST_TEST(contains(chunks.front(), "\"po\""));

    // A vendor error keeps its class through the helper.
    response.status = 401;
    response.body = R"({"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}})";
    try {
        provider.parse_chat_response(config, response);
        BOOST_TEST(false, "no error");
    } catch (const GatewayError &e) {
        BOOST_TEST((e.code() == ErrorCode::invalid_api_key), e.what());
    }
}

BOOST_AUTO_TEST_CASE(refusals_carry_the_plugins_reason) {
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "init_fails.so"), "init failed"));
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "not_a_library.so"), "no ELF header"));
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "no_entry.so"), "missing entry symbol"));
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "wrong_major.so"), "ABI"));
    HelperSettings missing = helper();
    missing.executable = "/nonexistent/switchboard-plugin-helper";
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "c_echo.so", missing), "missing or not executable"));
}

BOOST_AUTO_TEST_CASE(refuses_more_isolated_plugins_than_slots) {
    std::vector<std::shared_ptr<PluginLibrary>> loaded;
    for (int i = 0; i < kMaxIsolatedPlugins; ++i)
        loaded.push_back(PluginLibrary::load_isolated(kTestPlugins / "c_echo.so", helper()));
    BOOST_TEST(contains(refusal_reason(kTestPlugins / "c_echo.so"), "too many isolated plugins"));
    loaded.pop_back();  // a slot given back is taken again
    BOOST_CHECK_NO_THROW(loaded.push_back(PluginLibrary::load_isolated(kTestPlugins / "c_echo.so", helper())));
}

// The cost of isolation per call, printed for docs/architecture.md (run with
// --log_level=message): one build_chat_request in-process and through a
// helper, from one thread and from two at once (calls to one helper are
// serialised). Bounded loosely so a broken helper (a call stuck until the
// deadline) fails the test.
BOOST_AUTO_TEST_CASE(round_trip_cost_is_small) {
    const std::string body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";
    const EffectiveConfig config{"sk-test-isolated-key-1234", "http://127.0.0.1:9/v1", "gpt-4o-mini"};
    auto per_call_us = [&](const LoadedProvider &p, int threads, int calls) {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&] {
                for (int i = 0; i < calls; ++i) p.build_chat_request(config, body, false);
            });
        for (auto &t : pool) t.join();
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
        return double(us.count()) / (threads * calls);
    };
    LoadedProvider in_process(PluginLibrary::load(kPlugins / "switchboard-openai.so"));
    LoadedProvider isolated(PluginLibrary::load_isolated(kPlugins / "switchboard-openai.so", helper()));
    const double a = per_call_us(in_process, 1, 2000), b = per_call_us(isolated, 1, 2000);
    const double c = per_call_us(in_process, 2, 2000), d = per_call_us(isolated, 2, 2000);
    BOOST_TEST_MESSAGE("build_chat_request, us per call: in-process " << a << ", isolated " << b
                                                                      << "; two threads: in-process " << c
                                                                      << ", isolated " << d);
    BOOST_TEST(b < 2000.0);
    BOOST_TEST(d < 2000.0);
}
