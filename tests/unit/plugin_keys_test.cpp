#define BOOST_TEST_MODULE plugin_keys
#include <boost/test/unit_test.hpp>

// ABI v1.4: a plugin that declares credential_header never sees a key. Each
// plugin is loaded behind tests/plugins/key_spy.cpp, which records every key
// the host hands to any call that takes a config; every kind of request is
// built and every parse run through LoadedProvider with a key configured.
// The seven in-tree plugins, the SDK's Ollama example and usage_echo's 1.4
// build must be given no key at all, and each request must carry the key
// once, in the declared header, written by the host. usage_echo's 1.3 build
// is still given it and says so (sees_keys).
#include "core/errors.hpp"
#include "core/plugin/plugin_library.hpp"
#include "core/plugin/provider.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace sb::core;
namespace fs = std::filesystem;

namespace {

const fs::path kPlugins = SB_PLUGINS_DIR;
const fs::path kTestPlugins = SB_TEST_PLUGINS_DIR;
const std::string kKey = "sk-spy-KEY-0123456789abcdefXYZ";

// What key_spy.cpp answers for "sb.test.key_spy/1".
struct sb_test_key_spy {
    uint32_t struct_size;
    size_t (*calls)(void);
    size_t (*keys)(char *buf, size_t cap);
};

struct Spied {
    std::shared_ptr<PluginLibrary> library;
    std::unique_ptr<LoadedProvider> provider;
    const sb_test_key_spy *spy = nullptr;

