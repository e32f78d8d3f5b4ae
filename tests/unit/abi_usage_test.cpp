#define BOOST_TEST_MODULE abi_usage
#include <boost/test/unit_test.hpp>

// ABI v1.2: typed usage. Plugins built against the frozen v1.0 and v1.1
// headers and the current one load into one host, chat plainly and streamed,
// and get their token counts to it: found in their JSON for 1.0 and 1.1,
// taken from the typed report for 1.2 (whose typed counts differ from its
// JSON's on purpose). And the C++ helper's side of the same channel.
#include "core/gateway/request_context.hpp"
#include "core/plugin/plugin_library.hpp"
#include "core/plugin/provider.hpp"

#include <switchboard/provider.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace sb::core;
namespace fs = std::filesystem;
namespace sdk = switchboard::sdk;

namespace sb::core {
// For Boost.Test's messages (found by argument-dependent lookup).
std::ostream &operator<<(std::ostream &os, const TokenUsage &u) {
    return os << '{' << u.prompt_tokens << ',' << u.completion_tokens << ',' << u.cached_tokens << ','
              << u.reasoning_tokens << '}';
}
}  // namespace sb::core

namespace {

const fs::path kTestPlugins = SB_TEST_PLUGINS_DIR;

// What the vendor sent, in the JSON every build passes through unchanged.
const TokenUsage kJsonUsage{5, 7, 2, 3};
// What the v1.2 build reports typed instead (usage_echo.c's TYPED_*).
const TokenUsage kTypedUsage{101, 202, 33, 44};

const std::string kCompletion =
    R"({"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"pong"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,)"
    R"("total_tokens":12,"prompt_tokens_details":{"cached_tokens":2},)"
    R"("completion_tokens_details":{"reasoning_tokens":3}}})";
const std::string kDelta =
    R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"pong"}}]})";
const std::string kUsageChunk =
    R"({"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,)"
    R"("completion_tokens":7,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":2},)"
    R"("completion_tokens_details":{"reasoning_tokens":3}}})";

const EffectiveConfig kConfig{"", "http://127.0.0.1:9/v1", "echo-model"};
const std::string kRequest = R"({"model":"echo-model","messages":[{"role":"user","content":"ping"}]})";

struct Build {
    const char *file;
    const char *abi;
    const char *id;
    TokenUsage expected;  // what must reach the host
};

const Build kBuilds[] = {
    {"usage_echo_1_0.so", "1.0", "abi10", kJsonUsage},
    {"usage_echo_1_1.so", "1.1", "abi11", kJsonUsage},
    {"usage_echo_1_2.so", "1.2", "abi12", kTypedUsage},
};

