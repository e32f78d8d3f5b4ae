// The anthropic plugin, driven through the C ABI exactly as the host drives it.
#define BOOST_TEST_MODULE anthropic_plugin
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>

#include "plugin_harness.hpp"
#include "spec_request_dump.hpp"

namespace json = boost::json;
using namespace sbtest;

namespace {

const std::string kKey = "sk-ant-api03-test0123456789SECRETsecret";
const std::string kBase = "https://api.anthropic.com/v1";
const std::string kModel = "claude-3-haiku-20240307";
const std::string kChat =
    R"({"model":"ignored","messages":[{"role":"user","content":"Hello"}],"temperature":0.2})";

Plugin &plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

Config cfg(std::string key = kKey, std::string base = kBase, std::string model = kModel) {
    return Config(std::move(key), std::move(base), std::move(model));
}

bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

void check_no_key_outside_auth(const Request &r) {
    BOOST_TEST(!contains(r.url, kKey));
    BOOST_TEST(!contains(r.body, kKey));
    for (const auto &h : r.headers)
        if (h.first != "x-api-key") BOOST_TEST(!contains(h.second, kKey), h.first);
}

// Builds the vendor request for a unified body, records it for the spec check
// and compares the vendor JSON with the expected one (member order ignored).
Request expect_request(const std::string &name, const std::string &unified,
                       const std::string &expected, bool stream = false,
                       const std::string &model = kModel) {
    Config c = cfg(kKey, kBase, model);
    auto r = plugin().build_chat(c, unified, stream);
    BOOST_TEST_CONTEXT(name) {
        BOOST_TEST(r.status == SB_OK, r.error.message);
        BOOST_TEST(!r.error.reported);
        if (r.status != SB_OK) return r.request;
        dump_spec_request("anthropic", name, "/v1/messages", "post", r.request.body);
        json::value got = json::parse(r.request.body);
        json::value want = json::parse(expected);
        BOOST_TEST(got == want, "\n got: " << got << "\nwant: " << want);
        check_no_key_outside_auth(r.request);
    }
    return r.request;
}

void expect_refused(const std::string &unified, const std::string &message_part,
                    const std::string &model = kModel) {
    Config c = cfg(kKey, kBase, model);
    auto r = plugin().build_chat(c, unified, false);
    BOOST_TEST_CONTEXT(unified) {
        BOOST_TEST(r.status == SB_ERR_INVALID_ARGUMENT);
        BOOST_TEST(r.error.reports == 1);
        BOOST_TEST(r.error.kind == SB_ERROR_INVALID_REQUEST);
        BOOST_TEST(contains(r.error.message, message_part), r.error.message);
    }
}

// "created" is the plugin's clock: checked to be a plausible integer, then
// zeroed so whole documents compare.
json::value normalized(const std::string &text) {
    json::value v = json::parse(text);
    json::object &o = v.as_object();
    BOOST_TEST(o.at("created").is_int64());
    BOOST_TEST(o.at("created").as_int64() > 1700000000);
    o["created"] = 0;
    return v;
}

ParseResult parse_status(int status, const std::string &body) {
    Config c = cfg();
    return plugin().parse_chat(c, status, body);
}

void expect_response(const std::string &fixture_name, const std::string &expected) {
    auto r = parse_status(200, fixture(fixture_name));
    BOOST_TEST_CONTEXT(fixture_name) {
        BOOST_TEST(r.status == SB_OK, r.error.message);
        BOOST_TEST(!r.error.reported);
        if (r.status != SB_OK) return;
        json::value got = normalized(r.body);
        json::value want = json::parse(expected);
        BOOST_TEST(got == want, "\n got: " << got << "\nwant: " << want);
    }
}

std::string chunk(const std::string &id, const std::string &model, const std::string &delta,
                  const std::string &finish = "null") {
    return R"({"id":")" + id + R"(","object":"chat.completion.chunk","created":0,"model":")" + model +
           R"(","choices":[{"index":0,"delta":)" + delta + R"(,"finish_reason":)" + finish + "}]}";
}

std::string usage_chunk(const std::string &id, const std::string &model, const std::string &usage) {
    return R"({"id":")" + id + R"(","object":"chat.completion.chunk","created":0,"model":")" + model +
           R"(","choices":[],"usage":)" + usage + "}";
}

void expect_chunks(const StreamResult &r, const std::vector<std::string> &expected) {
    BOOST_TEST(r.chunks.size() == expected.size());
    for (size_t i = 0; i < std::min(r.chunks.size(), expected.size()); ++i) {
        BOOST_TEST_CONTEXT("chunk " << i) {
            json::value got = normalized(r.chunks[i]);
            json::value want = json::parse(expected[i]);
            BOOST_TEST(got == want, "\n got: " << got << "\nwant: " << want);
        }
    }
}

}  // namespace

// The binary rules (exports, runtime, ABI negotiation) are checked for every
// plugin at once in plugin_binaries_test.cpp.