    std::size_t calls() const { return spy->calls(); }
    std::string keys() const {
        std::string text(4096, '\0');
        text.resize(std::min(text.size(), spy->keys(text.data(), text.size())));
        return text;
    }
};

// target loaded behind the spy.
Spied spied(const fs::path &target) {
    BOOST_TEST_REQUIRE(fs::exists(target), target);
    ::setenv("SB_KEY_SPY_TARGET", target.c_str(), 1);
    Spied s;
    s.library = PluginLibrary::load(kTestPlugins / "key_spy.so");
    ::unsetenv("SB_KEY_SPY_TARGET");
    s.provider = std::make_unique<LoadedProvider>(s.library);
    s.spy =
        static_cast<const sb_test_key_spy *>(s.library->table().get_extension("sb.test.key_spy/1"));
    BOOST_TEST_REQUIRE(s.spy != nullptr);
    return s;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

// The key is in the declared header once, as prefix + key, and nowhere else.
void check_credential(const std::string &what, const UpstreamRequest &request,
                      const ProviderInfo &info) {
    std::size_t written = 0;
    for (const auto &[name, value] : request.headers) {
        if (boost::beast::iequals(name, info.credential_header)) {
            ++written;
            BOOST_TEST(value == info.credential_prefix + kKey,
                       what << ": " << name << ": " << value);
        } else {
            BOOST_TEST(!contains(value, kKey), what << ": the key is in " << name);
        }
    }
    BOOST_TEST(written == 1u,
               what << ": " << info.credential_header << " written " << written << " times");
    BOOST_TEST(!contains(request.url, kKey), what << ": the key is in the URL");
    BOOST_TEST(!contains(request.body, kKey), what << ": the key is in the body");
}

struct Case {
    fs::path file;
    std::string header;
    std::string prefix;
};

const std::vector<Case> &key_blind_plugins() {
    static const std::vector<Case> cases{
        {kPlugins / "switchboard-openai.so", "authorization", "Bearer "},
        {kPlugins / "switchboard-mistral.so", "authorization", "Bearer "},
        {kPlugins / "switchboard-together.so", "authorization", "Bearer "},
        {kPlugins / "switchboard-cohere.so", "authorization", "Bearer "},
        {kPlugins / "switchboard-custom.so", "authorization", "Bearer "},
        {kPlugins / "switchboard-anthropic.so", "x-api-key", ""},
        {kPlugins / "switchboard-google.so", "x-goog-api-key", ""},
        {kTestPlugins / "ollama_example.so", "authorization", "Bearer "},
        {kTestPlugins / "usage_echo_1_4.so", "authorization", "Bearer "},
    };
    return cases;
}

const std::string kChat = R"({"model":"m1","messages":[{"role":"user","content":"ping"}]})";
const UpstreamResponse kUnauthorized{
    401,
    {{"content-type", "application/json"}},
    R"({"error":{"message":"bad key","type":"authentication_error","code":"invalid_api_key"}})"};

// Runs call, which may refuse with a GatewayError (a parse of an error
// answer does); returns whether it went through.
template <class Call>
bool attempt(Call &&call) {
    try {
        call();
        return true;
    } catch (const GatewayError &) {
        return false;
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_in_tree_plugin_nor_the_ollama_example_is_ever_given_a_key) {
    std::size_t native_requests = 0, embedding_requests = 0;
    for (const auto &c : key_blind_plugins()) {
        BOOST_TEST_CONTEXT(c.file.filename().string()) {
            Spied s = spied(c.file);
            const LoadedProvider &p = *s.provider;
            const ProviderInfo &info = p.info();
            BOOST_TEST(!info.sees_keys);
            BOOST_TEST(info.credential_header == c.header);
            BOOST_TEST(info.credential_prefix == c.prefix);
            const std::string base =
                info.default_api_base.empty() ? "http://127.0.0.1:9/v1" : info.default_api_base;
            const EffectiveConfig config{kKey, base, "m1"};
            std::size_t calls = 0;

            check_credential("chat", p.build_chat_request(config, kChat, false), info);
            check_credential("streamed chat", p.build_chat_request(config, kChat, true), info);
            calls += 2;
            attempt([&] { p.parse_chat_response(config, kUnauthorized); });
            ++calls;
            if (info.has(SB_CAP_STREAMING)) {
                BOOST_TEST(attempt([&] { p.open_stream(config, kChat); }));
                ++calls;
            }
            if (info.has(SB_CAP_MODEL_LISTING)) {
                auto models = p.build_models_request(config);
                ++calls;
                if (models) check_credential("models", *models, info);
                attempt([&] { p.parse_models_response(config, kUnauthorized); });
                ++calls;
            }
            for (const auto &[dialect, operation] : {std::pair{"anthropic.messages", "/messages"},
                                                     std::pair{"openai.responses", "/responses"}}) {
                if (!p.speaks_natively(dialect)) continue;
                NativeCall call{dialect, operation, kChat, {}, false};
                check_credential(std::string("native ") + dialect,
                                 p.build_native_request(config, call), info);
                ++calls;
                ++native_requests;
            }
            if (info.embeddings.supported) {
                const EffectiveConfig embed{kKey, base, "e1"};
                const std::string body = R"({"model":"e1","input":["hello"]})";
                check_credential("embeddings", p.build_embeddings_request(embed, body, 1), info);
                TokenUsage usage;
                attempt([&] { p.parse_embeddings_response(embed, kUnauthorized, usage); });
                calls += 2;
                ++embedding_requests;
            }
            // Every call went through the spy, and none of them carried a key.
            BOOST_TEST(s.calls() == calls);
            BOOST_TEST(s.keys() == "");
        }
    }
    // The extensions were exercised: anthropic and openai speak natively;
    // openai, mistral, together, cohere, custom, google, Ollama and
    // usage_echo embed.
    BOOST_TEST(native_requests == 2u);
    BOOST_TEST(embedding_requests == 8u);
}

BOOST_AUTO_TEST_CASE(without_a_key_no_credential_header_goes_out) {
    Spied s = spied(kTestPlugins / "usage_echo_1_4.so");
    const EffectiveConfig config{"", "http://127.0.0.1:9/v1", "echo-model"};
    UpstreamRequest r = s.provider->build_chat_request(config, kChat, false);
    // usage_echo's 1.4 build writes "AUTHORIZATION" itself: the host drops it.
    for (const auto &[name, value] : r.headers)
        BOOST_TEST(!boost::beast::iequals(name, "authorization"), value);
    BOOST_TEST(s.keys() == "");
}

BOOST_AUTO_TEST_CASE(a_plugin_of_minor_3_is_still_given_the_key_and_says_so) {
    Spied s = spied(kTestPlugins / "usage_echo_1_3.so");
    const ProviderInfo &info = s.provider->info();
    BOOST_TEST(info.sees_keys);
    BOOST_TEST(info.credential_header == "");
    const EffectiveConfig config{kKey, "http://127.0.0.1:9/v1", "echo-model"};
    UpstreamRequest r = s.provider->build_chat_request(config, kChat, false);
    BOOST_TEST(s.keys() == kKey + "\n");
    // It places the key itself; the host adds nothing.
    std::size_t written = 0;
    for (const auto &[name, value] : r.headers)
        if (boost::beast::iequals(name, "authorization")) {
            ++written;
            BOOST_TEST(value == "Bearer " + kKey);
        }
    BOOST_TEST(written == 1u);
}

BOOST_AUTO_TEST_CASE(a_plugin_of_minor_4_without_credential_header_sees_keys) {
    // c_echo reports the host's minor and declares no credential_header.
    auto provider =
        std::make_unique<LoadedProvider>(PluginLibrary::load(kTestPlugins / "c_echo.so"));
    BOOST_TEST(provider->library().table().abi_minor >= 4u);
    BOOST_TEST(provider->info().sees_keys);
}

// The host hands a plugin the client's headers as views, in place for a few
// and in one block for many: either way every one of them arrives.
BOOST_AUTO_TEST_CASE(a_native_plugin_is_handed_every_client_header_however_many) {
    Spied s = spied(kPlugins / "switchboard-openai.so");
    const EffectiveConfig config{kKey, "http://127.0.0.1:9/v1", "m1"};
    for (std::size_t count : {1, 24, 25, 60}) {
        BOOST_TEST_CONTEXT(count << " headers") {
            NativeCall call{"openai.responses", "/responses", kChat, {}, false};
            for (std::size_t i = 1; i < count; ++i) call.headers.emplace_back("x-filler-" + std::to_string(i), "v");
            const std::string beta = "beta-" + std::to_string(count);
            call.headers.emplace_back("openai-beta", beta);
            const UpstreamRequest r = s.provider->build_native_request(config, call);
            auto given = std::find_if(r.headers.begin(), r.headers.end(),
                                      [](const auto &h) { return boost::beast::iequals(h.first, "openai-beta"); });
            BOOST_TEST_REQUIRE((given != r.headers.end()));
            BOOST_TEST(given->second == beta);
        }
    }
}
