// POST /v1/messages as a translator: Anthropic requests to the unified form,
// unified answers and streams back to Anthropic's message and events, its
// error shape, and the x-api-key credential its clients send.
#define BOOST_TEST_MODULE anthropic_messages
#include "host/anthropic_messages.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "host/access_control.hpp"

using namespace sb::host;
using sb::core::ErrorCode;
using sb::core::GatewayError;
namespace json = boost::json;

namespace {

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

const MessagesTranslation portable{false, false};
const MessagesTranslation to_anthropic{true, true};

json::object unified(std::string_view request, const MessagesTranslation &how = portable) {
    return messages_to_unified(obj(request), how);
}

// The error a translation throws: its code and param.
std::optional<std::pair<ErrorCode, std::string>> refusal(std::string_view request) {
    try {
        unified(request);
    } catch (const GatewayError &e) {
        return std::make_pair(e.code(), e.param());
    }
    return std::nullopt;
}

struct Event {
    std::string name;
    json::object data;
};

// The `event:`/`data:` pairs of an encoded stream.
std::vector<Event> events(const std::string &sse) {
    std::vector<Event> out;
    std::size_t pos = 0;
    while (pos < sse.size()) {
        const std::size_t end = sse.find("\n\n", pos);
        BOOST_REQUIRE(end != std::string::npos);
        const std::string frame = sse.substr(pos, end - pos);
        pos = end + 2;
        BOOST_REQUIRE(frame.starts_with("event: "));
        const std::size_t nl = frame.find('\n');
        BOOST_REQUIRE(frame.substr(nl + 1).starts_with("data: "));
        Event e{frame.substr(7, nl - 7), obj(frame.substr(nl + 7))};
        BOOST_TEST(json::value_to<std::string>(e.data.at("type")) == e.name,
                   "data.type names the event");
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<std::string> names(const std::vector<Event> &es) {
    std::vector<std::string> out;
    for (const auto &e : es) out.push_back(e.name);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(system_images_tools_and_results) {
    const json::object u = unified(R"({
      "model":"openai/gpt-4.1","max_tokens":300,"system":[{"type":"text","text":"Be brief."}],
      "stop_sequences":["END"],"temperature":0.2,"top_p":0.9,"top_k":5,"metadata":{"user_id":"u-1"},
      "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
      "tool_choice":{"type":"any","disable_parallel_tool_use":true},
      "messages":[
        {"role":"user","content":[{"type":"text","text":"Look"},
          {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}},
          {"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]},
        {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"sig"},
          {"type":"text","text":"Checking."},
          {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
          {"type":"text","text":"And?"}]}]})");
    BOOST_TEST(json::serialize(u.at("model")) == R"("openai/gpt-4.1")");
    BOOST_TEST(u.at("max_tokens").as_int64() == 300);
    BOOST_TEST(json::serialize(u.at("stop")) == R"(["END"])");
    BOOST_TEST(u.at("temperature").as_double() == 0.2);
    BOOST_TEST(!u.contains("top_k"), "top_k only where every target reads it");
    BOOST_TEST(u.at("user").as_string() == "u-1");
    BOOST_TEST(u.at("tool_choice").as_string() == "required");
    BOOST_TEST(u.at("parallel_tool_calls").as_bool() == false);
    BOOST_TEST(
        json::serialize(u.at("tools")) ==
        R"([{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])");
    const json::array &m = u.at("messages").as_array();
    BOOST_TEST_REQUIRE(m.size() == 5u);
    BOOST_TEST(json::serialize(m[0]) ==
               R"({"role":"system","content":[{"type":"text","text":"Be brief."}]})");
    BOOST_TEST(
        json::serialize(m[1]) ==
        R"({"role":"user","content":[{"type":"text","text":"Look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]})");
    BOOST_TEST(
        json::serialize(m[2]) ==
            R"({"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]})",
        "thinking of a past turn is dropped for other vendors");
    BOOST_TEST(json::serialize(m[3]) ==
               R"({"role":"tool","tool_call_id":"toolu_1","content":"sunny"})");
    BOOST_TEST(json::serialize(m[4]) ==
               R"({"role":"user","content":[{"type":"text","text":"And?"}]})");
}