BOOST_AUTO_TEST_CASE(descriptor) {
    const auto &d = plugin().descriptor();
    BOOST_TEST(d.struct_size >= sizeof(sb_provider_descriptor));
    BOOST_TEST(sv(d.id) == "anthropic");
    BOOST_TEST(sv(d.display_name) == "Anthropic");
    BOOST_TEST(sv(d.default_model) == "claude-3-haiku-20240307");
    BOOST_TEST(sv(d.default_api_base) == "https://api.anthropic.com/v1");
    BOOST_TEST(sv(d.env_api_key) == "ANTHROPIC_API_KEY");
    BOOST_TEST(sv(d.env_model) == "ANTHROPIC_MODEL");
    BOOST_TEST(sv(d.env_api_base) == "ANTHROPIC_API_BASE");
    BOOST_TEST(d.capabilities == (SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION |
                                  SB_CAP_MODEL_LISTING | SB_CAP_REQUIRES_API_KEY));
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
    std::vector<std::string> known;
    for (size_t i = 0; i < d.known_model_count; ++i) known.push_back(sv(d.known_models[i]));
    for (const char *m : {"claude-3-haiku-20240307", "claude-sonnet-4-5-20250929",
                          "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805"})
        BOOST_TEST((std::find(known.begin(), known.end(), m) != known.end()), m);
}

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(plain_chat_request) {
    Request r = expect_request(
        "plain", kChat,
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":"Hello"}],"temperature":0.2})");
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.url == "https://api.anthropic.com/v1/messages");
    BOOST_TEST(r.header("x-api-key") == kKey);
    BOOST_TEST(r.header("anthropic-version") == "2023-06-01");
    BOOST_TEST(r.header("Content-Type") == "application/json");
    BOOST_TEST(!r.has_header("Authorization"));
}

BOOST_AUTO_TEST_CASE(streaming_request) {
    Request r = expect_request(
        "stream", kChat,
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":"Hello"}],"temperature":0.2,"stream":true})",
        true);
    BOOST_TEST(r.header("Accept") == "text/event-stream");
    // A client's "stream" flag is not what decides: the host's call does.
    expect_request(
        "stream_flag_dropped",
        R"({"messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":"x"}]})");
}

BOOST_AUTO_TEST_CASE(system_prompts_and_sampling) {
    expect_request(
        "system_sampling",
        R"({"model":"gpt-4o","messages":[
              {"role":"system","content":"You are terse."},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."},{"type":"text","text":"No emojis."}]},
              {"role":"user","content":"Hi"}],
            "max_tokens":100,"max_completion_tokens":256,"temperature":1.5,"top_p":0.9,"top_k":40,
            "stop":["END","  ","\n\nHuman:"],"user":"user-42","n":1,
            "frequency_penalty":0.5,"presence_penalty":0.1,"seed":7,"logprobs":false,
            "logit_bias":{"50256":-100},"stream_options":{"include_usage":true},"metadata":{"a":"b"},
            "reasoning_effort":"low","service_tier":"default","store":true})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":256,
            "system":"You are terse.\n\nAnswer in French.\nNo emojis.",
            "messages":[{"role":"user","content":"Hi"}],
            "temperature":1.0,"top_k":40,
            "stop_sequences":["END","\n\nHuman:"],"metadata":{"user_id":"user-42"}})");
    expect_request(
        "stop_string",
        R"({"messages":[{"role":"user","content":"Hi"}],"stop":"###","max_tokens":10})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"stop_sequences":["###"]})");
}

BOOST_AUTO_TEST_CASE(images_and_documents) {
    expect_request(
        "images",
        R"({"messages":[{"role":"user","content":[
              {"type":"text","text":"What is in these?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
              {"type":"image_url","image_url":{"url":"data:image/jpg;base64,/9j/4AAQ","detail":"high"}},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.webp"}},
              {"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}]}]})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":[
              {"type":"text","text":"What is in these?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
              {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
              {"type":"image","source":{"type":"url","url":"https://example.com/cat.webp"}},
              {"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}]}]})");
    expect_request(
        "pdf_document",
        R"({"messages":[{"role":"user","content":[
              {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0x"}},
              {"type":"text","text":"Summarize."}]}]})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":[
              {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}},
              {"type":"text","text":"Summarize."}]}]})");
}

BOOST_AUTO_TEST_CASE(tools_and_tool_choice) {
    const std::string tools =
        R"("tools":[{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},
                    {"type":"function","function":{"name":"now"}}])";
    const std::string vendor_tools =
        R"("tools":[{"name":"get_weather","description":"Weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
                    {"name":"now","input_schema":{"type":"object","properties":{}}}])";
    const std::string msgs = R"("messages":[{"role":"user","content":"Weather in Paris?"}])";
    const std::string vmsgs = R"("model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":"Weather in Paris?"}])";
    struct Case {
        std::string name, choice, vendor_choice;
    };
    const std::vector<Case> cases = {
        {"tools_default", "", ""},
        {"tool_choice_auto", R"(,"tool_choice":"auto")", R"(,"tool_choice":{"type":"auto"})"},
        {"tool_choice_none", R"(,"tool_choice":"none")", R"(,"tool_choice":{"type":"none"})"},
        {"tool_choice_required", R"(,"tool_choice":"required")", R"(,"tool_choice":{"type":"any"})"},
        {"tool_choice_function", R"(,"tool_choice":{"type":"function","function":{"name":"get_weather"}})",
         R"(,"tool_choice":{"type":"tool","name":"get_weather"})"},
        {"tool_choice_no_parallel", R"(,"tool_choice":"required","parallel_tool_calls":false)",
         R"(,"tool_choice":{"type":"any","disable_parallel_tool_use":true})"},
        {"no_parallel_only", R"(,"parallel_tool_calls":false)",
         R"(,"tool_choice":{"type":"auto","disable_parallel_tool_use":true})"},
        {"parallel_true", R"(,"parallel_tool_calls":true)", ""},
    };
    for (const auto &c : cases)
        expect_request(c.name, "{" + msgs + "," + tools + c.choice + "}",
                       "{" + vmsgs + "," + vendor_tools + c.vendor_choice + "}");
    // tool_choice without tools means nothing to Anthropic (which rejects it).
    expect_request("tool_choice_without_tools", "{" + msgs + R"(,"tools":[],"tool_choice":"auto"})",
                   "{" + vmsgs + "}");
}

