// The stable ABI across compilers, end to end: this build tree is installed to
// a temporary prefix, the out-of-tree example plugin (sdk/examples/ollama) is
// configured and built with clang against that prefix only, and the resulting
// switchboard-ollama.so is loaded by the real daemon (built with gcc) and
// driven over HTTP against a mock Ollama server on loopback speaking NDJSON.
#define BOOST_TEST_MODULE switchboard_sdk_example
#include "integration/integration_fixture.hpp"
#include "support/child_command.hpp"
#include "support/loopback_http_server.hpp"
#include <switchboard/provider_abi.h>

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const fs::path build_dir = SB_BUILD_DIR;
const fs::path example_source = SB_EXAMPLE_SOURCE_DIR;
const std::string plugin_file = "switchboard-ollama.so";

// The installed SDK and the example plugin built with clang, made once for
// every case of this module.
struct BuiltExample {
    std::unique_ptr<TempDir> tmp;
    fs::path prefix;
    fs::path build;
    fs::path plugin;      // the built .so
    std::string failure;  // empty on success
    std::string compiler_id;
};

BuiltExample build_example() {
    BuiltExample b;
    b.tmp = std::make_unique<TempDir>("sb-sdk-example");
    b.prefix = b.tmp->subdir("prefix");
    b.build = b.tmp->path() / "build";
    const fs::path logs = b.tmp->subdir("logs");
    const std::string cmake = SB_CMAKE_COMMAND;
    const std::string cc = SB_EXAMPLE_C_COMPILER, cxx = SB_EXAMPLE_CXX_COMPILER;
    if (cxx.find("NOTFOUND") != std::string::npos || cxx.empty()) {
        b.failure = "clang++ not found (install clang: scripts/install-deps.sh)";
        return b;
    }

    CommandResult install = run_command({cmake, "--install", build_dir.string(), "--prefix", b.prefix.string()}, {},
                            logs / "install.log", std::chrono::seconds(60));
    if (install.exit_code != 0 || install.timed_out) {
        b.failure = "cmake --install failed (exit " + std::to_string(install.exit_code) +
                    (install.timed_out ? ", timed out" : "") + "):\n" + tail_of(install.output);
        return b;
    }

    std::vector<std::string> configure = {cmake, "-S", example_source.string(), "-B", b.build.string(),
                                          "-G", SB_CMAKE_GENERATOR,
                                          "-DCMAKE_PREFIX_PATH=" + b.prefix.string(),
                                          "-DCMAKE_BUILD_TYPE=Release",
                                          // Warnings are errors: the example must build clean.
                                          "-DCMAKE_CXX_FLAGS=-Werror"};
    if (std::string make = SB_CMAKE_MAKE_PROGRAM; !make.empty())
        configure.push_back("-DCMAKE_MAKE_PROGRAM=" + make);
    // The host is built with the default compiler (gcc); the plugin with clang.
    std::map<std::string, std::string> env = {{"CC", cc}, {"CXX", cxx}};
    CommandResult conf = run_command(configure, env, logs / "configure.log", std::chrono::seconds(60));
    if (conf.exit_code != 0 || conf.timed_out) {
        b.failure = "configuring sdk/examples/ollama failed (exit " + std::to_string(conf.exit_code) +
                    (conf.timed_out ? ", timed out" : "") + "):\n" + tail_of(conf.output);
        return b;
    }
    CommandResult build = run_command({cmake, "--build", b.build.string(), "-j", "2"}, env, logs / "build.log",
                          std::chrono::seconds(240));
    if (build.exit_code != 0 || build.timed_out) {
        b.failure = "building sdk/examples/ollama failed (exit " + std::to_string(build.exit_code) +
                    (build.timed_out ? ", timed out" : "") + "):\n" + tail_of(build.output);
        return b;
    }
    b.plugin = b.build / plugin_file;
    if (!fs::exists(b.plugin)) {
        b.failure = "the build did not produce " + b.plugin.string() + ":\n" + tail_of(build.output);
        return b;
    }
    std::string cache = read_text_file(b.build / "CMakeCache.txt");
    auto pos = cache.find("CMAKE_CXX_COMPILER:");
    b.compiler_id = pos == std::string::npos ? std::string() : cache.substr(pos, cache.find('\n', pos) - pos);
    return b;
}

BuiltExample &example() {
    static BuiltExample built = build_example();
    return built;
}

