// The OpenAI plugin passes a 2xx chat.completion through after a scan of its
// text (plugins/common/completion_scan.cpp) instead of a parsed tree. These
// cases drive the built plugin through the C ABI and hold it to the tree's
// reading, written out here: the same bodies pass, byte for byte, with the
// same typed usage, and the same ones are refused.
#define BOOST_TEST_MODULE completion_scan
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "plugins/plugin_harness.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace sbtest;

namespace {

Plugin &plugin() {
    static Plugin p((fs::path(SB_PLUGINS_DIR) / "switchboard-openai.so").string());
    return p;
}

struct Answer {
    sb_status status = -1;
    std::string body;
    std::optional<sb_usage> usage;  // what the plugin reported typed
};

Answer parse(std::string_view body) {
    Answer a;
    Config cfg("sk-test", "https://api.openai.com/v1", "gpt-4o-mini");
    sb_usage_sink sink{sizeof(sb_usage_sink), &a,
                       [](void *ctx, const sb_usage *u) { static_cast<Answer *>(ctx)->usage = *u; }};
    sb_http_response resp{sizeof(sb_http_response), 200, nullptr, 0, sb(body), &sink};
    sb_sink out{&a.body, [](void *ctx, const char *b, size_t n) { static_cast<std::string *>(ctx)->append(b, n); }};
    Error e;
    sb_error_sink es = Plugin::error_sink(e);
    a.status = plugin().table().parse_chat_response(cfg.get(), &resp, &out, &es);
    return a;
}

// ---- the tree's reading (kit::try_parse, usage_of_unified, json_count)

void null_non_finite(json::value &v) {
    if (v.is_double() && !std::isfinite(v.get_double())) v = nullptr;
    if (auto *a = v.if_array())
        for (auto &e : *a) null_non_finite(e);
    if (auto *o = v.if_object())
        for (auto &kv : *o) null_non_finite(kv.value());
}

std::int64_t count(const json::value *v) {
    constexpr std::int64_t kMax = 1'000'000'000'000'000;
    if (!v) return SB_USAGE_UNKNOWN;
    if (v->is_int64()) return std::clamp<std::int64_t>(v->get_int64(), 0, kMax);
    if (v->is_uint64()) return v->get_uint64() > std::uint64_t(kMax) ? kMax : std::int64_t(v->get_uint64());
    if (v->is_double()) {
        double d = v->get_double();
        if (!(d >= 0)) return 0;
        return d >= double(kMax) ? kMax : std::int64_t(d);
    }
    return SB_USAGE_UNKNOWN;
}

struct Expected {
    bool passes = false;
    std::optional<sb_usage> usage;
};

Expected tree_reading(std::string_view body) {
    Expected x;
    json::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) return x;
    null_non_finite(v);
    const json::object *o = v.if_object();
    if (!o) return x;
    if (const json::value *err = o->if_contains("error"); err && !err->is_null()) return x;
    const json::value *choices = o->if_contains("choices");
    if (!choices || !choices->is_array()) return x;
    x.passes = true;
    const json::value *u = o->if_contains("usage");
    if (!u || !u->is_object()) return x;
    const json::object &usage = u->get_object();
    sb_usage r{sizeof(sb_usage), count(usage.if_contains("prompt_tokens")),
               count(usage.if_contains("completion_tokens")), SB_USAGE_UNKNOWN, SB_USAGE_UNKNOWN};
    if (const json::value *d = usage.if_contains("prompt_tokens_details"); d && d->is_object())
        r.cached_tokens = count(d->get_object().if_contains("cached_tokens"));
    if (const json::value *d = usage.if_contains("completion_tokens_details"); d && d->is_object())
        r.reasoning_tokens = count(d->get_object().if_contains("reasoning_tokens"));
    x.usage = r;
    return x;
}

void check_as_the_tree_reads(std::string_view body) {
    BOOST_TEST_CONTEXT(body) {
        Expected x = tree_reading(body);
        Answer a = parse(body);
        BOOST_TEST((a.status == SB_OK) == x.passes);
        if (!x.passes) return;
        BOOST_TEST(a.body == body);  // passed through as it came
        if (!x.usage) return;  // the SDK's own text scan reports it then
        BOOST_REQUIRE(a.usage);
        BOOST_TEST(a.usage->prompt_tokens == x.usage->prompt_tokens);
        BOOST_TEST(a.usage->completion_tokens == x.usage->completion_tokens);
        BOOST_TEST(a.usage->cached_tokens == x.usage->cached_tokens);
        BOOST_TEST(a.usage->reasoning_tokens == x.usage->reasoning_tokens);
    }
}

const std::string kChoices = R"("choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}])";

std::string completion(const std::string &members) { return "{" + kChoices + (members.empty() ? "" : "," + members) + "}"; }

}  // namespace