BOOST_AUTO_TEST_CASE(tool_call_conversation) {
    expect_request(
        "tool_conversation",
        R"({"messages":[
              {"role":"system","content":"Use tools."},
              {"role":"user","content":"Weather in Paris and Oslo?"},
              {"role":"assistant","content":"Checking both.","tool_calls":[
                 {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18C sunny"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"-3C"},{"type":"text","text":"snow"}]},
              {"role":"user","content":"Thanks, and tomorrow?"},
              {"role":"assistant","content":null,"tool_calls":[
                 {"id":"call_3","type":"function","function":{"name":"now","arguments":""}}]},
              {"role":"tool","tool_call_id":"call_3","content":""}],
            "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
                     {"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"system":"Use tools.",
            "messages":[
              {"role":"user","content":"Weather in Paris and Oslo?"},
              {"role":"assistant","content":[
                 {"type":"text","text":"Checking both."},
                 {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
                 {"type":"tool_use","id":"call_2","name":"get_weather","input":{"city":"Oslo"}}]},
              {"role":"user","content":[
                 {"type":"tool_result","tool_use_id":"call_1","content":"18C sunny"},
                 {"type":"tool_result","tool_use_id":"call_2","content":[{"type":"text","text":"-3C"},{"type":"text","text":"snow"}]},
                 {"type":"text","text":"Thanks, and tomorrow?"}]},
              {"role":"assistant","content":[{"type":"tool_use","id":"call_3","name":"now","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_3"}]}],
            "tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
                     {"name":"now","input_schema":{"type":"object","properties":{}}}]})");
}

BOOST_AUTO_TEST_CASE(consecutive_turns_merge) {
    expect_request(
        "merge_turns",
        R"({"messages":[{"role":"user","content":"one"},{"role":"user","content":[{"type":"text","text":"two"}]},
                        {"role":"assistant","content":"a"},{"role":"assistant","content":[{"type":"text","text":"b"}]},
                        {"role":"user","content":"three"}]})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[
              {"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]},
              {"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
              {"role":"user","content":"three"}]})");
}

BOOST_AUTO_TEST_CASE(response_format_becomes_a_system_instruction) {
    const std::string instr =
        "Respond only with a single valid JSON object, with no text before or after it and no code fences.";
    expect_request(
        "response_format_json_schema",
        R"({"messages":[{"role":"system","content":"Extract."},{"role":"user","content":"Bob is 3"}],
            "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,
              "schema":{"type":"object","properties":{"age":{"type":"integer"}}}}}})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":"Bob is 3"}],
            "system":"Extract.\n\n)" + instr +
            R"( The JSON object must conform to this JSON Schema: {\"type\":\"object\",\"properties\":{\"age\":{\"type\":\"integer\"}}}"})");
    expect_request("response_format_json_object",
                   R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})",
                   R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":"x"}],"system":")" +
                       instr + R"("})");
    expect_request("response_format_text",
                   R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}})",
                   R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"messages":[{"role":"user","content":"x"}]})");
}

BOOST_AUTO_TEST_CASE(unsupported_input_is_refused_clearly) {
    expect_refused(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]})",
                   "image/bmp");
    expect_refused(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]})",
                   "http(s) URL");
    expect_refused(R"({"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]})",
                   "input_audio");
    expect_refused(R"({"messages":[{"role":"user","content":"x"}],"n":2})", "n must be 1");
    expect_refused(R"({"messages":[{"role":"function","name":"f","content":"x"}]})", "function");
    expect_refused(R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]}]})",
                   "arguments");
    expect_refused(R"({"messages":[{"role":"tool","content":"x"}]})", "tool_call_id");
    expect_refused(R"({"messages":[],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"sometimes"})",
                   "tool_choice");
    expect_refused(R"({"messages":[],"max_tokens":"lots"})", "max_tokens");
    expect_refused(R"({"messages":[],"max_tokens":0})", "max_tokens");
    expect_refused(R"({"messages":[],"response_format":{"type":"yaml"}})", "response_format");
}

// The host resolves the model before it calls a plugin (ABI 1.2): the
// plugin names the model it is given, whatever the body asked for.
BOOST_AUTO_TEST_CASE(names_the_host_resolved_model) {
    Config c = cfg(kKey, kBase, "claude-opus-4-1");
    auto r = plugin().build_chat(c, kChat, false);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(json::parse(r.request.body).at("model").as_string() == "claude-opus-4-1");
}

BOOST_AUTO_TEST_CASE(base_with_trailing_slashes) {
    Config c = cfg(kKey, "http://127.0.0.1:8080/v1//");
    auto r = plugin().build_chat(c, kChat, false);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.request.url == "http://127.0.0.1:8080/v1/messages");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(response)

BOOST_AUTO_TEST_CASE(text_response) {
    expect_response("anthropic/anthropic-text.json", R"({
        "id":"msg_01VdEjxAP5ahtHKrrRdNBteQ","object":"chat.completion","created":0,
        "model":"claude-sonnet-4-5-20250929",
        "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! I'm doing well, thanks for asking. How are you doing today? Is there anything I can help you with?"},"finish_reason":"stop"}],
        "usage":{"prompt_tokens":12,"completion_tokens":29,"total_tokens":41}})");
}

BOOST_AUTO_TEST_CASE(text_and_tool_call_response) {
    expect_response("anthropic/anthropic-tool-no-args.json", R"({
        "id":"msg_01GCBaV8gyWAYgMVggRqZbuQ","object":"chat.completion","created":0,
        "model":"claude-3-opus-20240229",
        "choices":[{"index":0,"message":{"role":"assistant",
            "content":"<thinking>\nThe updateIssueList tool was provided in the list of available functions. The tool has no required parameters, so it can be called without any additional information needed from the user.\n</thinking>\n\nOkay, I will update the current issue list:",
            "tool_calls":[{"id":"toolu_01LRmxn9vGM1d2DZSDBowdZ1","type":"function","function":{"name":"updateIssueList","arguments":"{}"}}]},
          "finish_reason":"tool_calls"}],
        "usage":{"prompt_tokens":602,"completion_tokens":93,"total_tokens":695}})");
}