const fs::path &require_plugin() {
    BuiltExample &b = example();
    BOOST_TEST_REQUIRE(b.failure.empty(), b.failure);
    return b.plugin;
}

// ------------------------------------------------------ mock Ollama

const std::string missing_model_message = "model \"missing\" not found, try pulling it first";

std::string ndjson(const json::value &v) { return json::serialize(v) + "\n"; }

json::object stream_line(std::string_view content, bool done) {
    json::object o{{"model", "llama3.2"},
                   {"created_at", "2026-11-26T00:00:00.000000Z"},
                   {"message", json::object{{"role", "assistant"}, {"content", content}}},
                   {"done", done}};
    if (done) {
        o["done_reason"] = "stop";
        o["total_duration"] = 123456;
        o["prompt_eval_count"] = 9;
        o["eval_count"] = 4;
    }
    return o;
}

MockAction answer_ollama(const RecordedRequest &req) {
    const MockHeaders json_type = {{"Content-Type", "application/json; charset=utf-8"}};
    if (req.method == "GET" && req.target == "/api/tags") {
        json::object tags{{"models", json::array{
            json::object{{"name", "llama3.2:latest"}, {"model", "llama3.2:latest"}, {"size", 2019393189},
                         {"digest", "a80c4f17acd5"}, {"modified_at", "2026-11-01T10:00:00Z"}},
            json::object{{"name", "qwen2.5:7b"}, {"model", "qwen2.5:7b"}, {"size", 4683087332}}}}};
        return MockAction::reply(200, json_type, json::serialize(tags));
    }
    if (req.method == "POST" && req.target == "/api/chat") {
        json::value body;
        try {
            body = parse_json(req.body);
        } catch (const std::exception &) {
            return MockAction::reply(400, json_type, R"({"error":"invalid JSON"})");
        }
        const std::string model = text(body, "model");
        if (model == "missing")
            return MockAction::reply(404, json_type, json::serialize(json::object{{"error", missing_model_message}}));
        if (is_true(body, "stream")) {
            // One line split across two chunks, two lines in one chunk: the
            // host's NDJSON de-framing must not care.
            std::string l1 = ndjson(stream_line("Hel", false));
            std::string l2 = ndjson(stream_line("lo, ", false));
            std::string l3 = ndjson(stream_line("world", false));
            std::string l4 = ndjson(stream_line("", true));
            return MockAction::stream(200, {{"Content-Type", "application/x-ndjson"}},
                                      {l1.substr(0, 20), l1.substr(20) + l2, l3, l4});
        }
        json::object reply = stream_line("pong", true);
        reply["prompt_eval_count"] = 7;
        reply["eval_count"] = 1;
        return MockAction::reply(200, json_type, json::serialize(reply));
    }
    if (req.method == "POST" && req.target == "/api/embed") {
        // One vector per input: [its length, its position].
        const json::value body = parse_json(req.body);
        json::array vectors;
        for (const auto &input : items(body, "input"))
            vectors.push_back(json::array{double(input.as_string().size()), double(vectors.size())});
        return MockAction::reply(200, json_type,
                                 json::serialize(json::object{{"model", text(body, "model")},
                                                              {"embeddings", std::move(vectors)},
                                                              {"prompt_eval_count", 6}}));
    }
    // What Ollama's router answers for an unknown path.
    return MockAction::reply(404, {{"Content-Type", "text/plain"}}, "404 page not found");
}

// A fresh plugins dir holding only the clang-built plugin, a daemon on it and
// the mock Ollama server.
struct OllamaHarness {
    OllamaHarness() : ollama(answer_ollama) {
        plugins_dir = tmp.subdir("plugins");
        fs::copy_file(require_plugin(), plugins_dir / plugin_file, fs::copy_options::overwrite_existing);
        DaemonOptions options;
        options.plugins_dir = plugins_dir;
        options.state_dir = tmp.subdir("state");
        options.home_dir = tmp.path() / "home";
        options.env = {{"OLLAMA_API_BASE", ollama.base_url()}, {"LLM_PROVIDER", "ollama"}};
        daemon = std::make_unique<DaemonProcess>(std::move(options));
    }

    TestHttpClient client() const { return TestHttpClient("127.0.0.1", daemon->port()); }

    std::vector<RecordedRequest> chat_requests() const {
        std::vector<RecordedRequest> out;
        for (auto &r : ollama.requests())
            if (r.target == "/api/chat") out.push_back(r);
        return out;
    }

