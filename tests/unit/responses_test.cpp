#define BOOST_TEST_MODULE responses
#include <boost/test/unit_test.hpp>

// POST /v1/responses as a client dialect: the request translated to the
// unified chat request, the unified answer (plain and streamed) written back
// in the Responses shapes, and the streamed events checked against real
// Responses API streams (tests/fixtures/recorded/openai-responses).

#include "core/errors.hpp"
#include "host/json_body.hpp"
#include "host/responses_output.hpp"
#include "host/responses_request.hpp"
#include "host/responses_stream.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace json = boost::json;
using sb::core::ErrorCode;
using sb::core::GatewayError;
using sb::host::ResponsesCall;
using sb::host::ResponsesSse;
using sb::host::translate_responses_request;

namespace {

const std::filesystem::path recorded_dir =
    std::filesystem::path(SB_TEST_FIXTURES_DIR) / "recorded" / "openai-responses";

json::object object_of(std::string_view text) { return json::parse(text).as_object(); }

ResponsesCall translate(std::string_view body) { return translate_responses_request(object_of(body)); }

// The param of the invalid_request error the body is refused with ("" when
// it is accepted or refused otherwise).
std::string refused_param(std::string_view body, std::string *message = nullptr) {
    try {
        translate(body);
    } catch (const GatewayError &e) {
        if (message) *message = e.what();
        return e.code() == ErrorCode::invalid_request ? e.param() : std::string("<not invalid_request>");
    }
    return "";
}

json::object recorded(const std::string &name) {
    std::ifstream in(recorded_dir / name);
    BOOST_REQUIRE_MESSAGE(in, "missing fixture " << name);
    std::stringstream text;
    text << in.rdbuf();
    return object_of(text.str());
}

struct Event {
    std::string name;  // the `event:` line
    json::object data;
};

std::vector<Event> parse_sse(std::string_view text) {
    std::vector<Event> events;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find("\n\n", pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view block = text.substr(pos, end - pos);
        pos = end + 2;
        Event e;
        std::size_t line_start = 0;
        while (line_start < block.size()) {
            std::size_t line_end = block.find('\n', line_start);
            if (line_end == std::string_view::npos) line_end = block.size();
            std::string_view line = block.substr(line_start, line_end - line_start);
            if (line.starts_with("event: ")) e.name = std::string(line.substr(7));
            if (line.starts_with("data: ")) e.data = object_of(line.substr(6));
            line_start = line_end + 1;
        }
        if (!e.data.empty()) events.push_back(std::move(e));
    }
    return events;
}

std::string type_of(const Event &e) { return std::string(e.data.at("type").as_string()); }

// Event types in order, runs of one type written once.
std::vector<std::string> collapsed_types(const std::vector<Event> &events) {
    std::vector<std::string> types;
    for (const auto &e : events)
        if (types.empty() || types.back() != type_of(e)) types.push_back(type_of(e));
    return types;
}

json::object chunk(json::object delta, json::value finish = nullptr) {
    return json::object{{"id", "chatcmpl-1"},
                        {"object", "chat.completion.chunk"},
                        {"model", "mock-model"},
                        {"choices", json::array{json::object{{"index", 0}, {"delta", std::move(delta)},
                                                             {"finish_reason", std::move(finish)}}}}};
}

// What the plugins would emit for a recorded Responses stream: its text,
// reasoning summary and function-call pieces as unified chunks, then the
// finish reason and the usage.
std::vector<json::object> unified_chunks_of(const std::vector<Event> &recorded_events) {
    std::vector<json::object> chunks;
    int calls = 0;
    for (const auto &e : recorded_events) {
        const std::string type = type_of(e);
        if (type == "response.output_text.delta") {
            chunks.push_back(chunk({{"content", e.data.at("delta")}}));
        } else if (type == "response.reasoning_summary_text.delta") {
            chunks.push_back(chunk({{"reasoning_content", e.data.at("delta")}}));
        } else if (type == "response.output_item.added" && e.data.at("item").at("type") == "function_call") {
            const auto &item = e.data.at("item").as_object();
            chunks.push_back(chunk({{"tool_calls", json::array{json::object{
                                                       {"index", calls++},
                                                       {"id", item.at("call_id")},
                                                       {"type", "function"},
                                                       {"function", {{"name", item.at("name")}, {"arguments", ""}}}}}}}));
        } else if (type == "response.function_call_arguments.delta") {
            chunks.push_back(chunk({{"tool_calls", json::array{json::object{
                                                       {"index", calls - 1},
                                                       {"function", {{"arguments", e.data.at("delta")}}}}}}}));
        } else if (type == "response.completed") {
            chunks.push_back(chunk({}, calls ? "tool_calls" : "stop"));
            const auto &u = e.data.at("response").at("usage").as_object();
            json::object usage{
                {"prompt_tokens", u.at("input_tokens")},
                {"completion_tokens", u.at("output_tokens")},
                {"total_tokens", u.at("total_tokens")},
                {"prompt_tokens_details", {{"cached_tokens", u.at("input_tokens_details").at("cached_tokens")}}},
                {"completion_tokens_details",
                 {{"reasoning_tokens", u.at("output_tokens_details").at("reasoning_tokens")}}}};
            chunks.push_back(json::object{{"id", "chatcmpl-1"},
                                          {"object", "chat.completion.chunk"},
                                          {"choices", json::array()},
                                          {"usage", std::move(usage)}});
        }
    }
    return chunks;
}

std::vector<Event> encode(const std::vector<json::object> &chunks, json::object echo = {}) {
    ResponsesSse encoder(std::move(echo), "openai/mock-model");
    std::string out;
    for (const auto &c : chunks) encoder.chunk(out, json::serialize(c));
    encoder.end(out);
    return parse_sse(out);
}

// The output items of a response object with the fields a client reads:
// type, then the text, the summary or the call.
std::vector<std::string> output_digest(const json::object &response) {
    std::vector<std::string> digest;
    for (const auto &item : response.at("output").as_array()) {
        const auto &o = item.as_object();
        const std::string type(o.at("type").as_string());
        if (type == "message") {
            std::string text;
            for (const auto &part : o.at("content").as_array()) text += part.at("text").as_string();
            digest.push_back("message:" + text);
        } else if (type == "function_call") {
            digest.push_back("function_call:" + std::string(o.at("call_id").as_string()) + ":" +
                             std::string(o.at("name").as_string()) + ":" +
                             json::serialize(json::parse(o.at("arguments").as_string())));
        } else if (type == "reasoning") {
            std::string text;
            for (const auto &part : o.at("summary").as_array()) text += part.at("text").as_string();
            if (!text.empty()) digest.push_back("reasoning:" + std::to_string(text.size()));
        }
    }
    return digest;
}

// The recorded summary arrives in several parts; ours in one. Their text,
// concatenated, is what both carry.
std::vector<std::string> output_digest_joined(const json::object &response) {
    std::vector<std::string> digest;
    for (const auto &item : response.at("output").as_array()) {
        const auto &o = item.as_object();
        if (o.at("type") != "reasoning") continue;
        std::string text;
        for (const auto &part : o.at("summary").as_array()) text += part.at("text").as_string();
        if (!text.empty()) digest.push_back("reasoning:" + std::to_string(text.size()));
    }
    for (auto &d : output_digest(response))
        if (!d.starts_with("reasoning:")) digest.push_back(d);
    return digest;
}

// Replays a recorded stream's content through ResponsesSse and checks the
// events against the recorded ones: the order of event types, rising
// sequence numbers, the fields of each event type, and the final response's
// output and usage.
void check_against_recording(const std::string &fixture) {
    const json::object exchange = recorded(fixture);
    const std::vector<Event> want = parse_sse(exchange.at("response").at("body").as_string());
    BOOST_REQUIRE(!want.empty());
    const std::vector<Event> got = encode(unified_chunks_of(want));
    BOOST_REQUIRE(!got.empty());

    std::vector<std::string> want_types = collapsed_types(want);
    std::vector<std::string> got_types = collapsed_types(got);
    // The recorded reasoning item of an encrypted-only reasoning (no summary
    // text) carries nothing a translation can reproduce.
    auto empty_reasoning = [&] {
        for (std::size_t i = 0; i + 1 < want.size(); ++i)
            if (type_of(want[i]) == "response.output_item.added" && want[i].data.at("item").at("type") == "reasoning" &&
                type_of(want[i + 1]) == "response.output_item.done")
                return true;
        return false;
    }();
    if (empty_reasoning) {
        want_types.erase(want_types.begin() + 2, want_types.begin() + 4);
    }
    // Several summary parts in the recording, one in ours.
    auto fold_parts = [](std::vector<std::string> types) {
        std::vector<std::string> out;
        for (const auto &t : types) {
            if (t == "response.reasoning_summary_part.added" && !out.empty() &&
                out.back() == "response.reasoning_summary_part.done") {
                out.resize(out.size() - 3);  // text.delta, text.done, part.done of the previous part
                continue;
            }
            out.push_back(t);
        }
        return out;
    };
    BOOST_TEST(fold_parts(got_types) == fold_parts(want_types), boost::test_tools::per_element());

    for (std::size_t i = 0; i < got.size(); ++i) {
        BOOST_TEST(got[i].name == type_of(got[i]), "event line and type differ at " << i);
        BOOST_TEST(got[i].data.at("sequence_number").to_number<std::uint64_t>() == i);
    }
    // Every field the first recorded event of a type (and item type) has,
    // our first such event has too, but the vendor's own extras.
    const std::set<std::string> vendor_only{"obfuscation", "logprobs", "encrypted_content", "phase", "content"};
    auto kind = [](const Event &e) {
        const json::value *item = e.data.if_contains("item");
        return type_of(e) + (item ? "/" + std::string(item->at("type").as_string()) : std::string());
    };
    std::set<std::string> compared;
    for (const auto &w : want) {
        if (!compared.insert(kind(w)).second) continue;
        for (const auto &g : got) {
            if (kind(g) != kind(w)) continue;
            for (const auto &kv : w.data)
                if (!vendor_only.contains(std::string(kv.key())))
                    BOOST_TEST(g.data.contains(kv.key()), kind(w) << " lacks '" << kv.key() << "'");
            if (w.data.contains("item"))
                for (const auto &kv : w.data.at("item").as_object())
                    if (!vendor_only.contains(std::string(kv.key())))
                        BOOST_TEST(g.data.at("item").as_object().contains(kv.key()),
                                   kind(w) << ".item lacks '" << kv.key() << "'");
            break;
        }
    }

    const json::object &want_final = want.back().data.at("response").as_object();
    const json::object &got_final = got.back().data.at("response").as_object();
    BOOST_TEST(type_of(got.back()) == "response.completed");
    BOOST_TEST(got_final.at("status") == "completed");
    BOOST_TEST(output_digest_joined(got_final) == output_digest_joined(want_final), boost::test_tools::per_element());
    // cache_write_tokens: newer than the unified usage, which has no such count.
    json::value want_usage = want_final.at("usage");
    want_usage.as_object()["input_tokens_details"].as_object().erase("cache_write_tokens");
    BOOST_TEST(got_final.at("usage") == want_usage);
    BOOST_TEST(got_final.at("store") == false);
    // What OpenAI's response object has and ours lacks: only billing and
    // service details no translation knows.
    const std::set<std::string> vendor_fields{"service_tier",      "top_logprobs",     "max_tool_calls",
                                              "prompt_cache_key",  "tool_usage",       "completed_at",
                                              "moderation",        "frequency_penalty", "presence_penalty",
                                              "prompt_cache_retention"};
    for (const auto &kv : want_final) {
        const bool present = got_final.contains(kv.key()) || vendor_fields.contains(std::string(kv.key()));
        BOOST_TEST(present, "response lacks '" << kv.key() << "'");
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(string_input_and_instructions_become_messages) {
    ResponsesCall call = translate(R"({"model":"openai/gpt-4.1","instructions":"Be brief.","input":"Hi"})");
    BOOST_TEST(json::serialize(call.unified.at("messages")) ==
               R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}])");
    BOOST_TEST(call.unified.at("model") == "openai/gpt-4.1");
    BOOST_TEST(!call.stream);
    BOOST_TEST(!call.unified.contains("stream"));
    BOOST_TEST(call.echo.at("instructions") == "Be brief.");
    sb::host::validate_chat_request(call.unified);
}

BOOST_AUTO_TEST_CASE(input_items_become_chat_messages) {
    ResponsesCall call = translate(R"({"model":"m","stream":true,"input":[
        {"role":"developer","content":"Rules."},
        {"type":"message","role":"user","content":[{"type":"input_text","text":"What is this?"},
            {"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"low"}]},
        {"type":"reasoning","id":"rs_1","summary":[]},
        {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me "},
            {"type":"output_text","text":"look."}]},
        {"type":"function_call","call_id":"call_1","name":"lookup","arguments":"{\"q\":1}"},
        {"type":"function_call","call_id":"call_2","name":"other","arguments":"{}"},
        {"type":"function_call_output","call_id":"call_1","output":"found"},
        {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"none"}]},
        {"type":"function_call","call_id":"call_3","name":"lookup","arguments":"{}"}
    ]})");
    BOOST_TEST(call.stream);
    BOOST_TEST(call.unified.at("stream") == true);
    const json::array &m = call.unified.at("messages").as_array();
    BOOST_REQUIRE(m.size() == 6u);
    BOOST_TEST(json::serialize(m[0]) == R"({"role":"system","content":"Rules."})");
    BOOST_TEST(json::serialize(m[1]) ==
               R"({"role":"user","content":[{"type":"text","text":"What is this?"},)"
               R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"low"}}]})");
    BOOST_TEST(m[2].at("role") == "assistant");
    BOOST_TEST(m[2].at("content") == "Let me look.");
    BOOST_TEST(json::serialize(m[2].at("tool_calls")) ==
               R"([{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":1}"}},)"
               R"({"id":"call_2","type":"function","function":{"name":"other","arguments":"{}"}}])");
    BOOST_TEST(json::serialize(m[3]) == R"({"role":"tool","tool_call_id":"call_1","content":"found"})");
    BOOST_TEST(json::serialize(m[4]) == R"({"role":"tool","tool_call_id":"call_2","content":"none"})");
    // After the tool results a call opens a new assistant turn.
    BOOST_TEST(m[5].at("role") == "assistant");
    BOOST_TEST(m[5].at("content").is_null());
    BOOST_TEST(m[5].at("tool_calls").as_array().size() == 1u);
    sb::host::validate_chat_request(call.unified);
}

