// Checks shared by the openai, mistral and cohere replay suites: a plugin's
// OpenAI-format answer compared with what the vendor sent, read from the
// vendor's JSON with replay_support.hpp, never from hand-written strings.
#pragma once

#include <boost/test/unit_test.hpp>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "replay_support.hpp"

namespace sbtest {

// The plugin under replay (SB_PLUGIN_PATH of the suite), loaded once.
inline Plugin &replayed_plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

// One recorded exchange, as the suites read it.
struct Exchange {
    std::string model;
    bool stream = false;
    json::value request;  // the body the client sent the vendor
    int status = 0;       // the vendor's answer
    std::string body;
};

inline Exchange exchange(const std::string &vendor, const std::string &name) {
    json::object rec = recording(vendor, name);
    const json::object &resp = rec.at("response").as_object();
    return Exchange{std::string(rec.at("model").as_string()), rec.at("stream").as_bool(),
                    rec.at("request").at("body"), int(resp.at("status").to_number<int64_t>()),
                    std::string(resp.at("body").as_string())};
}

// Every number in a vendor usage object, by dotted path ("tokens.input_tokens").
inline void number_leaves(const json::object &o, const std::string &prefix,
                          std::vector<std::pair<std::string, int64_t>> &out) {
    for (const auto &kv : o) {
        std::string path = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
        if (kv.value().is_number()) out.emplace_back(path, kv.value().to_number<int64_t>());
        else if (kv.value().is_object()) number_leaves(kv.value().get_object(), path, out);
    }
}

// Each usage figure the vendor reported is in the OpenAI usage at the path
// `openai_path` gives for it; a figure with no OpenAI place must be named in
// `dropped` (and in docs/providers.md).
inline void check_usage(const json::object &vendor_usage, const Answers &got,
                        const std::function<std::string(const std::string &)> &openai_path,
                        const std::set<std::string> &dropped = {}) {
    BOOST_TEST_REQUIRE(got.has_usage, "the answer carries no usage");
    std::vector<std::pair<std::string, int64_t>> leaves;
    number_leaves(vendor_usage, "", leaves);
    for (const auto &[path, value] : leaves) {
        if (dropped.count(path)) continue;
        std::string to = openai_path(path);
        BOOST_TEST(!to.empty(), "vendor usage " << path << " has no OpenAI place and is not listed as dropped");
        if (to.empty()) continue;
        BOOST_TEST(usage_figure(got.usage, to) == value, "usage " << path << " -> " << to);
    }
    const int64_t p = usage_figure(got.usage, "prompt_tokens"), c = usage_figure(got.usage, "completion_tokens");
    BOOST_TEST(p >= 0);
    BOOST_TEST(c >= 0);
    BOOST_TEST(usage_figure(got.usage, "total_tokens") >= p + c);
}

// Choice by choice: text, reasoning, tool calls (id, name, argument JSON),
// annotations and finish reason.
inline void check_choices(const Answers &want, const Answers &got) {
    BOOST_TEST(got.choices.size() == want.choices.size());
    for (const auto &[index, w] : want.choices) {
        auto it = got.choices.find(index);
        BOOST_TEST_REQUIRE((it != got.choices.end()), "choice " << index << " missing");
        const Answer &g = it->second;
        BOOST_TEST_CONTEXT("choice " << index) {
            BOOST_TEST(g.content == w.content);
            BOOST_TEST(g.reasoning == w.reasoning);
            BOOST_TEST(g.annotations == w.annotations);
            BOOST_TEST(g.has_finish == w.has_finish);
            BOOST_TEST(g.finish_reason == w.finish_reason);
            BOOST_TEST_REQUIRE(g.tool_calls.size() == w.tool_calls.size());
            for (size_t i = 0; i < w.tool_calls.size(); ++i) {
                BOOST_TEST(g.tool_calls[i].id == w.tool_calls[i].id, "call " << i);
                BOOST_TEST(g.tool_calls[i].name == w.tool_calls[i].name, "call " << i);
                // Same JSON, spelled the same or not.
                BOOST_TEST(json::parse(g.tool_calls[i].arguments) == json::parse(w.tool_calls[i].arguments),
                           "call " << i << ": " << g.tool_calls[i].arguments);
            }
        }
    }
}

// The error a recorded vendor error must become: its HTTP status, the kind
// its status and code stand for, and the vendor's own message.
inline void check_error(const Result &r, int status, sb_error_kind kind, const std::string &vendor_message) {
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.reports == 1);
    BOOST_TEST(r.error.http_status == status);
    BOOST_TEST(r.error.kind == kind, "kind " << r.error.kind << ": " << r.error.message);
    BOOST_TEST(!vendor_message.empty());
    BOOST_TEST(r.error.message.find(vendor_message) != std::string::npos, r.error.message);
}