    TempDir tmp{"sb-it-ollama"};
    LoopbackHttpServer ollama;
    fs::path plugins_dir;
    std::unique_ptr<DaemonProcess> daemon;
};

json::object ollama_chat(std::string_view model, bool stream = false) {
    json::object body{{"model", model},
                      {"messages", json::array{json::object{{"role", "system"}, {"content", "Be brief."}},
                                               json::object{{"role", "user"}, {"content", "ping"}}}},
                      {"max_tokens", 32},
                      {"temperature", 0.5}};
    if (stream) body["stream"] = true;
    return body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sdk_example)

BOOST_AUTO_TEST_CASE(builds_out_of_tree_with_clang_against_the_installed_sdk, *utf::timeout(360)) {
    BuiltExample &b = example();
    BOOST_TEST_REQUIRE(b.failure.empty(), b.failure);
    // Only the installed SDK was used: the package config is in the prefix.
    BOOST_TEST(fs::exists(b.prefix / "include/switchboard/provider_abi.h"));
    const bool has_config = fs::exists(b.prefix / "lib/cmake/SwitchboardSDK/SwitchboardSDKConfig.cmake") ||
                            fs::exists(b.prefix / "lib/x86_64-linux-gnu/cmake/SwitchboardSDK/SwitchboardSDKConfig.cmake");
    BOOST_TEST(has_config, "SwitchboardSDKConfig.cmake installed under " << b.prefix);
    std::string cache = read_text_file(b.build / "CMakeCache.txt");
    BOOST_TEST(cache.find("SwitchboardSDK_DIR:PATH=" + b.prefix.string()) != std::string::npos,
               "SwitchboardSDK found outside the prefix:\n" << tail_of(cache, 2000));
    BOOST_TEST(b.compiler_id.find("clang++") != std::string::npos, "compiler: " << b.compiler_id);
    // The object code itself says who compiled it.
    std::string comment = capture_output(std::string(SB_READELF) + " -p .comment " + b.plugin.string() + " 2>&1");
    BOOST_TEST(comment.find("clang version") != std::string::npos, ".comment:\n" << comment);
}

BOOST_AUTO_TEST_CASE(exports_only_the_entry_symbol, *utf::timeout(360)) {
    const fs::path &so = require_plugin();
    std::string symbols = capture_output(std::string(SB_NM) + " -D --defined-only " + so.string() + " 2>&1");
    std::set<std::string> names;
    std::istringstream lines(symbols);
    for (std::string line; std::getline(lines, line);) {
        auto sp = line.rfind(' ');
        if (sp == std::string::npos) continue;
        names.insert(line.substr(sp + 1));
    }
    BOOST_TEST(names == std::set<std::string>{"switchboard_plugin_entry"}, "nm -D --defined-only:\n" << symbols);
    // static libstdc++: no dependency on the host's C++ runtime.
    std::string dynamic = capture_output(std::string(SB_READELF) + " -d " + so.string() + " 2>&1");
    BOOST_TEST(dynamic.find("libstdc++") == std::string::npos, dynamic);
    BOOST_TEST(dynamic.find("libc++") == std::string::npos, dynamic);
}

BOOST_AUTO_TEST_CASE(daemon_lists_the_plugin, *utf::timeout(360)) {
    OllamaHarness h;
    auto r = h.client().get(providers_path);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    const json::object *p = find_in(find(doc, "providers"), "id", "ollama");
    BOOST_TEST_REQUIRE(p, "ollama not listed: " << r.body << "\nlog:\n" << h.daemon->log_text());
    json::value pv = *p;
    BOOST_TEST(text(pv, "name") == "Ollama");
    BOOST_TEST(text(pv, "version") == "0.1.0");
    BOOST_TEST(text(pv, "abi_version") == std::to_string(SB_ABI_VERSION_MAJOR) + "." + std::to_string(SB_ABI_VERSION_MINOR));
    BOOST_TEST(fs::path(text(pv, "file")).filename() == plugin_file);
    BOOST_TEST(fs::equivalent(fs::path(text(pv, "file")).parent_path(), h.plugins_dir), text(pv, "file"));
    BOOST_TEST(text(pv, "default_model") == "llama3.2");
    BOOST_TEST(text(pv, "api_base") == "http://localhost:11434");
    BOOST_TEST(text(pv, "env.api_key") == "OLLAMA_API_KEY");
    BOOST_TEST(text(pv, "env.model") == "OLLAMA_MODEL");
    BOOST_TEST(text(pv, "env.api_base") == "OLLAMA_API_BASE");
    BOOST_TEST(is_true(pv, "capabilities.streaming"));
    BOOST_TEST(is_true(pv, "capabilities.tools"));
    BOOST_TEST(is_true(pv, "capabilities.model_listing"));
    BOOST_TEST(is_false(pv, "requires_api_key"));
    BOOST_TEST(is_true(pv, "configured"), "no key needed: " << r.body);
    BOOST_TEST(is_true(pv, "active"));
    BOOST_TEST(array_size(doc, "refused") == 0, r.body);
}