BOOST_AUTO_TEST_CASE(tools_and_options_map_to_their_chat_fields) {
    ResponsesCall call = translate(R"({"model":"m","input":"x",
        "tools":[{"type":"function","name":"get","description":"Gets.","parameters":{"type":"object"},"strict":true}],
        "tool_choice":{"type":"function","name":"get"},
        "text":{"format":{"type":"json_schema","name":"Out","schema":{"type":"object"},"strict":true}},
        "reasoning":{"effort":"low","summary":"auto"},"max_output_tokens":77,"temperature":0.5,"top_p":0.9,
        "parallel_tool_calls":false,"safety_identifier":"u-1","metadata":{"k":"v"},"store":true,
        "include":["reasoning.encrypted_content"]})");
    const json::object &u = call.unified;
    BOOST_TEST(json::serialize(u.at("tools")) ==
               R"([{"type":"function","function":{"name":"get","description":"Gets.","parameters":{"type":"object"},"strict":true}}])");
    BOOST_TEST(json::serialize(u.at("tool_choice")) == R"({"type":"function","function":{"name":"get"}})");
    BOOST_TEST(json::serialize(u.at("response_format")) ==
               R"({"type":"json_schema","json_schema":{"name":"Out","schema":{"type":"object"},"strict":true}})");
    BOOST_TEST(u.at("reasoning_effort") == "low");
    BOOST_TEST(u.at("max_tokens") == 77);
    BOOST_TEST(u.at("temperature") == 0.5);
    BOOST_TEST(u.at("top_p") == 0.9);
    BOOST_TEST(u.at("parallel_tool_calls") == false);
    BOOST_TEST(u.at("user") == "u-1");
    BOOST_TEST(!u.contains("metadata"));
    BOOST_TEST(!u.contains("store"));
    BOOST_TEST(call.echo.at("metadata").at("k") == "v");
    BOOST_TEST(call.echo.at("max_output_tokens") == 77);

    BOOST_TEST(translate(R"({"input":"x","tool_choice":"required"})").unified.at("tool_choice") == "required");
    BOOST_TEST(json::serialize(translate(R"({"input":"x","text":{"format":{"type":"json_object"}}})")
                                   .unified.at("response_format")) == R"({"type":"json_object"})");
    BOOST_TEST(!translate(R"({"input":"x","text":{"format":{"type":"text"}}})").unified.contains("response_format"));
}