BOOST_AUTO_TEST_CASE(tool_call_only_response) {
    auto r = parse_status(200, fixture("anthropic/anthropic-json-tool.1.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    json::value v = normalized(r.body);
    const auto &msg = v.at("choices").at(0).at("message").as_object();
    BOOST_TEST(msg.at("content").is_null());
    const auto &call = msg.at("tool_calls").at(0).as_object();
    BOOST_TEST(call.at("id").as_string() == "toolu_01Q9ExVZnzZj7E2QQYHYtNUa");
    BOOST_TEST(call.at("function").at("name").as_string() == "json");
    json::value args = json::parse(call.at("function").at("arguments").as_string());
    json::value input = json::parse(fixture("anthropic/anthropic-json-tool.1.json")).at("content").at(0).at("input");
    BOOST_TEST(args == input);
    BOOST_TEST(v.at("choices").at(0).at("finish_reason").as_string() == "tool_calls");
    BOOST_TEST(json::serialize(v.at("usage")) ==
               R"({"prompt_tokens":1151,"completion_tokens":87,"total_tokens":1238})");
}

BOOST_AUTO_TEST_CASE(finish_reasons_and_cache_usage) {
    struct Case {
        std::string stop_reason, finish;
    };
    for (const auto &c : std::vector<Case>{{"end_turn", "stop"},
                                           {"stop_sequence", "stop"},
                                           {"max_tokens", "length"},
                                           {"tool_use", "tool_calls"},
                                           {"refusal", "content_filter"},
                                           {"pause_turn", "stop"}}) {
        const std::string body =
            R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[{"type":"text","text":"a"},{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"b"}],"stop_reason":")" +
            c.stop_reason +
            R"(","stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":5}})";
        auto r = parse_status(200, body);
        BOOST_TEST_CONTEXT(c.stop_reason) {
            BOOST_REQUIRE(r.status == SB_OK);
            json::value v = normalized(r.body);
            BOOST_TEST(v.at("choices").at(0).at("finish_reason").as_string() == c.finish);
            BOOST_TEST(v.at("choices").at(0).at("message").at("content").as_string() == "ab");
            BOOST_TEST(json::serialize(v.at("usage")) ==
                       R"({"prompt_tokens":1110,"completion_tokens":5,"total_tokens":1115,"prompt_tokens_details":{"cached_tokens":1000}})");
        }
    }
}

struct ErrorCase {
    int status;
    std::string file;
    sb_error_kind kind;
    std::string message_part;
};

BOOST_AUTO_TEST_CASE(vendor_errors_are_classified) {
    const std::vector<ErrorCase> cases = {
        {401, "anthropic/error-401-authentication.json", SB_ERROR_INVALID_API_KEY, "invalid x-api-key"},
        {403, "anthropic/error-403-permission.json", SB_ERROR_PERMISSION_DENIED, "does not have permission"},
        {404, "anthropic/error-404-model.json", SB_ERROR_MODEL_NOT_FOUND, "model: claude-3-haiku-2099"},
        {404, "anthropic/error-404-path.json", SB_ERROR_API_BASE_INCORRECT, "api_base"},
        {404, "anthropic/error-404-html.html", SB_ERROR_API_BASE_INCORRECT, "api_base"},
        {405, "anthropic/error-404-html.html", SB_ERROR_API_BASE_INCORRECT, "api_base"},
        {429, "anthropic/error-429-rate-limit.json", SB_ERROR_RATE_LIMITED, "per-minute rate limit"},
        {529, "anthropic/error-529-overloaded.json", SB_ERROR_UPSTREAM, "Overloaded"},
        {500, "anthropic/error-500-api.json", SB_ERROR_UPSTREAM, "Internal server error"},
        {400, "anthropic/error-400-prompt-too-long.json", SB_ERROR_CONTEXT_LENGTH, "prompt is too long"},
        {400, "anthropic/error-400-invalid-request.json", SB_ERROR_INVALID_REQUEST, "max_tokens: Field required"},
        {400, "anthropic/error-400-credit-balance.json", SB_ERROR_RATE_LIMITED, "credit balance is too low"},
    };
    for (const auto &c : cases) {
        auto r = parse_status(c.status, fixture(c.file));
        BOOST_TEST_CONTEXT(c.status << " " << c.file) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.reports == 1);
            BOOST_TEST(r.error.kind == c.kind);
            BOOST_TEST(r.error.http_status == c.status);
            BOOST_TEST(contains(r.error.message, c.message_part), r.error.message);
            BOOST_TEST(r.body.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(foreign_bodies) {
    // An OpenAI-compatible server behind the base: its errors still classify.
    auto r = parse_status(401, R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}})");
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    BOOST_TEST(contains(r.error.message, "Incorrect API key provided"));
    r = parse_status(301, "<html>Moved</html>");
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = parse_status(502, "<html>Bad Gateway</html>");
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    // 2xx answers that are not Messages API responses.
    for (std::string body : {std::string("<!doctype html><html><body>Welcome to nginx!</body></html>"),
                             std::string(""), std::string(R"({"status":"ok"})"), std::string("[1]"),
                             std::string(R"({"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}]})"),
                             fixture("anthropic/models.json")}) {
        auto g = parse_status(200, body);
        BOOST_TEST_CONTEXT(body.substr(0, 40)) {
            BOOST_TEST(g.status == SB_ERR_UPSTREAM);
            BOOST_TEST(g.error.kind == SB_ERROR_API_BASE_INCORRECT);
            BOOST_TEST(contains(g.error.message, "Anthropic Messages API"), g.error.message);
        }
    }
    // An error document with a 200 status is still an error.
    auto e = parse_status(200, fixture("anthropic/error-529-overloaded.json"));
    BOOST_TEST(e.status == SB_ERR_UPSTREAM);
    BOOST_TEST(e.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(e.error.message == "Overloaded");
}

