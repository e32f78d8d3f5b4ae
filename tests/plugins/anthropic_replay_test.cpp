// Every recorded Anthropic exchange (tests/fixtures/recorded/anthropic/) replayed
// through the plugin: what the vendor sent must be in the OpenAI-format answer.
// The expectations are read from the vendor's own JSON (its content blocks,
// stop_reason and usage), never written by hand; a block type the plugin does
// not carry must be named in kHiddenBlocks (and in docs/providers.md).
#define BOOST_TEST_MODULE anthropic_replay
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <set>

#include "replay_checks.hpp"

namespace bdata = boost::unit_test::data;
using namespace sbtest;

namespace {

Plugin &plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

// Server-side tool blocks: the vendor ran the tool itself; OpenAI's chat
// format has no place for the call or its (often encrypted) result.
const std::set<std::string> kHiddenBlocks = {
    "server_tool_use",       "web_search_tool_result", "web_fetch_tool_result",
    "mcp_tool_use",          "mcp_tool_result",        "advisor_tool_result",
    "code_execution_tool_result", "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result", "tool_search_tool_result"};

const std::map<std::string, std::string> kFinish = {
    {"end_turn", "stop"},           {"stop_sequence", "stop"}, {"pause_turn", "stop"},
    {"max_tokens", "length"},       {"model_context_window_exceeded", "length"},
    {"tool_use", "tool_calls"},     {"refusal", "content_filter"}};

int64_t num(const json::object &o, const char *key) {
    const json::value *v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<int64_t>() : 0;
}

// The whole message a recorded stream describes, in the non-streamed shape.
json::object message_from_stream(const std::vector<std::string> &events) {
    json::object msg;
    std::map<int64_t, json::object> blocks;
    std::map<int64_t, std::string> partial_json;
    for (const auto &data : events) {
        json::object e = json::parse(data).as_object();
        std::string type = str(e, "type");
        if (type == "message_start") {
            msg = e.at("message").as_object();
        } else if (type == "content_block_start") {
            blocks[num(e, "index")] = e.at("content_block").as_object();
        } else if (type == "content_block_delta") {
            json::object &b = blocks[num(e, "index")];
            const json::object &d = e.at("delta").as_object();
            std::string dt = str(d, "type");
            if (dt == "text_delta") b["text"] = str(b, "text") + str(d, "text");
            else if (dt == "thinking_delta") b["thinking"] = str(b, "thinking") + str(d, "thinking");
            else if (dt == "signature_delta") b["signature"] = str(b, "signature") + str(d, "signature");
            else if (dt == "input_json_delta") partial_json[num(e, "index")] += str(d, "partial_json");
            else if (dt == "citations_delta") {
                if (!b.contains("citations") || !b["citations"].is_array()) b["citations"] = json::array();
                b["citations"].as_array().push_back(d.at("citation"));
            } else BOOST_ERROR("unknown delta type " << dt);
        } else if (type == "message_delta") {
            for (const auto &kv : e.at("delta").as_object()) msg[kv.key()] = kv.value();
            if (const json::value *u = e.if_contains("usage"))
                for (const auto &kv : u->as_object()) msg["usage"].as_object()[kv.key()] = kv.value();
        }
    }
    json::array content;
    for (auto &[index, b] : blocks) {
        if (auto it = partial_json.find(index); it != partial_json.end() && !it->second.empty())
            b["input"] = json::parse(it->second);
        content.push_back(b);
    }
    msg["content"] = std::move(content);
    return msg;
}

// The vendor message against the plugin's answer.
void check_answer(const json::object &msg, const Answers &got) {
    BOOST_TEST(got.id == str(msg, "id"));
    BOOST_REQUIRE(got.choices.size() == 1u);
    const Answer &a = got.choices.at(0);

    std::string content;  // the documented joining rule
    bool separator_due = false;
    std::vector<std::string> reasoning;
    json::array thinking;
    size_t calls = 0, citations = 0;
    for (const auto &bv : msg.at("content").as_array()) {
        const json::object &b = bv.as_object();
        const std::string type = str(b, "type");
        if (type == "text") {
            if (separator_due) content += "\n\n";
            separator_due = false;
            content += str(b, "text");
            if (const json::value *cs = b.if_contains("citations"); cs && cs->is_array())
                for (const auto &cv : cs->get_array()) {
                    const json::object &c = cv.as_object();
                    BOOST_REQUIRE(citations < a.annotations.size());
                    const json::object &an = a.annotations[citations++].as_object();
                    // url_citation carries url, title and the cited text;
                    // other kinds carry the vendor's citation whole.
                    if (!str(c, "url").empty()) {
                        const json::object &uc = an.at("url_citation").as_object();
                        BOOST_TEST(str(uc, "url") == str(c, "url"));
                        BOOST_TEST(str(uc, "title") == str(c, "title"));
                        BOOST_TEST(str(uc, "cited_text") == str(c, "cited_text"));
                    } else {
                        for (const auto &kv : c)
                            BOOST_TEST(an.at("citation").as_object().at(kv.key()) == kv.value());
                    }
                }
        } else if (type == "thinking") {
            reasoning.push_back(str(b, "thinking"));
            thinking.push_back(json::object{{"type", "thinking"},
                                            {"thinking", b.at("thinking")},
                                            {"signature", b.at("signature")}});
        } else if (type == "redacted_thinking") {
            thinking.push_back(json::object{{"type", "redacted_thinking"}, {"data", b.at("data")}});
        } else if (type == "tool_use") {
            separator_due = !content.empty();
            BOOST_REQUIRE(calls < a.tool_calls.size());
            const Answer::Call &call = a.tool_calls[calls++];
            BOOST_TEST(call.id == str(b, "id"));
            BOOST_TEST(call.name == str(b, "name"));
            BOOST_TEST(json::parse(call.arguments) == b.at("input"), call.arguments);
        } else {
            BOOST_TEST(kHiddenBlocks.count(type) == 1u, "block type " << type << " is neither carried nor named");
            separator_due = !content.empty();
        }
    }
    BOOST_TEST(a.content == content);
    BOOST_TEST(calls == a.tool_calls.size());
    BOOST_TEST(citations == a.annotations.size());
    std::string missing;
    BOOST_TEST(appear_in_order(a.reasoning, reasoning, missing), "reasoning lacks: " << missing);
    BOOST_TEST(a.thinking_blocks == thinking, "\n got: " << a.thinking_blocks << "\nwant: " << thinking);

    auto finish = kFinish.find(str(msg, "stop_reason"));
    BOOST_REQUIRE(finish != kFinish.end());
    BOOST_TEST(a.finish_reason == finish->second);

    const json::object &u = msg.at("usage").as_object();
    const int64_t prompt = num(u, "input_tokens") + num(u, "cache_creation_input_tokens") +
                           num(u, "cache_read_input_tokens");
    BOOST_REQUIRE(got.has_usage);
    BOOST_TEST(usage_figure(got.usage, "prompt_tokens") == prompt);
    BOOST_TEST(usage_figure(got.usage, "completion_tokens") == num(u, "output_tokens"));
    BOOST_TEST(usage_figure(got.usage, "total_tokens") == prompt + num(u, "output_tokens"));
    if (num(u, "cache_read_input_tokens") > 0)
        BOOST_TEST(usage_figure(got.usage, "prompt_tokens_details.cached_tokens") ==
                   num(u, "cache_read_input_tokens"));
    if (const json::value *d = u.if_contains("output_tokens_details"); d && num(d->as_object(), "thinking_tokens") > 0)
        BOOST_TEST(usage_figure(got.usage, "completion_tokens_details.reasoning_tokens") ==
                   num(d->as_object(), "thinking_tokens"));
}

// ------------------------------------------------------------ request side

// The OpenAI request a client would send for the recorded Anthropic one, as
// far as OpenAI's format can say it; sets expressible=false when it cannot
// (server tools, URL documents, inline system turns, vendor-only fields).
json::object openai_request(const json::object &vendor, bool &expressible) {
    expressible = true;
    json::object out;
    json::array messages;
    if (const json::value *s = vendor.if_contains("system")) {
        if (s->is_string()) messages.push_back(json::object{{"role", "system"}, {"content", *s}});
        else messages.push_back(json::object{{"role", "system"}, {"content", *s}});
    }
    for (const auto &mv : vendor.at("messages").as_array()) {
        const json::object &m = mv.as_object();
        const std::string role = str(m, "role");
        if (role != "user" && role != "assistant") {
            expressible = false;
            continue;
        }
        const json::value &c = m.at("content");
        if (c.is_string()) {
            messages.push_back(json::object{{"role", role}, {"content", c}});
            continue;
        }
        json::array parts, calls;
        for (const auto &bv : c.as_array()) {
            const json::object &b = bv.as_object();
            const std::string type = str(b, "type");
            if (type == "text") {
                parts.push_back(b);
            } else if (type == "image" && str(b.at("source").as_object(), "type") == "url") {
                parts.push_back(json::object{{"type", "image_url"},
                                             {"image_url", {{"url", b.at("source").at("url")}}}});
            } else if (type == "tool_use") {
                calls.push_back(json::object{
                    {"id", b.at("id")}, {"type", "function"},
                    {"function", {{"name", b.at("name")}, {"arguments", json::serialize(b.at("input"))}}}});
            } else if (type == "tool_result") {
                messages.push_back(json::object{
                    {"role", "tool"}, {"tool_call_id", b.at("tool_use_id")}, {"content", b.at("content")}});
            } else {
                expressible = false;
            }
        }
        if (!parts.empty() || !calls.empty()) {
            json::object msg{{"role", role}, {"content", parts}};
            if (!calls.empty()) msg["tool_calls"] = calls;
            messages.push_back(std::move(msg));
        }
    }
    out["messages"] = std::move(messages);
    out["max_tokens"] = vendor.at("max_tokens");
    for (const char *k : {"temperature", "top_p", "top_k", "thinking", "cache_control"})
        if (const json::value *v = vendor.if_contains(k)) out[k] = *v;
    if (const json::value *t = vendor.if_contains("tools")) {
        json::array tools;
        for (const auto &tv : t->as_array()) {
            const json::object &tool = tv.as_object();
            if (!tool.contains("input_schema")) {
                expressible = false;  // a server tool
                continue;
            }
            json::object fn{{"name", tool.at("name")}, {"parameters", tool.at("input_schema")}};
            if (const json::value *d = tool.if_contains("description")) fn["description"] = *d;
            tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
        }
        out["tools"] = std::move(tools);
    }
    if (const json::value *tc = vendor.if_contains("tool_choice")) {
        const std::string type = str(tc->as_object(), "type");
        if (type == "any") out["tool_choice"] = "required";
        else if (type == "tool") out["tool_choice"] = {{"type", "function"}, {"function", {{"name", tc->at("name")}}}};
        else out["tool_choice"] = type;
    }
    for (const char *k : {"mcp_servers", "output_config", "container", "service_tier"})
        if (vendor.contains(k)) expressible = false;
    return out;
}

// Content as blocks, without what the API fills in by default.
json::value normalized_messages(json::value messages) {
    for (auto &mv : messages.as_array()) {
        json::object &m = mv.as_object();
        if (m.at("content").is_string())
            m["content"] = json::array{json::object{{"type", "text"}, {"text", m.at("content")}}};
        for (auto &bv : m.at("content").as_array()) {
            json::object &b = bv.as_object();
            if (const json::value *e = b.if_contains("is_error"); e && e->is_bool() && !e->get_bool())
                b.erase("is_error");
        }
    }
    return messages;
}

// A system prompt as its text (blocks a line apart) and its cache breakpoints:
// a string and unmarked blocks say the same.
std::pair<std::string, json::array> system_of(const json::object &body) {
    const json::value *s = body.if_contains("system");
    if (!s) return {};
    if (s->is_string()) return {std::string(s->get_string()), {}};
    std::string text;
    json::array marks;
    for (const auto &bv : s->as_array()) {
        if (!text.empty()) text += "\n";
        text += str(bv.as_object(), "text");
        if (const json::value *cc = bv.as_object().if_contains("cache_control")) marks.push_back(*cc);
    }
    return {text, marks};
}

// An empty description says nothing: the plugin leaves it out.
json::value normalized_tools(json::value tools) {
    if (json::array *a = tools.if_array())
        for (auto &tv : *a)
            if (json::value *d = tv.as_object().if_contains("description"); d && d->is_string() && d->get_string().empty())
                tv.as_object().erase("description");
    return tools;
}

}  // namespace