BOOST_AUTO_TEST_CASE(refuses_what_needs_state_or_cannot_be_translated) {
    std::string message;
    BOOST_TEST(refused_param(R"({"input":"x","previous_response_id":"resp_1"})", &message) == "previous_response_id");
    BOOST_TEST(message.find("keeps no state") != std::string::npos, message);
    BOOST_TEST(refused_param(R"({"input":"x","conversation":"conv_1"})") == "conversation");
    BOOST_TEST(refused_param(R"({"input":"x","background":true})") == "background");
    BOOST_TEST(refused_param(R"({"input":"x","tools":[{"type":"web_search"}]})", &message) == "tools[0]");
    BOOST_TEST(message.find("web_search") != std::string::npos, message);
    BOOST_TEST(refused_param(R"({"input":[{"type":"item_reference","id":"msg_1"}]})") == "input[0]");
    BOOST_TEST(refused_param(R"({"input":[{"type":"computer_call_output"}]})", &message) == "input[0]");
    BOOST_TEST(message.find("computer_call_output") != std::string::npos, message);
    BOOST_TEST(refused_param(R"({"model":"m"})") == "input");
    BOOST_TEST(refused_param(R"({"input":[]})") == "input");
    BOOST_TEST(refused_param(R"({"input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]})") ==
               "input[0].content[0]");
    BOOST_TEST(refused_param(R"({"input":[{"role":"tool","content":"x"}]})") == "input[0].role");
    BOOST_TEST(refused_param(R"({"input":"x","tool_choice":{"type":"web_search"}})") == "tool_choice");
    BOOST_TEST(refused_param(R"({"input":"x","text":{"format":{"type":"xml"}}})") == "text.format.type");
    BOOST_TEST(refused_param(R"({"input":"x","max_output_tokens":"9"})") == "max_output_tokens");
    BOOST_TEST(refused_param(R"({"input":"x","stream":"yes"})") == "stream");
    // Accepted: store (nothing is kept either way), a null previous id.
    BOOST_TEST(refused_param(R"({"input":"x","store":true,"previous_response_id":null})") == "");
}