inline sb_error_kind kind_for(int status, const std::string &code) {
    if (code == "model_not_found" || code == "model_not_available") return SB_ERROR_MODEL_NOT_FOUND;
    if (status == 401) return SB_ERROR_INVALID_API_KEY;
    if (status == 403) return SB_ERROR_PERMISSION_DENIED;
    if (status == 404) return SB_ERROR_MODEL_NOT_FOUND;
    if (status == 429) return SB_ERROR_RATE_LIMITED;
    if (status >= 400 && status < 500) return SB_ERROR_INVALID_REQUEST;
    return SB_ERROR_UPSTREAM;
}

// A request body with what does not change its meaning removed: null
// members, "stream": false, empty "tool_calls", and the "index" of assistant
// tool calls (stream-delta bookkeeping some clients echo back; vendors
// ignore it).
inline json::value canonical_request(json::value v) {
    if (json::object *o = v.if_object()) {
        json::object out;
        for (auto &kv : *o) {
            if (kv.value().is_null()) continue;
            if (kv.key() == "stream" && kv.value().is_bool() && !kv.value().get_bool()) continue;
            out[kv.key()] = canonical_request(kv.value());
        }
        if (json::value *calls = out.if_contains("tool_calls"); calls && calls->is_array() && calls->get_array().empty())
            out.erase("tool_calls");
        if (json::value *calls = out.if_contains("tool_calls"); calls && calls->is_array())
            for (json::value &c : calls->get_array())
                if (json::object *co = c.if_object()) co->erase("index");
        return out;
    }
    if (json::array *a = v.if_array()) {
        json::array out;
        for (auto &e : *a) out.push_back(canonical_request(e));
        return out;
    }
    return v;
}

// One recorded exchange fed to a plugin: a vendor error must come out as
// check_error says; a whole answer, or a stream ending with stream_end, is
// handed to check(vendor JSON, plugin answer), a stream's vendor JSON being
// what whole_from_stream(events) assembles.
template <class WholeFromStream, class Check>
void replay_answer(const Plugin &plugin, const json::object &rec, Config &cfg, sb_status stream_end,
                   WholeFromStream whole_from_stream, Check check) {
    const json::object &resp = rec.at("response").as_object();
    const int status = int(resp.at("status").to_number<int64_t>());
    const std::string body(resp.at("body").as_string());
    if (status != 200) {
        // The vendor's error: its status, message and a kind that says what went wrong.
        check_error(plugin.parse_chat(cfg, status, body), status, kind_for(status, ""),
                    str(json::parse(body).at("error").as_object(), "message"));
        return;
    }
    if (rec.at("stream").as_bool()) {
        std::vector<std::string> events = sse_data(body);
        StreamResult r = plugin.stream(cfg, "{\"messages\":[]}", events);
        BOOST_TEST(r.status == stream_end, r.error.message);
        check(whole_from_stream(events), read_chunks(r.chunks));
    } else {
        ParseResult r = plugin.parse_chat(cfg, status, body);
        BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
        check(json::parse(body).as_object(), read_completion(r.body));
    }
}

}  // namespace sbtest
