// Every recorded Gemini exchange (tests/fixtures/recorded/google/) replayed
// through the plugin: what the vendor sent must be in the OpenAI-format answer.
// Expectations are read from the vendor's own JSON (candidates, parts,
// finishReason, usageMetadata); a part the plugin does not carry must be named
// in kHiddenParts (and in docs/providers.md).
#define BOOST_TEST_MODULE google_replay
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

// Code the model ran with the code-execution tool, and its output: no OpenAI
// form (and so neither has a signature of its own on the OpenAI side).
const std::set<std::string> kHiddenParts = {"executableCode", "codeExecutionResult"};

const std::map<std::string, std::string> kFinish = {
    {"MAX_TOKENS", "length"},          {"SAFETY", "content_filter"},
    {"RECITATION", "content_filter"},  {"LANGUAGE", "content_filter"},
    {"BLOCKLIST", "content_filter"},   {"PROHIBITED_CONTENT", "content_filter"},
    {"SPII", "content_filter"},        {"IMAGE_SAFETY", "content_filter"},
    {"IMAGE_PROHIBITED_CONTENT", "content_filter"}, {"IMAGE_RECITATION", "content_filter"}};

int64_t num(const json::object &o, const char *key) {
    const json::value *v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<int64_t>() : 0;
}

// A recorded stream as one response: each candidate's parts in order, the
// last finishReason and usageMetadata.
json::object response_from_stream(const std::vector<std::string> &events) {
    json::object whole;
    std::map<int64_t, json::object> cands;
    for (const auto &data : events) {
        json::object e = json::parse(data).as_object();
        if (!whole.contains("responseId")) whole["responseId"] = e.at("responseId");
        if (const json::value *u = e.if_contains("usageMetadata")) whole["usageMetadata"] = *u;
        const json::value *cs = e.if_contains("candidates");
        if (!cs) continue;
        int64_t pos = 0;
        for (const auto &cv : cs->as_array()) {
            const json::object &c = cv.as_object();
            const int64_t index = c.contains("index") ? num(c, "index") : pos;
            ++pos;
            json::object &acc = cands[index];
            if (!acc.contains("parts")) acc["parts"] = json::array();
            if (const json::value *content = c.if_contains("content"))
                if (const json::value *parts = content->as_object().if_contains("parts"))
                    for (const auto &p : parts->as_array()) acc["parts"].as_array().push_back(p);
            if (const json::value *f = c.if_contains("finishReason")) acc["finishReason"] = *f;
        }
    }
    json::array list;
    for (auto &[index, c] : cands)
        list.push_back(json::object{{"index", index},
                                    {"content", {{"parts", c.at("parts")}}},
                                    {"finishReason", c.contains("finishReason") ? c.at("finishReason") : json::value("STOP")}});
    whole["candidates"] = std::move(list);
    return whole;
}