BOOST_DATA_TEST_CASE(recorded_answer_is_translated_whole, bdata::make(recordings("anthropic")), name) {
    json::object rec = recording("anthropic", name);
    Config cfg("sk-ant-test", "https://api.anthropic.com/v1", str(rec, "model"));
    replay_answer(plugin(), rec, cfg, SB_STREAM_END, message_from_stream, check_answer);
}

BOOST_DATA_TEST_CASE(equivalent_request_reaches_the_wire, bdata::make(recordings("anthropic")), name) {
    json::object rec = recording("anthropic", name);
    const json::object &vendor = rec.at("request").at("body").as_object();
    bool expressible = true;
    json::object unified = openai_request(vendor, expressible);
    Config cfg("sk-ant-test", "https://api.anthropic.com/v1", str(vendor, "model"));
    ChatResult r = plugin().build_chat(cfg, json::serialize(unified), vendor.at("stream").as_bool());
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    json::object sent = json::parse(r.request.body).as_object();
    BOOST_TEST(sent.at("model") == vendor.at("model"));
    BOOST_TEST(sent.at("max_tokens") == vendor.at("max_tokens"));
    for (const char *k : {"thinking", "temperature", "top_k", "cache_control"})
        BOOST_TEST((sent.if_contains(k) ? sent.at(k) : json::value()) ==
                       (vendor.if_contains(k) ? vendor.at(k) : json::value()),
                   k);
    BOOST_TEST((system_of(sent) == system_of(vendor)), "system: " << (sent.if_contains("system") ? sent.at("system") : json::value()));
    if (!expressible) return;
    // Everything the client could say reaches Anthropic as the recording has it.
    BOOST_TEST(normalized_tools(sent.if_contains("tools") ? sent.at("tools") : json::value()) ==
                   normalized_tools(vendor.if_contains("tools") ? vendor.at("tools") : json::value()),
               "\n got: " << sent << "\nwant: " << vendor);
    BOOST_TEST((sent.if_contains("tool_choice") ? sent.at("tool_choice") : json::value()) ==
               (vendor.if_contains("tool_choice") ? vendor.at("tool_choice") : json::value()));
    BOOST_TEST(normalized_messages(sent.at("messages")) == normalized_messages(vendor.at("messages")),
               "\n got: " << sent.at("messages") << "\nwant: " << vendor.at("messages"));
}