BOOST_AUTO_TEST_CASE(error_messages_never_carry_the_key) {
    const std::string body =
        R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key )" + kKey + R"("}})";
    auto r = parse_status(401, body);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    BOOST_TEST(!contains(r.error.message, kKey), r.error.message);
    BOOST_TEST(contains(r.error.message, "invalid x-api-key"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming)

BOOST_AUTO_TEST_CASE(text_stream) {
    Config c = cfg();
    auto r = plugin().stream(c, kChat, fixture_lines("anthropic/anthropic-text.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_TEST(!r.error.reported);
    const std::string id = "msg_01QC4g3HwBThD4BaNtBckFDJ", m = "claude-sonnet-4-5-20250929";
    expect_chunks(r, {
                         chunk(id, m, R"({"role":"assistant","content":""})"),
                         chunk(id, m, R"({"content":"Hello"})"),
                         chunk(id, m, R"({"content":"! I"})"),
                         chunk(id, m, R"({"content":"'m doing well, thank you for asking"})"),
                         chunk(id, m, R"({"content":". How are you doing today?"})"),
                         chunk(id, m, R"({"content":" Is"})"),
                         chunk(id, m, R"({"content":" there anything I can help you with?"})"),
                         chunk(id, m, "{}", R"("stop")"),
                         usage_chunk(id, m, R"({"prompt_tokens":12,"completion_tokens":30,"total_tokens":42})"),
                     });
}

BOOST_AUTO_TEST_CASE(text_then_tool_call_stream) {
    Config c = cfg();
    auto r = plugin().stream(c, kChat, fixture_lines("anthropic/anthropic-tool-no-args.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    const std::string id = "msg_01GE2RKp1VYsPzdFs3sS9z5S", m = "claude-sonnet-4-5-20250929";
    expect_chunks(
        r, {
               chunk(id, m, R"({"role":"assistant","content":""})"),
               chunk(id, m, R"({"content":"I'll update the issue list for"})"),
               chunk(id, m, R"({"content":" you."})"),
               chunk(id, m,
                     R"({"tool_calls":[{"index":0,"id":"toolu_01QE1WLsSVp5hy5Q3GmGTmjP","type":"function","function":{"name":"updateIssueList","arguments":""}}]})"),
               chunk(id, m, "{}", R"("tool_calls")"),
               usage_chunk(id, m, R"({"prompt_tokens":565,"completion_tokens":48,"total_tokens":613})"),
           });
}

BOOST_AUTO_TEST_CASE(tool_arguments_stream) {
    Config c = cfg();
    auto r = plugin().stream(c, kChat, fixture_lines("anthropic/anthropic-json-tool.1.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    const std::string id = "msg_01K2JbSUMYhez5RHoK9ZCj9U", m = "claude-haiku-4-5-20251001";
    expect_chunks(
        r, {
               chunk(id, m, R"({"role":"assistant","content":""})"),
               chunk(id, m,
                     R"({"tool_calls":[{"index":0,"id":"toolu_01KFbKqPYSuAKujiL6mTfzYA","type":"function","function":{"name":"json","arguments":""}}]})"),
               chunk(id, m,
                     R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"elements\": [{\"location\": \"San Francisco\", \"temperature\": 58, \"condition\": \"sunny\"}]"}}]})"),
               chunk(id, m, R"({"tool_calls":[{"index":0,"function":{"arguments":"}"}}]})"),
               chunk(id, m, "{}", R"("tool_calls")"),
               usage_chunk(id, m, R"({"prompt_tokens":849,"completion_tokens":47,"total_tokens":896})"),
           });
}

BOOST_AUTO_TEST_CASE(parallel_tool_calls_keep_their_indexes) {
    // Text at content block 0, tools at blocks 1 and 2: OpenAI indexes 0 and 1.
    const std::vector<std::string> events = {
        R"({"type":"message_start","message":{"id":"msg_p","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[],"stop_reason":null,"usage":{"input_tokens":50,"cache_read_input_tokens":20,"output_tokens":1}}})",
        R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})",
        R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Both."}})",
        R"({"type":"content_block_stop","index":0})",
        R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{}}})",
        R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_B","name":"get_weather","input":{}}})",
        R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}})",
        R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Oslo\"}"}})",
        R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}})",
        R"({"type":"content_block_stop","index":1})",
        R"({"type":"content_block_stop","index":2})",
        R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":12}})",
        R"({"type":"message_delta","delta":{},"usage":{"output_tokens":40}})",
        R"({"type":"message_stop"})",
    };
    Config c = cfg();
    auto r = plugin().stream(c, kChat, events);
    BOOST_TEST(r.status == SB_STREAM_END);
    const std::string id = "msg_p", m = "claude-3-haiku-20240307";
    expect_chunks(
        r, {
               chunk(id, m, R"({"role":"assistant","content":""})"),
               chunk(id, m, R"({"content":"Both."})"),
               chunk(id, m, R"({"tool_calls":[{"index":0,"id":"toolu_A","type":"function","function":{"name":"get_weather","arguments":""}}]})"),
               chunk(id, m, R"({"tool_calls":[{"index":1,"id":"toolu_B","type":"function","function":{"name":"get_weather","arguments":""}}]})"),
               chunk(id, m, R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]})"),
               chunk(id, m, R"({"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":\"Oslo\"}"}}]})"),
               chunk(id, m, R"({"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]})"),
               chunk(id, m, "{}", R"("tool_calls")"),
               // output_tokens is cumulative: the last count, never a sum.
               usage_chunk(id, m,
                           R"({"prompt_tokens":70,"completion_tokens":40,"total_tokens":110,"prompt_tokens_details":{"cached_tokens":20}})"),
           });
}