void check_answer(const json::object &resp, const Answers &got) {
    BOOST_TEST(got.id == "chatcmpl-" + str(resp, "responseId"));
    const json::array &cands = resp.at("candidates").as_array();
    BOOST_TEST(got.choices.size() == cands.size());
    int64_t pos = 0;
    for (const auto &cv : cands) {
        const json::object &c = cv.as_object();
        const int64_t index = c.contains("index") ? num(c, "index") : pos;
        ++pos;
        BOOST_REQUIRE(got.choices.count(index) == 1u);
        const Answer &a = got.choices.at(index);
        std::string content, reasoning, text_signature;
        size_t calls = 0;
        const json::value *cont = c.if_contains("content");
        const json::value *parts = cont && cont->is_object() ? cont->as_object().if_contains("parts") : nullptr;
        if (parts)
            for (const auto &pv : parts->as_array()) {
                const json::object &p = pv.as_object();
                if (const json::value *fc = p.if_contains("functionCall")) {
                    BOOST_REQUIRE(calls < a.tool_calls.size());
                    const Answer::Call &call = a.tool_calls[calls];
                    const json::object &f = fc->as_object();
                    BOOST_TEST(call.id == (f.contains("id") ? str(f, "id") : "call_" + std::to_string(calls)));
                    BOOST_TEST(call.name == str(f, "name"));
                    BOOST_TEST(json::parse(call.arguments) == (f.contains("args") ? f.at("args") : json::object()));
                    if (p.contains("thoughtSignature"))
                        BOOST_TEST(call.extra.at("google").at("thought_signature") == p.at("thoughtSignature"));
                    ++calls;
                } else if (p.contains("text")) {
                    const json::value *t = p.if_contains("thought");
                    const bool thought = t && t->is_bool() && t->get_bool();
                    (thought ? reasoning : content) += str(p, "text");
                    if (!thought && p.contains("thoughtSignature")) text_signature = str(p, "thoughtSignature");
                } else {
                    bool named = false;
                    for (const auto &kv : p) named = named || kHiddenParts.count(std::string(kv.key())) == 1;
                    BOOST_TEST(named, "part " << json::serialize(p).substr(0, 80) << " is neither carried nor named");
                }
            }
        BOOST_TEST(a.content == content);
        BOOST_TEST(a.reasoning == reasoning);
        // The answer text's signature rides on the message, to be sent back.
        if (!text_signature.empty())
            BOOST_TEST(a.extra.at("google").at("thought_signature").as_string() == text_signature);
        else
            BOOST_TEST(a.extra.is_null());
        BOOST_TEST(a.tool_calls.size() == calls);
        const std::string reason = str(c, "finishReason");
        auto it = kFinish.find(reason);
        const std::string want = reason == "STOP" || reason.empty() ? (calls ? "tool_calls" : "stop")
                                 : it != kFinish.end()              ? it->second
                                                                    : "(an error)";
        BOOST_TEST(a.finish_reason == want, reason);
    }
    BOOST_REQUIRE(got.has_usage);
    const json::object um = resp.contains("usageMetadata") ? resp.at("usageMetadata").as_object() : json::object();
    const int64_t prompt = num(um, "promptTokenCount") + num(um, "toolUsePromptTokenCount");
    const int64_t completion = num(um, "candidatesTokenCount") + num(um, "thoughtsTokenCount");
    BOOST_TEST(usage_figure(got.usage, "prompt_tokens") == prompt);
    BOOST_TEST(usage_figure(got.usage, "completion_tokens") == completion);
    BOOST_TEST(usage_figure(got.usage, "total_tokens") == num(um, "totalTokenCount"));
    BOOST_TEST(prompt + completion == num(um, "totalTokenCount"));
    if (um.contains("cachedContentTokenCount"))
        BOOST_TEST(usage_figure(got.usage, "prompt_tokens_details.cached_tokens") == num(um, "cachedContentTokenCount"));
    if (num(um, "thoughtsTokenCount") > 0)
        BOOST_TEST(usage_figure(got.usage, "completion_tokens_details.reasoning_tokens") == num(um, "thoughtsTokenCount"));
}

// ------------------------------------------------------------ request side

std::string text_of(const json::value &content) {
    std::string t;
    for (const auto &p : content.at("parts").as_array()) t += str(p.as_object(), "text");
    return t;
}