BOOST_AUTO_TEST_CASE(passes_a_completion_through_byte_for_byte_with_its_usage) {
    std::string body = completion(
        R"("usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,)"
        R"("prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}})");
    Answer a = parse(body);
    BOOST_TEST(a.status == SB_OK);
    BOOST_TEST(a.body == body);
    BOOST_REQUIRE(a.usage);
    BOOST_TEST(a.usage->prompt_tokens == 12);
    BOOST_TEST(a.usage->completion_tokens == 5);
    BOOST_TEST(a.usage->cached_tokens == 4);
    BOOST_TEST(a.usage->reasoning_tokens == 2);
    check_as_the_tree_reads(body);
}

BOOST_AUTO_TEST_CASE(reads_usage_as_the_tree_does) {
    for (std::string members : {
             std::string(),
             std::string(R"("usage":null)"),
             std::string(R"("usage":5)"),
             std::string(R"("usage":[{"prompt_tokens":3}])"),
             std::string(R"("usage":{})"),
             std::string(R"("usage":{"prompt_tokens":1},"usage":{"completion_tokens":2})"),
             std::string(R"("usage":{"prompt_tokens":1},"usage":7)"),
             std::string(R"("usage":{"prompt_tokens":1,"prompt_tokens":"9"})"),
             std::string(R"("us\u0061ge":{"prompt_t\u006fkens":8})"),
             std::string(R"("usage":{"prompt_tokens":1e999,"completion_tokens":-5})"),
             std::string(R"("usage":{"prompt_tokens":1.7,"completion_tokens":1e20})"),
             std::string(R"("usage":{"prompt_tokens":18446744073709551615,"completion_tokens":true})"),
             std::string(R"("usage":{"prompt_tokens":-1e999,"completion_tokens":0.0})"),
             std::string(R"("usage":{"prompt_tokens_details":{"cached_tokens":3},"prompt_tokens_details":5})"),
             std::string(R"("usage":{"prompt_tokens_details":[{"cached_tokens":3}]})"),
             std::string(R"("usage":{"prompt_tokens_details":{"cached_tokens":3,"x":{"cached_tokens":9}}})"),
             std::string(R"("usage":{"completion_tokens_details":{"cached_tokens":3,"reasoning_tokens":4}})"),
             std::string(R"("usage":{"prompt_tokens_details_and_a_key_longer_than_the_scan_keeps":{"cached_tokens":1}})"),
             std::string(R"("x":{"prompt_tokens":5,"usage":{"prompt_tokens":6}},"cached_tokens":2)"),
             std::string(R"("usage":{"prompt_tokens":3,"nested":{"prompt_tokens":99}})"),
         })
        check_as_the_tree_reads(completion(members));
}

BOOST_AUTO_TEST_CASE(passes_and_refuses_what_the_tree_does) {
    for (std::string body : {
             std::string(R"({"choices":[]})"),
             std::string(R"({"choices":{}})"),
             std::string(R"({"choices":{},"choices":[]})"),
             std::string(R"({"choices":[],"choices":null})"),
             std::string(R"({"\u0063hoices":[]})"),
             std::string(R"({"choices":[],"error":null})"),
             std::string(R"({"choices":[],"error":{"message":"m"}})"),
             std::string(R"({"choices":[],"error":{"message":"m"},"error":null})"),
             std::string(R"({"choices":[],"error":null,"error":"x"})"),
             std::string(R"({"choices":[],"error":1e999})"),
             std::string(R"({"choices":[],"error":false})"),
             std::string(R"({"choices":[],"x":{"error":"nested"}})"),
             std::string(R"([{"choices":[]}])"),
             std::string(R"("text")"),
             std::string(),
             std::string("   "),
             std::string(R"({"choices":[]} x)"),
             std::string(R"({"choices":[]}{})"),
             std::string(R"({"choices":[]} )"),
             std::string(R"({"choices":[] /* c */})"),
             std::string("{\"choices\":[\"\xff\"]}"),
             std::string(R"({"choices":[1,2,)"),
             std::string(R"({"choices":[],"a":)" + std::string(40, '[') + std::string(40, ']') + "}"),
             std::string(R"({"choices":[],"a":)" + std::string(30, '[') + std::string(30, ']') + "}"),
         })
        check_as_the_tree_reads(body);
}

BOOST_AUTO_TEST_CASE(reads_every_fixture_body_as_the_tree_does) {
    int checked = 0;
    for (const auto &entry : fs::recursive_directory_iterator(SB_TEST_FIXTURES_DIR)) {
        if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
        if (entry.file_size() > 256 * 1024) continue;
        check_as_the_tree_reads(read_file(entry.path().string()));
        ++checked;
    }
    BOOST_TEST(checked > 50);
}