BOOST_AUTO_TEST_CASE(stream_cut_short_still_gets_finish_and_usage) {
    auto lines = fixture_lines("anthropic/anthropic-text.chunks.txt");
    // Everything up to and including message_delta, but no message_stop.
    std::vector<std::string> events(lines.begin(), lines.end() - 1);
    Config c = cfg();
    auto r = plugin().stream(c, kChat, events);
    BOOST_TEST(r.status == SB_OK);
    BOOST_REQUIRE(r.chunks.size() == 9u);
    const std::string id = "msg_01QC4g3HwBThD4BaNtBckFDJ", m = "claude-sonnet-4-5-20250929";
    BOOST_TEST(normalized(r.chunks[7]) == json::parse(chunk(id, m, "{}", R"("stop")")));
    BOOST_TEST(normalized(r.chunks[8]) ==
               json::parse(usage_chunk(id, m, R"({"prompt_tokens":12,"completion_tokens":30,"total_tokens":42})")));

    // Cut before any stop reason: no invented finish, but a usage chunk.
    std::vector<std::string> early(lines.begin(), lines.begin() + 4);
    r = plugin().stream(c, kChat, early);
    BOOST_REQUIRE(r.chunks.size() == 3u);
    BOOST_TEST(normalized(r.chunks[2]) ==
               json::parse(usage_chunk(id, m, R"({"prompt_tokens":12,"completion_tokens":1,"total_tokens":13})")));
}

BOOST_AUTO_TEST_CASE(mid_stream_error_is_upstream) {
    auto lines = fixture_lines("anthropic/stream-error.chunks.txt");
    Config c = cfg();
    size_t consumed = 0;
    auto r = plugin().stream(c, kChat, lines, &consumed);
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(consumed == 4u);
    BOOST_TEST(r.error.reports == 1);
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(r.error.message == "Overloaded");
    const std::string id = "msg_01Err0rStreamXyZ";
    expect_chunks(r, {chunk(id, kModel, R"({"role":"assistant","content":""})"),
                      chunk(id, kModel, R"({"content":"Hel"})")});
}

BOOST_AUTO_TEST_CASE(mid_stream_errors_are_classified) {
    struct Case {
        std::string type;
        sb_error_kind kind;
    };
    for (const auto &k : std::vector<Case>{{"rate_limit_error", SB_ERROR_RATE_LIMITED},
                                           {"api_error", SB_ERROR_UPSTREAM},
                                           {"overloaded_error", SB_ERROR_UPSTREAM},
                                           {"invalid_request_error", SB_ERROR_INVALID_REQUEST}}) {
        Config c = cfg();
        auto r = plugin().stream(c, kChat, {R"({"type":"error","error":{"type":")" + k.type + R"(","message":"boom"}})"});
        BOOST_TEST_CONTEXT(k.type) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.kind == k.kind);
            BOOST_TEST(r.error.message == "boom");
        }
    }
}

BOOST_AUTO_TEST_CASE(garbage_event_is_an_error) {
    Config c = cfg();
    auto r = plugin().stream(c, kChat, {"<html>"});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
}

BOOST_AUTO_TEST_CASE(event_name_is_the_fallback_type) {
    Config c = cfg();
    sb_chat_request req{sizeof(sb_chat_request), sb(kChat), 1};
    Error e;
    sb_error_sink es = Plugin::error_sink(e);
    sb_stream *s = nullptr;
    BOOST_REQUIRE(plugin().table().stream_open(c.get(), &req, &s, &es) == SB_OK);
    std::vector<std::string> chunks;
    sb_chunk_sink out{sizeof(sb_chunk_sink), &chunks,
                      [](void *ctx, const char *j, size_t n) {
                          static_cast<std::vector<std::string> *>(ctx)->emplace_back(j, n);
                      },
                      [](void *, const sb_usage *) {}};
    sb_stream_event ping{sizeof(sb_stream_event), sb("ping"), sb("{}")};
    BOOST_TEST(plugin().table().stream_event(s, &ping, &out, &es) == SB_OK);
    sb_stream_event stop{sizeof(sb_stream_event), sb("message_stop"), sb("{}")};
    BOOST_TEST(plugin().table().stream_event(s, &stop, &out, &es) == SB_STREAM_END);
    BOOST_TEST(plugin().table().stream_close(s, &out, &es) == SB_OK);
    BOOST_TEST(!e.reported);
    // finish chunk + usage chunk, and stream_close adds no second usage chunk.
    BOOST_REQUIRE(chunks.size() == 2u);
    BOOST_TEST(json::parse(chunks[1]).at("usage").at("total_tokens").as_int64() == 0);
    BOOST_TEST(json::parse(chunks[1]).at("model").as_string() == kModel);
}

BOOST_AUTO_TEST_CASE(abandoned_stream_emits_nothing) {
    Config c = cfg();
    sb_chat_request req{sizeof(sb_chat_request), sb(kChat), 1};
    Error e;
    sb_error_sink es = Plugin::error_sink(e);
    sb_stream *s = nullptr;
    BOOST_REQUIRE(plugin().table().stream_open(c.get(), &req, &s, &es) == SB_OK);
    BOOST_REQUIRE(s);
    BOOST_TEST(plugin().table().stream_close(s, nullptr, &es) == SB_OK);
    BOOST_TEST(!e.reported);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(models)

BOOST_AUTO_TEST_CASE(models_request) {
    Config c = cfg(kKey, "https://api.anthropic.com/v1/");
    auto r = plugin().build_models(c);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.request.method == "GET");
    BOOST_TEST(r.request.url == "https://api.anthropic.com/v1/models?limit=1000");
    BOOST_TEST(r.request.header("x-api-key") == kKey);
    BOOST_TEST(r.request.header("anthropic-version") == "2023-06-01");
    BOOST_TEST(!r.request.has_header("Authorization"));
    BOOST_TEST(r.request.body.empty());
    check_no_key_outside_auth(r.request);
}