// The OpenAI request for the recorded Gemini one, as far as OpenAI's format
// can say it; expressible=false when it cannot (server tools, cached content,
// thinking budgets, safety settings, OpenAPI-subset schemas, file parts).
json::object openai_request(const json::object &vendor, bool &expressible) {
    expressible = true;
    json::array messages;
    if (const json::value *si = vendor.if_contains("systemInstruction"))
        messages.push_back(json::object{{"role", "system"}, {"content", text_of(*si)}});
    int call_no = 0;
    std::vector<std::string> open_calls;
    for (const auto &cv : vendor.at("contents").as_array()) {
        const json::object &c = cv.as_object();
        const bool model = str(c, "role") == "model";
        json::array calls;
        std::string text, text_signature;
        for (const auto &pv : c.at("parts").as_array()) {
            const json::object &p = pv.as_object();
            if (p.contains("text") && !p.contains("thought")) {
                text += str(p, "text");
                if (p.contains("thoughtSignature")) text_signature = str(p, "thoughtSignature");
            } else if (const json::value *fc = p.if_contains("functionCall")) {
                // The id the answer carried: Gemini's own, or the plugin's numbering.
                std::string id = fc->as_object().contains("id") ? str(fc->as_object(), "id")
                                                                 : "call_" + std::to_string(call_no);
                ++call_no;
                open_calls.push_back(id);
                json::object call{{"id", id}, {"type", "function"},
                                  {"function", {{"name", fc->at("name")}, {"arguments", json::serialize(fc->at("args"))}}}};
                if (const json::value *sig = p.if_contains("thoughtSignature"))
                    call["extra_content"] = {{"google", {{"thought_signature", *sig}}}};
                calls.push_back(std::move(call));
            } else if (const json::value *fr = p.if_contains("functionResponse")) {
                std::string id = open_calls.empty() ? "call_x" : open_calls.front();
                if (!open_calls.empty()) open_calls.erase(open_calls.begin());
                messages.push_back(json::object{{"role", "tool"}, {"tool_call_id", id},
                                                {"content", json::serialize(fr->at("response"))}});
            } else {
                expressible = false;
            }
        }
        if (!text.empty() || !calls.empty()) {
            json::object m{{"role", model ? "assistant" : "user"}, {"content", text}};
            if (!text_signature.empty()) m["extra_content"] = {{"google", {{"thought_signature", text_signature}}}};
            if (!calls.empty()) m["tool_calls"] = std::move(calls);
            messages.push_back(std::move(m));
        }
    }
    json::object out{{"messages", std::move(messages)}};
    const json::object gc = vendor.contains("generationConfig") ? vendor.at("generationConfig").as_object() : json::object();
    if (gc.contains("maxOutputTokens")) out["max_tokens"] = gc.at("maxOutputTokens");
    if (gc.contains("temperature")) out["temperature"] = gc.at("temperature");
    if (gc.contains("topK")) out["top_k"] = gc.at("topK");
    if (const json::value *s = gc.if_contains("responseJsonSchema"))
        out["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"name", "out"}, {"schema", *s}}}};
    if (gc.contains("thinkingConfig")) expressible = false;
    if (const json::value *tools = vendor.if_contains("tools")) {
        json::array fns;
        for (const auto &tv : tools->as_array()) {
            const json::value *decls = tv.as_object().if_contains("functionDeclarations");
            if (!decls) {
                expressible = false;  // googleSearch, codeExecution
                continue;
            }
            for (const auto &dv : decls->as_array()) {
                const json::object &d = dv.as_object();
                const json::value *schema = d.if_contains("parameters_json_schema");
                if (!schema) schema = d.if_contains("parametersJsonSchema");
                if (!schema) expressible = false;  // the OpenAPI subset: no JSON Schema to compare
                json::object fn{{"name", d.at("name")}, {"description", d.at("description")}};
                if (schema) fn["parameters"] = *schema;
                fns.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
            }
        }
        out["tools"] = std::move(fns);
    }
    if (const json::value *tc = vendor.if_contains("toolConfig")) {
        const json::object &f = tc->at("functionCallingConfig").as_object();
        if (str(f, "mode") == "ANY" && !f.contains("allowedFunctionNames")) out["tool_choice"] = "required";
        else expressible = false;  // several allowed names: OpenAI names one
    }
    for (const char *k : {"cachedContent", "safetySettings"})
        if (vendor.contains(k)) expressible = false;
    return out;
}

json::value tools_as_sent(json::value tools) {
    if (json::array *a = tools.if_array())
        for (auto &tv : *a)
            if (json::value *decls = tv.as_object().if_contains("functionDeclarations"))
                for (auto &dv : decls->as_array()) {
                    json::object &d = dv.as_object();
                    if (json::value *s = d.if_contains("parameters_json_schema")) {
                        d["parametersJsonSchema"] = *s;
                        d.erase("parameters_json_schema");
                    }
                }
    return tools;
}

}  // namespace

BOOST_DATA_TEST_CASE(recorded_answer_is_translated_whole, bdata::make(recordings("google")), name) {
    json::object rec = recording("google", name);
    Config cfg("AIza-test", "https://generativelanguage.googleapis.com/v1beta", str(rec, "model"));
    // Gemini has no end event: a stream just ends (SB_OK).
    replay_answer(plugin(), rec, cfg, SB_OK, response_from_stream, check_answer);
}

BOOST_DATA_TEST_CASE(equivalent_request_reaches_the_wire, bdata::make(recordings("google")), name) {
    json::object rec = recording("google", name);
    const json::object &req = rec.at("request").as_object();
    const json::object &vendor = req.at("body").as_object();
    bool expressible = true;
    json::object unified = openai_request(vendor, expressible);
    const bool stream = rec.at("stream").as_bool();
    Config cfg("AIza-test", "https://generativelanguage.googleapis.com/v1beta", str(rec, "model"));
    ChatResult r = plugin().build_chat(cfg, json::serialize(unified), stream);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == "https://generativelanguage.googleapis.com" + str(req, "path"));
    json::object sent = json::parse(r.request.body).as_object();
    const json::object gc = vendor.contains("generationConfig") ? vendor.at("generationConfig").as_object() : json::object();
    const json::object sgc = sent.contains("generationConfig") ? sent.at("generationConfig").as_object() : json::object();
    for (const char *k : {"maxOutputTokens", "temperature", "topK", "responseJsonSchema"})
        BOOST_TEST((sgc.if_contains(k) ? sgc.at(k) : json::value()) == (gc.if_contains(k) ? gc.at(k) : json::value()), k);
    if (const json::value *si = vendor.if_contains("systemInstruction"))
        BOOST_TEST(text_of(sent.at("systemInstruction")) == text_of(*si));
    if (!expressible) return;
    BOOST_TEST((sent.if_contains("tools") ? sent.at("tools") : json::value()) ==
                   tools_as_sent(vendor.if_contains("tools") ? vendor.at("tools") : json::value()),
               "\n got: " << sent << "\nwant: " << vendor);
    BOOST_TEST(sent.at("contents") == vendor.at("contents"),
               "\n got: " << sent.at("contents") << "\nwant: " << vendor.at("contents"));
}