BOOST_AUTO_TEST_CASE(thinking_reads_as_reasoning_effort_or_passes_to_anthropic) {
    const std::string req =
        R"({"model":"m","max_tokens":9000,"thinking":{"type":"enabled","budget_tokens":4000},"top_k":3,)"
        R"("messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"x"}]}]})";
    const json::object u = unified(req);
    BOOST_TEST(u.at("reasoning_effort").as_string() == "medium");
    BOOST_TEST(!u.contains("thinking"));
    const json::object a = unified(req, to_anthropic);
    BOOST_TEST(json::serialize(a.at("thinking")) == R"({"type":"enabled","budget_tokens":4000})");
    BOOST_TEST(!a.contains("reasoning_effort"));
    BOOST_TEST(a.at("top_k").as_int64() == 3);
    BOOST_TEST(json::serialize(a.at("messages").as_array()[0].at("thinking_blocks")) ==
               R"([{"type":"thinking","thinking":"t","signature":"s"}])");
    BOOST_TEST(
        unified(
            R"({"model":"m","max_tokens":5,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[]})")
            .at("reasoning_effort")
            .as_string() == "minimal");
    BOOST_TEST(
        unified(R"({"model":"m","max_tokens":5,"thinking":{"type":"disabled"},"messages":[]})")
            .contains("reasoning_effort") == false);
}

BOOST_AUTO_TEST_CASE(streaming_asks_for_usage) {
    const json::object u = unified(
        R"({"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]})");
    BOOST_TEST(u.at("stream").as_bool());
    BOOST_TEST(json::serialize(u.at("stream_options")) == R"({"include_usage":true})");
    BOOST_TEST(!unified(R"({"model":"m","max_tokens":5,"stream":false,"messages":[]})")
                    .contains("stream"));
}

BOOST_AUTO_TEST_CASE(what_cannot_be_carried_is_refused_naming_the_field) {
    using R = std::optional<std::pair<ErrorCode, std::string>>;
    BOOST_TEST((refusal(R"({"model":"m","messages":[]})") ==
                R({ErrorCode::invalid_request, "max_tokens"})));
    BOOST_TEST(
        (refusal(R"({"max_tokens":1,"messages":[]})") == R({ErrorCode::invalid_request, "model"})));
    BOOST_TEST((refusal(R"({"model":"m","max_tokens":0,"messages":[]})") ==
                R({ErrorCode::invalid_request, "max_tokens"})));
    BOOST_TEST((refusal(R"({"model":"m","max_tokens":1,"messages":[],"mcp_servers":[]})") ==
                R({ErrorCode::invalid_request, "mcp_servers"})));
    BOOST_TEST((
        refusal(
            R"({"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]})") ==
        R({ErrorCode::invalid_request, "tools.0.type"})));
    BOOST_TEST(
        (refusal(R"({"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]})") ==
         R({ErrorCode::invalid_request, "messages.0.role"})));
    BOOST_TEST((
        refusal(
            R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"search_result"}]}]})") ==
        R({ErrorCode::invalid_request, "messages.0"})));
    BOOST_TEST((
        refusal(
            R"({"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"enabled","budget_tokens":10}})") ==
        R({ErrorCode::invalid_request, "thinking.budget_tokens"})));
    BOOST_TEST((
        refusal(
            R"({"model":"m","max_tokens":1,"messages":[],"tools":[{"name":"t","input_schema":{}}],"tool_choice":{"type":"sometimes"}})") ==
        R({ErrorCode::invalid_request, "tool_choice"})));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(response)

BOOST_AUTO_TEST_CASE(text_thinking_tool_use_stop_reason_and_usage) {
    const json::object m =
        obj(unified_to_message(R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1",
      "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Let me look.",
        "reasoning_content":"thinking...",
        "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}}],
      "usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":40}}})"));
    BOOST_TEST(m.at("id").as_string() == "msg_chatcmpl-1");
    BOOST_TEST(m.at("type").as_string() == "message");
    BOOST_TEST(m.at("role").as_string() == "assistant");
    BOOST_TEST(m.at("model").as_string() == "gpt-4.1");
    BOOST_TEST(
        json::serialize(m.at("content")) ==
        R"([{"type":"thinking","thinking":"thinking...","signature":""},{"type":"text","text":"Let me look."},{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}])");
    BOOST_TEST(m.at("stop_reason").as_string() == "tool_use");
    BOOST_TEST(m.at("stop_sequence").is_null());
    BOOST_TEST(json::serialize(m.at("usage")) ==
               R"({"input_tokens":60,"output_tokens":20,"cache_read_input_tokens":40})");
}