BOOST_AUTO_TEST_CASE(models_response) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 200, fixture("anthropic/models.json"));
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.ids == (std::vector<std::string>{"claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001",
                                                  "claude-3-haiku-20240307"}));
}

BOOST_AUTO_TEST_CASE(models_errors) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 401, fixture("anthropic/error-401-authentication.json"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    r = plugin().parse_models(c, 200, "<html>hello</html>");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = plugin().parse_models(c, 404, fixture("anthropic/error-404-html.html"));
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    BOOST_TEST(r.ids.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// Current models: thinking, structured outputs, caching, in both directions.
BOOST_AUTO_TEST_SUITE(current_models)

const std::string kHi = R"("messages":[{"role":"user","content":"Hi"}])";

BOOST_AUTO_TEST_CASE(reasoning_effort_becomes_a_thinking_budget_on_budget_models) {
    // Sonnet 4.5: a budget inside max_tokens; sampling settings are not sent
    // with thinking (Anthropic refuses them), the default max_tokens grows.
    expect_request("effort_budget", "{" + kHi + R"(,"reasoning_effort":"medium","temperature":0.3,"top_k":5})",
                   R"({"model":"claude-sonnet-4-5","max_tokens":12288,"messages":[{"role":"user","content":"Hi"}],
                       "thinking":{"type":"enabled","budget_tokens":8192}})",
                   false, "claude-sonnet-4-5");
    // A client max_tokens below the budget: the budget shrinks to half of it.
    expect_request("effort_budget_small_max", "{" + kHi + R"(,"reasoning_effort":"high","max_tokens":4000})",
                   R"({"model":"claude-haiku-4-5-20251001","max_tokens":4000,"messages":[{"role":"user","content":"Hi"}],
                       "thinking":{"type":"enabled","budget_tokens":2000}})",
                   false, "claude-haiku-4-5-20251001");
    expect_refused("{" + kHi + R"(,"reasoning_effort":"low","max_tokens":1500})", "max_tokens 1500",
                   "claude-sonnet-4-20250514");
    // none, and models that cannot think: no thinking at all.
    expect_request("effort_none", "{" + kHi + R"(,"reasoning_effort":"none"})",
                   R"({"model":"claude-sonnet-4-5","max_tokens":4096,"messages":[{"role":"user","content":"Hi"}]})",
                   false, "claude-sonnet-4-5");
    expect_refused("{" + kHi + R"(,"reasoning_effort":"extreme"})", "reasoning_effort", "claude-sonnet-4-5");
}

BOOST_AUTO_TEST_CASE(reasoning_effort_becomes_adaptive_thinking_on_current_models) {
    expect_request("effort_adaptive", "{" + kHi + R"(,"reasoning_effort":"low"})",
                   R"({"model":"claude-opus-4-8","max_tokens":4096,"messages":[{"role":"user","content":"Hi"}],
                       "thinking":{"type":"adaptive"},"output_config":{"effort":"low"}})",
                   false, "claude-opus-4-8");
    // 4.6 knows no "xhigh" (recorded 400): its top level is "max".
    expect_request("effort_adaptive_46", "{" + kHi + R"(,"reasoning_effort":"xhigh"})",
                   R"({"model":"claude-opus-4-6","max_tokens":4096,"messages":[{"role":"user","content":"Hi"}],
                       "thinking":{"type":"adaptive"},"output_config":{"effort":"max"}})",
                   false, "claude-opus-4-6");
    // Anthropic's own thinking object passes as written and wins.
    expect_request("thinking_passthrough",
                   "{" + kHi + R"(,"reasoning_effort":"low","thinking":{"type":"enabled","budget_tokens":5000}})",
                   R"({"model":"claude-sonnet-4-5","max_tokens":9096,"messages":[{"role":"user","content":"Hi"}],
                       "thinking":{"type":"enabled","budget_tokens":5000}})",
                   false, "claude-sonnet-4-5");
    expect_refused("{" + kHi + R"(,"thinking":true})", "thinking", "claude-sonnet-4-5");
    // Forced tool use and thinking: Anthropic refuses the pair, so do we, by name.
    expect_refused("{" + kHi + R"(,"reasoning_effort":"low","tool_choice":"required",
                    "tools":[{"type":"function","function":{"name":"f"}}]})",
                   "tool_choice", "claude-sonnet-4-6");
}

BOOST_AUTO_TEST_CASE(temperature_wins_over_top_p) {
    expect_request("temperature_and_top_p", "{" + kHi + R"(,"temperature":0.5,"top_p":0.9})",
                   R"({"model":"claude-haiku-4-5","max_tokens":4096,"messages":[{"role":"user","content":"Hi"}],
                       "temperature":0.5})",
                   false, "claude-haiku-4-5");
    expect_request("top_p_alone", "{" + kHi + R"(,"top_p":0.9})",
                   R"({"model":"claude-haiku-4-5","max_tokens":4096,"messages":[{"role":"user","content":"Hi"}],
                       "top_p":0.9})",
                   false, "claude-haiku-4-5");
}

BOOST_AUTO_TEST_CASE(structured_outputs_strict_tools_and_cache_control) {
    const std::string schema = R"({"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false})";
    expect_request(
        "structured_outputs",
        R"({"messages":[{"role":"system","content":[{"type":"text","text":"Long rules","cache_control":{"type":"ephemeral"}}]},
                        {"role":"user","content":"Go","cache_control":{"type":"ephemeral","ttl":"1h"}}],
            "cache_control":{"type":"ephemeral"},
            "response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":)" + schema + R"(}},
            "tools":[{"type":"function","cache_control":{"type":"ephemeral"},
                      "function":{"name":"f","strict":true,"parameters":)" + schema + R"(}}]})",
        R"({"model":"claude-sonnet-4-6","max_tokens":4096,
            "system":[{"type":"text","text":"Long rules","cache_control":{"type":"ephemeral"}}],
            "messages":[{"role":"user","content":[{"type":"text","text":"Go","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],
            "output_config":{"format":{"type":"json_schema","schema":)" + schema + R"(}},
            "cache_control":{"type":"ephemeral"},
            "tools":[{"name":"f","input_schema":)" + schema + R"(,"strict":true,"cache_control":{"type":"ephemeral"}}]})",
        false, "claude-sonnet-4-6");
}

