// Shared by the *_replay_test suites: the recorded vendor exchanges in
// tests/fixtures/recorded/<vendor>/ (see its README.md), the SSE events of a
// recorded stream, and the OpenAI-format answer a plugin produced, whole or
// assembled from its stream chunks, in one shape the checks can read.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "plugin_harness.hpp"

namespace sbtest {

namespace json = boost::json;

// File names (sorted) of the recordings of one vendor.
inline std::vector<std::string> recordings(const std::string &vendor) {
    std::vector<std::string> names;
    const auto dir = std::filesystem::path(SB_TEST_FIXTURES_DIR) / "recorded" / vendor;
    for (const auto &e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

inline json::object recording(const std::string &vendor, const std::string &name) {
    return json::parse(fixture("recorded/" + vendor + "/" + name)).as_object();
}

// The data payloads of an SSE body, in order (events split on blank lines,
// "\r\n" or "\n"; multi-line data joined with "\n"; comments and event names
// dropped: both plugins read the type from the data).
inline std::vector<std::string> sse_data(const std::string &body) {
    std::vector<std::string> events;
    std::string data;
    bool have = false;
    size_t pos = 0;
    while (pos <= body.size()) {
        size_t eol = body.find('\n', pos);
        if (eol == std::string::npos) eol = body.size();
        std::string line = body.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) {
            if (have) events.push_back(data);
            data.clear();
            have = false;
        } else if (line.rfind("data:", 0) == 0) {
            std::string v = line.substr(5);
            if (!v.empty() && v[0] == ' ') v.erase(0, 1);
            if (have) data += "\n";
            data += v;
            have = true;
        }
        pos = eol + 1;
    }
    if (have) events.push_back(data);
    return events;
}

// One choice of an OpenAI answer, whole or summed up from stream deltas.
struct Answer {
    std::string content;
    std::string reasoning;
    json::array thinking_blocks;
    json::array annotations;
    struct Call {
        std::string id, name, arguments;
        json::value extra;  // extra_content, when present
    };
    std::vector<Call> tool_calls;  // by OpenAI index
    json::value extra;  // the message's extra_content, when present
    std::string finish_reason;
    bool has_finish = false;
};

struct Answers {
    std::map<int64_t, Answer> choices;
    json::object usage;
    bool has_usage = false;
    std::string id;
};

inline std::string str(const json::object &o, const char *key) {
    const json::value *v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

inline void append_array(json::array &to, const json::object &o, const char *key) {
    if (const json::value *v = o.if_contains(key); v && v->is_array())
        for (const auto &x : v->get_array()) to.push_back(x);
}

inline void add_message_parts(Answer &a, const json::object &m, bool delta) {
    a.content += str(m, "content");
    a.reasoning += str(m, "reasoning_content");
    append_array(a.thinking_blocks, m, "thinking_blocks");
    append_array(a.annotations, m, "annotations");
    if (const json::value *x = m.if_contains("extra_content")) a.extra = *x;
    const json::value *calls = m.if_contains("tool_calls");
    if (!calls || !calls->is_array()) return;
    size_t position = 0;
    for (const auto &cv : calls->get_array()) {
        const json::object &c = cv.as_object();
        size_t index = position++;
        if (delta) index = size_t(c.at("index").to_number<int64_t>());
        if (a.tool_calls.size() <= index) a.tool_calls.resize(index + 1);
        Answer::Call &call = a.tool_calls[index];
        call.id += str(c, "id");
        if (const json::value *f = c.if_contains("function"); f && f->is_object()) {
            call.name += str(f->get_object(), "name");
            call.arguments += str(f->get_object(), "arguments");
        }
        if (const json::value *x = c.if_contains("extra_content")) call.extra = *x;
    }
}

// Adds one OpenAI choice (whole: "message"; streamed: "delta") and the
// usage and id of its envelope.
inline void add_choices(Answers &out, const json::object &o, const char *part, bool delta) {
    if (out.id.empty()) out.id = str(o, "id");
    for (const auto &cv : o.at("choices").as_array()) {
        const json::object &c = cv.as_object();
        Answer &a = out.choices[c.at("index").to_number<int64_t>()];
        add_message_parts(a, c.at(part).as_object(), delta);
        if (c.at("finish_reason").is_string()) {
            a.finish_reason = std::string(c.at("finish_reason").get_string());
            a.has_finish = true;
        }
    }
    if (const json::value *u = o.if_contains("usage"); u && u->is_object()) {
        out.usage = u->get_object();
        out.has_usage = true;
    }
}

inline Answers read_completion(const std::string &body) {
    Answers out;
    add_choices(out, json::parse(body).as_object(), "message", false);
    return out;
}

inline Answers read_chunks(const std::vector<std::string> &chunks) {
    Answers out;
    for (const auto &text : chunks) add_choices(out, json::parse(text).as_object(), "delta", true);
    return out;
}

// A usage figure of the OpenAI answer ("prompt_tokens_details.cached_tokens"
// style paths); -1 when absent.
inline int64_t usage_figure(const json::object &usage, const std::string &path) {
    const json::object *o = &usage;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        const json::value *v = o->if_contains(key);
        if (!v) return -1;
        if (dot == std::string::npos) return v->is_number() ? v->to_number<int64_t>() : -1;
        if (!v->is_object()) return -1;
        o = &v->get_object();
        start = dot + 1;
    }
}

// The texts appear in haystack in this order (each after the previous one).
inline bool appear_in_order(const std::string &haystack, const std::vector<std::string> &texts,
                            std::string &missing) {
    size_t pos = 0;
    for (const auto &t : texts) {
        size_t at = haystack.find(t, pos);
        if (at == std::string::npos) {
            missing = t;
            return false;
        }
        pos = at + t.size();
    }
    return true;
}

}  // namespace sbtest