BOOST_AUTO_TEST_CASE(recorded_requests_translate) {
    for (const auto &entry : std::filesystem::directory_iterator(recorded_dir)) {
        if (entry.path().extension() != ".json") continue;
        const json::object exchange = recorded(entry.path().filename().string());
        BOOST_TEST_CONTEXT(entry.path().filename().string()) {
            ResponsesCall call = translate_responses_request(exchange.at("request").at("body").as_object());
            BOOST_CHECK_NO_THROW(sb::host::validate_chat_request(call.unified));
        }
    }
}

BOOST_AUTO_TEST_CASE(completion_becomes_response_object) {
    const json::object echo = translate(R"({"model":"openai/m","input":"x","instructions":"I",
        "tools":[{"type":"function","name":"get","parameters":{}}],"max_output_tokens":50,"metadata":{"a":"b"}})")
                                  .echo;
    const json::object completion = object_of(R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,
        "model":"m-2025","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",
        "content":"Checking.","reasoning_content":"Think.","tool_calls":[{"id":"call_9","type":"function",
        "function":{"name":"get","arguments":"{\"a\":1}"}}]}}],
        "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
        "prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}})");
    const json::object r = sb::host::response_from_completion(completion, echo);
    BOOST_TEST(r.at("id").as_string().starts_with("resp_"));
    BOOST_TEST(r.at("object") == "response");
    BOOST_TEST(r.at("created_at") == 1700000000);
    BOOST_TEST(r.at("status") == "completed");
    BOOST_TEST(r.at("model") == "m-2025");
    BOOST_TEST(r.at("store") == false);
    BOOST_TEST(r.at("instructions") == "I");
    BOOST_TEST(r.at("max_output_tokens") == 50);
    BOOST_TEST(r.at("metadata").at("a") == "b");
    BOOST_TEST(r.at("tools").as_array().size() == 1u);
    const json::array &out = r.at("output").as_array();
    BOOST_REQUIRE(out.size() == 3u);
    BOOST_TEST(out[0].at("type") == "reasoning");
    BOOST_TEST(json::serialize(out[0].at("summary")) == R"([{"type":"summary_text","text":"Think."}])");
    BOOST_TEST(out[1].at("type") == "message");
    BOOST_TEST(out[1].at("id").as_string().starts_with("msg_"));
    BOOST_TEST(out[1].at("status") == "completed");
    BOOST_TEST(json::serialize(out[1].at("content")) ==
               R"([{"type":"output_text","text":"Checking.","annotations":[]}])");
    BOOST_TEST(out[2].at("type") == "function_call");
    BOOST_TEST(out[2].at("id").as_string().starts_with("fc_"));
    BOOST_TEST(out[2].at("call_id") == "call_9");
    BOOST_TEST(out[2].at("name") == "get");
    BOOST_TEST(out[2].at("arguments") == "{\"a\":1}");
    BOOST_TEST(json::serialize(r.at("usage")) ==
               R"({"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":5,)"
               R"("output_tokens_details":{"reasoning_tokens":2},"total_tokens":15})");
}