// All three builds, loaded side by side into this one host.
struct AllMinors {
    std::vector<std::unique_ptr<LoadedProvider>> providers;
    AllMinors() {
        for (const auto &b : kBuilds)
            providers.push_back(std::make_unique<LoadedProvider>(PluginLibrary::load(kTestPlugins / b.file)));
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(plugins_of_every_minor_version_load_into_one_host) {
    AllMinors all;
    for (std::size_t i = 0; i < std::size(kBuilds); ++i) {
        BOOST_TEST(all.providers[i]->library().abi_version() == kBuilds[i].abi);
        BOOST_TEST(all.providers[i]->id() == kBuilds[i].id);
    }
    // The frozen headers' tables are smaller than today's.
    BOOST_TEST(all.providers[0]->library().table().struct_size < all.providers[2]->library().table().struct_size);
}

BOOST_AUTO_TEST_CASE(plain_chat_works_and_usage_reaches_the_host_from_every_minor) {
    AllMinors all;
    UpstreamResponse answer{200, {{"content-type", "application/json"}}, kCompletion};
    for (std::size_t i = 0; i < std::size(kBuilds); ++i) {
        const LoadedProvider &p = *all.providers[i];
        UpstreamRequest req = p.build_chat_request(kConfig, kRequest, false);
        BOOST_TEST(req.url == "http://127.0.0.1:9/v1/chat/completions");
        BOOST_TEST(req.body == kRequest);
        TokenUsage usage;
        BOOST_TEST(p.parse_chat_response(kConfig, answer, &usage) == kCompletion);
        BOOST_TEST((usage == kBuilds[i].expected), kBuilds[i].abi << ": " << usage);
    }
}

BOOST_AUTO_TEST_CASE(streamed_chat_works_and_usage_reaches_the_host_from_every_minor) {
    AllMinors all;
    for (std::size_t i = 0; i < std::size(kBuilds); ++i) {
        auto stream = all.providers[i]->open_stream(kConfig, kRequest);
        std::vector<std::string> chunks;
        auto collect = [&](std::string_view c) { chunks.emplace_back(c); };
        BOOST_TEST(!stream->feed("", kDelta, collect));
        BOOST_TEST(!stream->feed("", kUsageChunk, collect));
        BOOST_TEST(stream->feed("", "[DONE]", collect));
        stream->finish(collect);
        BOOST_TEST(chunks == (std::vector<std::string>{kDelta, kUsageChunk}), kBuilds[i].abi);
        BOOST_TEST((stream->usage() == kBuilds[i].expected), kBuilds[i].abi << ": " << stream->usage());
    }
}

BOOST_AUTO_TEST_CASE(stream_usage_is_the_latest_total_as_it_arrives) {
    AllMinors all;
    auto stream = all.providers[2]->open_stream(kConfig, kRequest);
    auto ignore = [](std::string_view) {};
    stream->feed("", kDelta, ignore);
    // v1.2: the prompt tokens came with the first event, the rest is unknown yet.
    BOOST_TEST((stream->usage() == TokenUsage{101, -1, -1, -1}), stream->usage());
    stream->feed("", kUsageChunk, ignore);
    BOOST_TEST((stream->usage() == kTypedUsage), stream->usage());
}

BOOST_AUTO_TEST_CASE(host_never_scans_the_json_of_a_v1_2_plugin) {
    // c_echo is a current (1.2) plugin that reports no typed usage: its JSON
    // says 5 and 7, but the host trusts the (missing) typed report.
    LoadedProvider p(PluginLibrary::load(kTestPlugins / "c_echo.so"));
    BOOST_REQUIRE(p.library().table().abi_minor >= 2u);
    UpstreamResponse answer{200, {}, kCompletion};
    TokenUsage usage;
    p.parse_chat_response(kConfig, answer, &usage);
    BOOST_TEST((usage == TokenUsage{}), usage);
}

BOOST_AUTO_TEST_CASE(usage_counts_reach_the_request_context_and_unknown_keeps_earlier) {
    RequestContext context;
    count_usage(TokenUsage{5, -1, -1, -1}, context);
    count_usage(TokenUsage{-1, 7, 2, 3}, context);
    BOOST_TEST(context.prompt_tokens == 5);
    BOOST_TEST(context.completion_tokens == 7);
    BOOST_TEST(context.cached_tokens == 2);
    BOOST_TEST(context.reasoning_tokens == 3);
}

BOOST_AUTO_TEST_CASE(usage_from_json_reads_openai_names_and_leaves_the_rest_unknown) {
    sb_usage u = sdk::usage_from_json(kUsageChunk);
    BOOST_TEST(u.prompt_tokens == 5);
    BOOST_TEST(u.completion_tokens == 7);
    BOOST_TEST(u.cached_tokens == 2);
    BOOST_TEST(u.reasoning_tokens == 3);
    sb_usage none = sdk::usage_from_json(kDelta);
    BOOST_TEST(!sdk::any_known(none));
    sb_usage negative = sdk::usage_from_json(R"({"usage":{"prompt_tokens":-4,"completion_tokens":1}})");
    BOOST_TEST(negative.prompt_tokens == SB_USAGE_UNKNOWN);
    BOOST_TEST(negative.completion_tokens == 1);
}

// ---- the C++ helper (provider.hpp) ----

namespace {

const sb_provider_descriptor kSdkDescriptor = {
    sizeof(sb_provider_descriptor), sdk::to_sb("sdkusage"), sdk::to_sb("SDK usage"), sdk::to_sb("1"),
    sdk::to_sb("m"), {}, {}, {}, {}, SB_CAP_STREAMING, SB_FRAMING_SSE, nullptr, 0, {}, {}};

// Reports typed usage that differs from its JSON's when `typed` is set.
template <bool typed>
struct UsageProvider : sdk::Provider {
    static const sb_provider_descriptor &descriptor() { return kSdkDescriptor; }
    sdk::HttpRequest build_chat_request(const sdk::Config &, std::string_view, bool) override { return {}; }
    std::string parse_chat_response(const sdk::Config &, const sdk::HttpResponse &response) override {
        if (typed) response.usage(sdk::Usage{11, 22, 3, 4});
        return kCompletion;
    }
    struct Echo : sdk::Stream {
        bool on_event(std::string_view, std::string_view data, const sdk::ChunkWriter &out) override {
            out.emit(data);
            if (typed) out.usage(sdk::Usage{11, 22, -1, -1});
            return false;
        }
        void finish(const sdk::ChunkWriter &) override {}
    };
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &, std::string_view) override {
        return std::make_unique<Echo>();
    }
};

struct Collected {
    std::vector<sb_usage> reports;
    std::string text;
};

void collect_usage(void *ctx, const sb_usage *u) { static_cast<Collected *>(ctx)->reports.push_back(*u); }
void collect_text(void *ctx, const char *bytes, size_t len) { static_cast<Collected *>(ctx)->text.append(bytes, len); }

template <class P>
Collected parse_with(bool host_has_usage_sink) {
    const sb_plugin &t = sdk::detail::Adapter<P>::table();
    Collected c;
    sb_provider_config config{sizeof(sb_provider_config), {}, sdk::to_sb("http://x"), sdk::to_sb("m")};
    sb_usage_sink usage{sizeof(sb_usage_sink), &c, &collect_usage};
    sb_http_response response{sizeof(sb_http_response), 200, nullptr, 0, {}, &usage};
    // A v1.1 host's response ends before `usage`.
    if (!host_has_usage_sink) response.struct_size = offsetof(sb_http_response, usage);
    sb_sink out{&c, &collect_text};
    BOOST_TEST(t.parse_chat_response(&config, &response, &out, nullptr) == SB_OK);
    return c;
}

template <class P>
Collected stream_with(uint32_t sink_size) {
    const sb_plugin &t = sdk::detail::Adapter<P>::table();
    Collected c;
    sb_provider_config config{sizeof(sb_provider_config), {}, sdk::to_sb("http://x"), sdk::to_sb("m")};
    sb_chat_request request{sizeof(sb_chat_request), sdk::to_sb(kRequest), 1};
    sb_stream *stream = nullptr;
    BOOST_REQUIRE(t.stream_open(&config, &request, &stream, nullptr) == SB_OK);
    sb_chunk_sink sink{sink_size, &c, &collect_text, &collect_usage};
    // Past an older host's sink lies whatever its stack holds: a poison pointer.
    if (sink_size < sizeof(sb_chunk_sink)) sink.usage = reinterpret_cast<decltype(sink.usage)>(1);
    sb_stream_event event{sizeof(sb_stream_event), {}, sdk::to_sb(kUsageChunk)};
    t.stream_event(stream, &event, &sink, nullptr);
    t.stream_close(stream, &sink, nullptr);
    return c;
}

}  // namespace

// Minor 2 brought typed usage; SDK plugins report the SDK's own minor (3
// since embeddings), so the host reads their usage typed.
BOOST_AUTO_TEST_CASE(sdk_plugins_report_abi_minor_2_or_later) {
    BOOST_TEST(sdk::detail::Adapter<UsageProvider<true>>::table().abi_minor == unsigned(SB_ABI_VERSION_MINOR));
    BOOST_TEST(sdk::detail::Adapter<UsageProvider<true>>::table().abi_minor >= 2u);
}

BOOST_AUTO_TEST_CASE(sdk_parse_reports_typed_usage_when_the_provider_gives_it) {
    Collected c = parse_with<UsageProvider<true>>(true);
    BOOST_TEST(c.text == kCompletion);
    BOOST_REQUIRE(c.reports.size() == 1u);
    BOOST_TEST(c.reports[0].prompt_tokens == 11);
    BOOST_TEST(c.reports[0].reasoning_tokens == 4);
}

BOOST_AUTO_TEST_CASE(sdk_parse_reports_the_json_counts_for_a_provider_that_gives_none) {
    Collected c = parse_with<UsageProvider<false>>(true);
    BOOST_REQUIRE(c.reports.size() == 1u);
    BOOST_TEST(c.reports[0].prompt_tokens == 5);
    BOOST_TEST(c.reports[0].completion_tokens == 7);
}

BOOST_AUTO_TEST_CASE(sdk_parse_usage_is_a_no_op_for_an_older_host) {
    Collected c = parse_with<UsageProvider<true>>(false);
    BOOST_TEST(c.text == kCompletion);
    BOOST_TEST(c.reports.empty());
}

BOOST_AUTO_TEST_CASE(sdk_chunk_writer_reports_typed_usage_only_once_given) {
    Collected c = stream_with<UsageProvider<true>>(sizeof(sb_chunk_sink));
    BOOST_TEST(c.text == kUsageChunk);
    BOOST_REQUIRE(c.reports.size() == 1u);  // typed, not the JSON's 5 and 7
    BOOST_TEST(c.reports[0].prompt_tokens == 11);
    BOOST_TEST(c.reports[0].cached_tokens == SB_USAGE_UNKNOWN);
}

BOOST_AUTO_TEST_CASE(sdk_chunk_writer_reports_the_json_counts_for_a_stream_that_gives_none) {
    Collected c = stream_with<UsageProvider<false>>(sizeof(sb_chunk_sink));
    BOOST_REQUIRE(c.reports.size() == 1u);
    BOOST_TEST(c.reports[0].completion_tokens == 7);
}

BOOST_AUTO_TEST_CASE(sdk_chunk_writer_usage_is_a_no_op_on_an_older_hosts_sink) {
    // struct_size ends before `usage`, whose slot holds a poison pointer.
    Collected c = stream_with<UsageProvider<true>>(offsetof(sb_chunk_sink, usage));
    BOOST_TEST(c.text == kUsageChunk);
    BOOST_TEST(c.reports.empty());
}