BOOST_AUTO_TEST_CASE(a_later_system_message_stays_in_place) {
    expect_request(
        "system_in_the_middle",
        R"({"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},
                        {"role":"assistant","content":"Hello"},{"role":"system","content":"Now answer in French."},
                        {"role":"user","content":"Bye"}]})",
        R"({"model":"claude-3-haiku-20240307","max_tokens":4096,"system":"Be brief.",
            "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},
              {"role":"user","content":[{"type":"text","text":"<system>\nNow answer in French.\n</system>"},
                                        {"type":"text","text":"Bye"}]}]})");
}

BOOST_AUTO_TEST_CASE(thinking_blocks_are_replayed_first_in_their_turn) {
    expect_request(
        "thinking_replay",
        R"({"reasoning_effort":"low","messages":[{"role":"user","content":"Weather?"},
            {"role":"assistant","content":null,"reasoning_content":"Use the tool.",
             "thinking_blocks":[{"type":"thinking","thinking":"Use the tool.","signature":"c2ln"},
                                {"type":"redacted_thinking","data":"ZW5j"}],
             "tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"w","arguments":"{}"}}]},
            {"role":"tool","tool_call_id":"toolu_1","content":"sun"}],
            "tools":[{"type":"function","function":{"name":"w"}}]})",
        R"({"model":"claude-sonnet-4-5","max_tokens":6144,"thinking":{"type":"enabled","budget_tokens":2048},
            "messages":[{"role":"user","content":"Weather?"},
              {"role":"assistant","content":[{"type":"thinking","thinking":"Use the tool.","signature":"c2ln"},
                 {"type":"redacted_thinking","data":"ZW5j"},
                 {"type":"tool_use","id":"toolu_1","name":"w","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sun"}]}],
            "tools":[{"name":"w","input_schema":{"type":"object","properties":{}}}]})",
        false, "claude-sonnet-4-5");
    expect_refused(R"({"messages":[{"role":"assistant","content":"x","thinking_blocks":[{"type":"summary"}]}]})",
                   "thinking_blocks");
}

BOOST_AUTO_TEST_CASE(thinking_citations_and_server_tools_in_an_answer) {
    const std::string body = R"({"id":"msg_t","type":"message","role":"assistant","model":"claude-sonnet-4-5",
        "content":[{"type":"thinking","thinking":"Search first.","signature":"c2ln"},
                   {"type":"redacted_thinking","data":"ZW5j"},
                   {"type":"text","text":"Let me look."},
                   {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}},
                   {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},
                   {"type":"text","text":"It is "},
                   {"type":"text","text":"sunny","citations":[{"type":"web_search_result_location","url":"https://w.example/","title":"W","cited_text":"Sunny all day","encrypted_index":"e"}]},
                   {"type":"text","text":"."}],
        "stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":20,"output_tokens_details":{"thinking_tokens":7}}})";
    auto r = parse_status(200, body);
    BOOST_REQUIRE(r.status == SB_OK);
    json::value v = normalized(r.body);
    const json::object &m = v.at("choices").at(0).at("message").as_object();
    BOOST_TEST(m.at("content").as_string() == "Let me look.\n\nIt is sunny.");
    BOOST_TEST(m.at("reasoning_content").as_string() == "Search first.");
    BOOST_TEST(json::serialize(m.at("thinking_blocks")) ==
               R"([{"type":"thinking","thinking":"Search first.","signature":"c2ln"},{"type":"redacted_thinking","data":"ZW5j"}])");
    BOOST_TEST(json::serialize(m.at("annotations")) ==
               R"([{"type":"url_citation","url_citation":{"start_index":20,"end_index":25,"url":"https://w.example/","title":"W","cited_text":"Sunny all day"}}])");
    BOOST_TEST(v.at("usage").at("completion_tokens_details").at("reasoning_tokens").as_int64() == 7);
}

BOOST_AUTO_TEST_CASE(thinking_stream_ends_with_the_signed_block) {
    Config c = cfg();
    auto r = plugin().stream(c, kChat, {
        R"({"type":"message_start","message":{"id":"msg_s","model":"claude-sonnet-4-5","usage":{"input_tokens":3,"output_tokens":1}}})",
        R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}})",
        R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Hm"}})",
        R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2ln"}})",
        R"({"type":"content_block_stop","index":0})",
        R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})",
        R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi"}})",
        R"({"type":"content_block_stop","index":1})",
        R"({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}})",
        R"({"type":"message_stop"})"});
    BOOST_TEST(r.status == SB_STREAM_END);
    const std::string id = "msg_s", m = "claude-sonnet-4-5";
    expect_chunks(r, {chunk(id, m, R"({"role":"assistant","content":""})"),
                      chunk(id, m, R"({"reasoning_content":"Hm"})"),
                      chunk(id, m, R"({"thinking_blocks":[{"type":"thinking","thinking":"Hm","signature":"c2ln"}]})"),
                      chunk(id, m, R"({"content":"Hi"})"),
                      chunk(id, m, "{}", R"("stop")"),
                      usage_chunk(id, m, R"({"prompt_tokens":3,"completion_tokens":9,"total_tokens":12})")});
}

BOOST_AUTO_TEST_SUITE_END()