BOOST_AUTO_TEST_CASE(signed_thinking_blocks_and_finish_reasons) {
    const json::object m = obj(
        unified_to_message(R"({"id":"msg_01","model":"claude","choices":[{"finish_reason":"length",
      "message":{"role":"assistant","content":"partial","reasoning_content":"x",
        "thinking_blocks":[{"type":"thinking","thinking":"x","signature":"SIG"}]}}],"usage":{"prompt_tokens":3,"completion_tokens":4}})"));
    BOOST_TEST(m.at("id").as_string() == "msg_01");
    BOOST_TEST(
        json::serialize(m.at("content")) ==
        R"([{"type":"thinking","thinking":"x","signature":"SIG"},{"type":"text","text":"partial"}])");
    BOOST_TEST(m.at("stop_reason").as_string() == "max_tokens");
    BOOST_TEST(json::serialize(m.at("usage")) == R"({"input_tokens":3,"output_tokens":4})");
    BOOST_TEST(obj(unified_to_message(
                       R"({"choices":[{"finish_reason":"stop","message":{"content":"a"}}]})"))
                   .at("stop_reason")
                   .as_string() == "end_turn");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream)

BOOST_AUTO_TEST_CASE(thinking_text_and_tool_call_blocks) {
    auto encoder = make_messages_encoder();
    std::string out;
    for (
        const char *chunk :
        {R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"reasoning_content":"Let me "}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"reasoning_content":"think."}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","thinking":"Let me think.","signature":"SIG"}]}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"content":"Hello"}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"get_weather","arguments":""}}]}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
         R"({"id":"chatcmpl-9","model":"m","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":7}})"})
        encoder->chunk(out, chunk);
    encoder->end(out);
    const auto es = events(out);
    const std::vector<std::string> want{"message_start",       "ping",
                                        "content_block_start", "content_block_delta",
                                        "content_block_delta", "content_block_delta",
                                        "content_block_stop",  "content_block_start",
                                        "content_block_delta", "content_block_stop",
                                        "content_block_start", "content_block_delta",
                                        "content_block_delta", "content_block_stop",
                                        "message_delta",       "message_stop"};
    BOOST_TEST(names(es) == want, boost::test_tools::per_element());
    BOOST_TEST_REQUIRE(es.size() == want.size());
    BOOST_TEST(es[0].data.at("message").at("id").as_string() == "msg_chatcmpl-9");
    BOOST_TEST(
        json::serialize(es[2].data) ==
        R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}})");
    BOOST_TEST(json::serialize(es[3].data.at("delta")) ==
               R"({"type":"thinking_delta","thinking":"Let me "})");
    BOOST_TEST(json::serialize(es[5].data.at("delta")) ==
               R"({"type":"signature_delta","signature":"SIG"})");
    BOOST_TEST(es[7].data.at("index").as_int64() == 1);
    BOOST_TEST(json::serialize(es[8].data.at("delta")) ==
               R"({"type":"text_delta","text":"Hello"})");
    BOOST_TEST(json::serialize(es[10].data.at("content_block")) ==
               R"({"type":"tool_use","id":"call_A","name":"get_weather","input":{}})");
    BOOST_TEST(json::serialize(es[11].data.at("delta")) ==
               R"({"type":"input_json_delta","partial_json":"{\"city\":"})");
    BOOST_TEST(es[13].data.at("index").as_int64() == 2);
    BOOST_TEST(
        json::serialize(es[14].data) ==
        R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":10,"output_tokens":7}})");
}

BOOST_AUTO_TEST_CASE(one_block_per_tool_call_index) {
    auto encoder = make_messages_encoder();
    std::string out;
    for (const char *chunk : {
             R"({"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{\"x\":"}}]}}]})",
             R"({"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"1}"}}]}}]})",
             R"({"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{}"}}]}}]})"})
        encoder->chunk(out, chunk);
    encoder->end(out);
    std::vector<std::string> starts;
    std::string first_args;
    for (const auto &e : events(out)) {
        if (e.name == "content_block_start")
            starts.push_back(json::value_to<std::string>(e.data.at("content_block").at("id")));
        if (e.name == "content_block_delta" && e.data.at("index").as_int64() == 0)
            first_args += json::value_to<std::string>(e.data.at("delta").at("partial_json"));
    }
    BOOST_TEST(starts == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
    BOOST_TEST(first_args == R"({"x":1})");
}