BOOST_AUTO_TEST_CASE(test_endpoint_succeeds, *utf::timeout(360)) {
    OllamaHarness h;
    auto r = h.client().post(test_path, R"({"provider":"ollama"})");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(is_true(doc, "ok"), r.body << "\nlog:\n" << h.daemon->log_text());
    BOOST_TEST(text(doc, "provider") == "ollama");
    BOOST_TEST(text(doc, "model") == "llama3.2");
    BOOST_TEST(text(doc, "reply") == "pong");
    auto sent = h.chat_requests();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(sent[0].method == "POST");
    BOOST_TEST(!sent[0].has_header("Authorization"), "no key configured, none sent");
}

BOOST_AUTO_TEST_CASE(models_come_live_from_api_tags, *utf::timeout(360)) {
    OllamaHarness h;
    auto r = h.client().get(std::string(models_path) + "?provider=ollama");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST_REQUIRE(array_size(doc, "providers") == 1, r.body);
    BOOST_TEST(text(doc, "providers.0.provider") == "ollama");
    BOOST_TEST(text(doc, "providers.0.source") == "live", r.body);
    BOOST_TEST(text(doc, "providers.0.default_model") == "llama3.2");
    BOOST_TEST_REQUIRE(array_size(doc, "providers.0.models") == 2, r.body);
    BOOST_TEST(text(doc, "providers.0.models.0") == "llama3.2:latest");
    BOOST_TEST(text(doc, "providers.0.models.1") == "qwen2.5:7b");
    bool asked = false;
    for (auto &req : h.ollama.requests()) asked = asked || (req.method == "GET" && req.target == "/api/tags");
    BOOST_TEST(asked, "GET /api/tags reached the mock");
}

BOOST_AUTO_TEST_CASE(chat_completion_through_the_native_api, *utf::timeout(360)) {
    OllamaHarness h;
    auto r = h.client().post_json(chat_path, ollama_chat("ollama/llama3.2"));
    BOOST_TEST_REQUIRE(r.status == 200u, r.body << "\nlog:\n" << h.daemon->log_text());
    auto doc = r.json();
    BOOST_TEST(text(doc, "object") == "chat.completion");
    BOOST_TEST(text(doc, "model") == "llama3.2");
    BOOST_TEST(text(doc, "choices.0.message.role") == "assistant");
    BOOST_TEST(text(doc, "choices.0.message.content") == "pong");
    BOOST_TEST(text(doc, "choices.0.finish_reason") == "stop");
    const json::value *prompt = find(doc, "usage.prompt_tokens");
    const json::value *completion = find(doc, "usage.completion_tokens");
    const json::value *total = find(doc, "usage.total_tokens");
    BOOST_TEST((prompt && prompt->is_number() && prompt->to_number<int>() == 7), r.body);
    BOOST_TEST((completion && completion->is_number() && completion->to_number<int>() == 1), r.body);
    BOOST_TEST((total && total->is_number() && total->to_number<int>() == 8), r.body);
    BOOST_TEST(r.header("x-switchboard-provider") == "ollama");

    // What reached Ollama: its native /api/chat shape.
    auto sent = h.chat_requests();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    auto body = parse_json(sent[0].body);
    BOOST_TEST(text(body, "model") == "llama3.2");
    BOOST_TEST(is_false(body, "stream"));
    BOOST_TEST(text(body, "messages.0.role") == "system");
    BOOST_TEST(text(body, "messages.1.content") == "ping");
    const json::value *num_predict = find(body, "options.num_predict");
    BOOST_TEST((num_predict && num_predict->is_number() && num_predict->to_number<int>() == 32), sent[0].body);
    const json::value *temperature = find(body, "options.temperature");
    BOOST_TEST((temperature && temperature->is_number() && temperature->to_number<double>() == 0.5), sent[0].body);
}