BOOST_AUTO_TEST_CASE(length_finish_is_incomplete) {
    const json::object r = sb::host::response_from_completion(
        object_of(R"({"model":"m","choices":[{"finish_reason":"length","message":{"content":"Par"}}]})"), {});
    BOOST_TEST(r.at("status") == "incomplete");
    BOOST_TEST(r.at("incomplete_details").at("reason") == "max_output_tokens");

    const auto events = encode({chunk({{"content", "Par"}}), chunk({}, "length")});
    BOOST_TEST(type_of(events.back()) == "response.incomplete");
    BOOST_TEST(events.back().data.at("response").at("incomplete_details").at("reason") == "max_output_tokens");
}

BOOST_AUTO_TEST_CASE(stream_of_text_matches_recorded_events) {
    check_against_recording("test_openai_responses_stream__1.json");
}

BOOST_AUTO_TEST_CASE(stream_of_function_call_matches_recorded_events) {
    check_against_recording("test_openai_responses_stream__0.json");
}

BOOST_AUTO_TEST_CASE(stream_of_text_then_function_call_matches_recorded_events) {
    check_against_recording("test_openai_responses_phase_streamed_on_part_start__0.json");
}

BOOST_AUTO_TEST_CASE(stream_of_reasoning_summary_matches_recorded_events) {
    check_against_recording("test_openai_responses_thinking_part_iter__0.json");
}