BOOST_AUTO_TEST_CASE(a_failure_is_an_error_event) {
    auto encoder = make_messages_encoder();
    std::string out;
    encoder->chunk(out,
                   R"({"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]})");
    encoder->failure(out, GatewayError(ErrorCode::rate_limit_exceeded, "slow down"));
    encoder->end(out);
    const auto es = events(out);
    BOOST_TEST_REQUIRE(!es.empty());
    BOOST_TEST(json::serialize(es.back().data) ==
                   R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})",
               "the error event is the last one");
}

BOOST_AUTO_TEST_CASE(an_empty_stream_still_starts_and_stops) {
    auto encoder = make_messages_encoder();
    std::string out;
    encoder->end(out);
    BOOST_TEST(names(events(out)) == (std::vector<std::string>{"message_start", "ping",
                                                               "message_delta", "message_stop"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors_and_auth)

BOOST_AUTO_TEST_CASE(errors_in_anthropic_shape) {
    const Response r =
        anthropic_error_response(GatewayError(ErrorCode::invalid_api_key, "invalid client key"));
    BOOST_TEST(static_cast<int>(r.result()) == 401);
    BOOST_TEST(
        r.body() ==
        R"({"type":"error","error":{"type":"authentication_error","message":"invalid client key"}})");
    BOOST_TEST(anthropic_error_type(ErrorCode::model_not_found) == "not_found_error");
    BOOST_TEST(anthropic_error_type(ErrorCode::permission_denied) == "permission_error");
    BOOST_TEST(anthropic_error_type(ErrorCode::rate_limit_exceeded) == "rate_limit_error");
    BOOST_TEST(anthropic_error_type(ErrorCode::upstream_error) == "api_error");
    BOOST_TEST(
        static_cast<int>(
            anthropic_error_response(GatewayError(ErrorCode::invalid_request, "x")).result()) ==
        400);
    BOOST_TEST(is_anthropic_messages_path("/v1/messages"));
    BOOST_TEST(is_anthropic_messages_path("/v1/messages/count_tokens"));
    BOOST_TEST(!is_anthropic_messages_path("/v1/chat/completions"));
}

BOOST_AUTO_TEST_CASE(x_api_key_is_a_client_key) {
    AccessControl ac("", {"key-alpha-111"});
    auto code = [&](std::string_view authorization,
                    std::string_view api_key) -> std::optional<ErrorCode> {
        try {
            ac.authorize_client(authorization, api_key);
            return std::nullopt;
        } catch (const GatewayError &e) {
            return e.code();
        }
    };
    BOOST_TEST((code("", "key-alpha-111") == std::nullopt));
    BOOST_TEST((code("Bearer key-alpha-111", "") == std::nullopt));
    BOOST_TEST((code("", "key-alpha-112") == ErrorCode::invalid_api_key));
    BOOST_TEST((code("", "") == ErrorCode::invalid_api_key));
    BOOST_TEST((code("", "Bearer key-alpha-111") == ErrorCode::invalid_api_key),
               "x-api-key is the bare key");
    // A wrong bearer is not rescued by a right x-api-key: one credential counts.
    BOOST_TEST((code("Bearer wrong", "key-alpha-111") == ErrorCode::invalid_api_key));
    BOOST_TEST(AccessControl::client_key_id("", "key-alpha-111") ==
               AccessControl::client_key_id("Bearer key-alpha-111"));
    // Refused, in Anthropic's shape with a 401.
    try {
        ac.authorize_client("", "key-wrong");
        BOOST_FAIL("a wrong x-api-key was accepted");
    } catch (const GatewayError &e) {
        const Response r = anthropic_error_response(e);
        BOOST_TEST(static_cast<int>(r.result()) == 401);
        BOOST_TEST(json::parse(r.body()).at("error").at("type").as_string() ==
                   "authentication_error");
        BOOST_TEST(r.body().find("key-wrong") == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