// The example offers sb.embeddings/1 through the installed SDK: the daemon
// lists it and sends /v1/embeddings to Ollama's /api/embed.
BOOST_AUTO_TEST_CASE(embeddings_through_api_embed, *utf::timeout(360)) {
    OllamaHarness h;
    auto r = h.client().post_json("/v1/embeddings",
                                  json::object{{"model", "ollama/"}, {"input", json::array{"abc", "de"}}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body << "\nlog:\n" << h.daemon->log_text());
    auto doc = r.json();
    BOOST_TEST(text(doc, "object") == "list");
    BOOST_TEST(json::serialize(*find(doc, "data.0.embedding")) == "[3,0]");
    BOOST_TEST(json::serialize(*find(doc, "data.1.embedding")) == "[2,1]");
    BOOST_TEST(find(doc, "usage.prompt_tokens")->to_number<int>() == 6);
    RecordedRequest sent = h.ollama.requests().back();
    BOOST_TEST(sent.target == "/api/embed");
    BOOST_TEST(text(parse_json(sent.body), "model") == "nomic-embed-text", "the plugin's default embedding model");
}

BOOST_AUTO_TEST_CASE(streaming_chat_completion_from_ndjson, *utf::timeout(360)) {
    OllamaHarness h;
    auto r = h.client().post_json(chat_path, ollama_chat("ollama/llama3.2", true));
    BOOST_TEST_REQUIRE(r.status == 200u, r.body << "\nlog:\n" << h.daemon->log_text());
    BOOST_TEST(r.header("Content-Type").find("text/event-stream") != std::string::npos, r.headers_text());

    std::string content, finish;
    int chunks = 0, usage_chunks = 0;
    std::string last_data;
    json::value usage;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("data: ", 0) != 0) continue;
        last_data = line.substr(6);
        if (last_data == "[DONE]") continue;
        auto chunk = parse_json(last_data);
        ++chunks;
        BOOST_TEST(text(chunk, "object") == "chat.completion.chunk", last_data);
        if (const json::value *c = find(chunk, "choices.0.delta.content"); c && c->is_string())
            content += std::string(c->get_string());
        if (const json::value *f = find(chunk, "choices.0.finish_reason"); f && f->is_string())
            finish = std::string(f->get_string());
        if (const json::value *u = find(chunk, "usage"); u && u->is_object()) {
            ++usage_chunks;
            usage = *u;
        }
    }
    BOOST_TEST(content == "Hello, world", r.body);
    BOOST_TEST(finish == "stop", r.body);
    BOOST_TEST(last_data == "[DONE]", r.body);
    BOOST_TEST(chunks >= 4, r.body);
    BOOST_TEST_REQUIRE(usage_chunks == 1, r.body);
    const json::value *p = find(usage, "prompt_tokens");
    const json::value *c = find(usage, "completion_tokens");
    const json::value *t = find(usage, "total_tokens");
    BOOST_TEST((p && p->is_number() && p->to_number<int>() == 9), r.body);
    BOOST_TEST((c && c->is_number() && c->to_number<int>() == 4), r.body);
    BOOST_TEST((t && t->is_number() && t->to_number<int>() == 13), r.body);

    auto sent = h.chat_requests();
    BOOST_TEST_REQUIRE(sent.size() == 1u);
    BOOST_TEST(is_true(parse_json(sent[0].body), "stream"), sent[0].body);
}

BOOST_AUTO_TEST_CASE(ollama_missing_model_is_model_not_found, *utf::timeout(360)) {
    OllamaHarness h;
    auto r = h.client().post_json(chat_path, ollama_chat("ollama/missing"));
    check_error(r, 404, "not_found_error", "model_not_found");
    BOOST_TEST(r.body.find("try pulling it first") != std::string::npos, "the vendor's message: " << r.body);
    BOOST_TEST(r.body.find("ollama") != std::string::npos, r.body);

    // The same failure through /test is an ok:false with model_not_found.
    auto t = h.client().post(test_path, R"({"provider":"ollama","model":"missing"})");
    BOOST_TEST_REQUIRE(t.status == 200u, t.body);
    auto doc = t.json();
    BOOST_TEST(is_false(doc, "ok"), t.body);
    BOOST_TEST(text(doc, "error.type") == "model_not_found", t.body);
}

BOOST_AUTO_TEST_SUITE_END()