BOOST_AUTO_TEST_CASE(failure_after_head_is_error_then_failed) {
    ResponsesSse encoder({}, "m");
    std::string out;
    encoder.chunk(out, json::serialize(chunk({{"content", "Hal"}})));
    encoder.failure(out, GatewayError(ErrorCode::upstream_error, "vendor went away"));
    const auto events = parse_sse(out);
    BOOST_REQUIRE(events.size() >= 2u);
    const Event &error = events[events.size() - 2];
    BOOST_TEST(type_of(error) == "error");
    BOOST_TEST(error.data.at("code") == "upstream_error");
    BOOST_TEST(error.data.at("message") == "vendor went away");
    BOOST_TEST(error.data.contains("param"));
    BOOST_TEST(type_of(events.back()) == "response.failed");
    BOOST_TEST(events.back().data.at("response").at("status") == "failed");
    BOOST_TEST(events.back().data.at("response").at("error").at("code") == "upstream_error");
    for (std::size_t i = 0; i < events.size(); ++i)
        BOOST_TEST(events[i].data.at("sequence_number").to_number<std::uint64_t>() == i);
}

BOOST_AUTO_TEST_CASE(stream_names_the_vendor_model_and_echoes_the_request) {
    const json::object echo = translate(R"({"model":"x/y","input":"q","temperature":0.2,"metadata":{"k":"v"}})").echo;
    const auto events = encode({chunk({{"content", "A"}})}, echo);
    BOOST_TEST(type_of(events[0]) == "response.created");
    BOOST_TEST(events[0].data.at("response").at("model") == "mock-model");
    BOOST_TEST(events[0].data.at("response").at("status") == "in_progress");
    BOOST_TEST(events[0].data.at("response").at("usage").is_null());
    const json::object &last = events.back().data.at("response").as_object();
    BOOST_TEST(last.at("temperature") == 0.2);
    BOOST_TEST(last.at("metadata").at("k") == "v");
    BOOST_TEST(last.at("id") == events[0].data.at("response").at("id"));
}
