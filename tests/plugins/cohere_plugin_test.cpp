// The cohere plugin (Cohere Chat API v2), driven through the C ABI exactly as
// the host drives it.
#define BOOST_TEST_MODULE cohere_plugin
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>

#include "plugin_harness.hpp"
#include "spec_request_dump.hpp"

namespace json = boost::json;
using namespace sbtest;

namespace {

const std::string kKey = "co-test-0123456789abcdefSECRETkey";
const std::string kBase = "https://api.cohere.ai/v1";
const std::string kModel = "command-a-03-2025";
const std::string kChat = R"({"model":"ignored","messages":[{"role":"user","content":"Hello"}]})";

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
        if (h.first != "authorization") BOOST_TEST(!contains(h.second, kKey), h.first);
}

// Builds the vendor request, records it for the spec check, returns its body.
json::value build(const std::string &name, const std::string &unified, bool stream = false) {
    Config c = cfg();
    auto r = plugin().build_chat(c, unified, stream);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, name << ": " << r.error.message);
    BOOST_TEST(!r.error.reported);
    BOOST_TEST(r.request.method == "POST");
    BOOST_TEST(r.request.url == "https://api.cohere.ai/v2/chat");
    BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
    BOOST_TEST(r.request.header("Content-Type") == "application/json");
    BOOST_TEST(r.request.header("Accept") == (stream ? "text/event-stream" : "application/json"));
    check_no_key_outside_auth(r.request);
    dump_spec_request("cohere", name, "/v2/chat", "post", r.request.body);
    return json::parse(r.request.body);
}

void check_request(const std::string &name, const std::string &unified, const std::string &expected,
                   bool stream = false) {
    json::value got = build(name, unified, stream);
    json::value want = json::parse(expected);
    BOOST_TEST(got == want, name << "\n got: " << json::serialize(got) << "\nwant: " << json::serialize(want));
}

ChatResult build_raw(const std::string &unified, Config c = cfg()) {
    return plugin().build_chat(c, unified, false);
}

// "created" is the plugin's clock: checked, then zeroed for comparison.
json::value normalized(const std::string &text) {
    json::value v = json::parse(text);
    json::object &o = v.as_object();
    BOOST_TEST(o.at("created").is_int64());
    BOOST_TEST(o.at("created").as_int64() > 1600000000);
    o["created"] = 0;
    return v;
}

ParseResult parse_status(int status, const std::string &body) {
    Config c = cfg();
    return plugin().parse_chat(c, status, body);
}

// Expected chunk with the plugin's id/model and created zeroed.
std::string ck(const std::string &id, const std::string &delta, const std::string &finish = "null") {
    return R"({"id":")" + id + R"(","object":"chat.completion.chunk","created":0,"model":")" + kModel +
           R"(","choices":[{"index":0,"delta":)" + delta + R"(,"finish_reason":)" + finish + "}]}";
}
std::string usage_ck(const std::string &id, const std::string &usage) {
    return R"({"id":")" + id + R"(","object":"chat.completion.chunk","created":0,"model":")" + kModel +
           R"(","choices":[],"usage":)" + usage + "}";
}

void check_chunks(const std::vector<std::string> &got, const std::vector<std::string> &want) {
    BOOST_TEST(got.size() == want.size());
    int64_t created = -1;
    for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
        int64_t c = json::parse(got[i]).at("created").as_int64();
        if (created < 0) created = c;
        BOOST_TEST(c == created, "created differs between chunks");
        json::value g = normalized(got[i]), w = json::parse(want[i]);
        BOOST_TEST(g == w, "chunk " << i << "\n got: " << json::serialize(g) << "\nwant: " << json::serialize(w));
    }
}

// Like Plugin::stream, but with SSE event names.
StreamResult stream_named(const std::vector<std::pair<std::string, std::string>> &events) {
    Config c = cfg();
    StreamResult r;
    sb_chat_request req{sizeof(sb_chat_request), sb(kChat), 1};
    sb_error_sink es = Plugin::error_sink(r.error);
    sb_stream *s = nullptr;
    r.status = plugin().table().stream_open(c.get(), &req, &s, &es);
    if (r.status != SB_OK) return r;
    sb_chunk_sink out{sizeof(sb_chunk_sink), &r.chunks,
                      [](void *ctx, const char *j, size_t n) {
                          static_cast<std::vector<std::string> *>(ctx)->emplace_back(j, n);
                      },
                      [](void *, const sb_usage *) {}};
    for (const auto &[name, data] : events) {
        sb_stream_event ev{sizeof(sb_stream_event), sb(name), sb(data)};
        r.status = plugin().table().stream_event(s, &ev, &out, &es);
        if (r.status != SB_OK) break;
    }
    bool errored = r.status != SB_OK && r.status != SB_STREAM_END;
    plugin().table().stream_close(s, errored ? nullptr : &out, &es);
    return r;
}

StreamResult stream_lines(const std::vector<std::string> &lines) {
    Config c = cfg();
    return plugin().stream(c, kChat, lines);
}

}  // namespace

// The binary rules (exports, runtime, ABI negotiation) are checked for every
// plugin at once in plugin_binaries_test.cpp.

BOOST_AUTO_TEST_CASE(descriptor) {
    const auto &d = plugin().descriptor();
    BOOST_TEST(d.struct_size >= sizeof(sb_provider_descriptor));
    BOOST_TEST(sv(d.id) == "cohere");
    BOOST_TEST(sv(d.display_name) == "Cohere");
    BOOST_TEST(sv(d.default_model) == "command");
    BOOST_TEST(sv(d.default_api_base) == "https://api.cohere.ai/v1");
    BOOST_TEST(sv(d.env_api_key) == "COHERE_API_KEY");
    BOOST_TEST(sv(d.env_model) == "COHERE_MODEL");
    BOOST_TEST(sv(d.env_api_base) == "COHERE_API_BASE");
    BOOST_TEST(d.capabilities == (SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION |
                                  SB_CAP_MODEL_LISTING | SB_CAP_REQUIRES_API_KEY));
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
    std::vector<std::string> known;
    for (size_t i = 0; i < d.known_model_count; ++i) known.push_back(sv(d.known_models[i]));
    for (const char *m : {"command-a-03-2025", "command-r-plus-08-2024", "command-r-08-2024",
                          "command-r7b-12-2024", "command-r-plus", "command-r", "command"})
        BOOST_TEST((std::find(known.begin(), known.end(), m) != known.end()), m);
}

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(v2_endpoint_from_any_base) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"https://api.cohere.ai/v1", "https://api.cohere.ai/v2/chat"},
        {"https://api.cohere.ai/v1/", "https://api.cohere.ai/v2/chat"},
        {"https://api.cohere.com", "https://api.cohere.com/v2/chat"},
        {"https://api.cohere.com/", "https://api.cohere.com/v2/chat"},
        {"https://api.cohere.com/v2", "https://api.cohere.com/v2/chat"},
        {"https://api.cohere.com/v2//", "https://api.cohere.com/v2/chat"},
        {"http://127.0.0.1:1234/compat/v1", "http://127.0.0.1:1234/compat/v2/chat"},
        {"http://127.0.0.1:1234/compat", "http://127.0.0.1:1234/compat/v2/chat"},
    };
    for (const auto &[base, url] : cases) {
        Config c = cfg(kKey, base);
        auto r = plugin().build_chat(c, kChat, false);
        BOOST_TEST(r.status == SB_OK, base);
        BOOST_TEST(r.request.url == url, base);
        BOOST_TEST(r.request.set_url_calls == 1);
        BOOST_TEST(r.request.set_method_calls == 1);
    }
}

BOOST_AUTO_TEST_CASE(plain_chat) {
    check_request("plain", R"({"model":"ignored","messages":[{"role":"user","content":"Hello"}],"temperature":0.2})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Hello"}],"temperature":0.2})");
}

BOOST_AUTO_TEST_CASE(streaming_request) {
    check_request(
        "stream",
        R"({"messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Hi"}],"stream":true})", true);
}

BOOST_AUTO_TEST_CASE(non_stream_drops_client_stream_flags) {
    check_request(
        "non_stream_flags",
        R"({"messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Hi"}]})");
}

BOOST_AUTO_TEST_CASE(system_and_developer_prompts) {
    check_request(
        "system",
        R"({"messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"Answer in French."}]},{"role":"user","content":"Hi"}]})",
        R"({"model":"command-a-03-2025","messages":[{"role":"system","content":"Be brief."},{"role":"system","content":[{"type":"text","text":"Answer in French."}]},{"role":"user","content":"Hi"}]})");
}

BOOST_AUTO_TEST_CASE(images_data_and_http_urls) {
    check_request(
        "images",
        R"({"messages":[{"role":"user","content":[{"type":"text","text":"Compare"},)"
        R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},)"
        R"({"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}],"max_tokens":300})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":[{"type":"text","text":"Compare"},)"
        R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},)"
        R"({"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}],"max_tokens":300})");
}

const std::string kTools =
    R"([{"type":"function","function":{"name":"weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}},)"
    R"({"type":"function","function":{"name":"now"}}])";
const std::string kCohereTools =
    R"([{"type":"function","function":{"name":"weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}},)"
    R"({"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}])";

BOOST_AUTO_TEST_CASE(tools_with_auto_choice) {
    check_request("tools_auto",
                  R"({"messages":[{"role":"user","content":"Weather?"}],"tools":)" + kTools +
                      R"(,"tool_choice":"auto","parallel_tool_calls":true})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Weather?"}],"tools":)" +
                      kCohereTools + "}");
}

BOOST_AUTO_TEST_CASE(tool_choice_required_and_none) {
    check_request("tools_required",
                  R"({"messages":[{"role":"user","content":"Weather?"}],"tools":)" + kTools +
                      R"(,"tool_choice":"required"})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Weather?"}],"tools":)" +
                      kCohereTools + R"(,"tool_choice":"REQUIRED"})");
    check_request("tools_none",
                  R"({"messages":[{"role":"user","content":"Weather?"}],"tools":)" + kTools +
                      R"(,"tool_choice":"none"})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Weather?"}],"tools":)" +
                      kCohereTools + R"(,"tool_choice":"NONE"})");
}

BOOST_AUTO_TEST_CASE(named_tool_choice_offers_only_that_tool) {
    check_request(
        "tools_named",
        R"({"messages":[{"role":"user","content":"Weather?"}],"tools":)" + kTools +
            R"(,"tool_choice":{"type":"function","function":{"name":"now"}}})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Weather?"}],)"
        R"("tools":[{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}],"tool_choice":"REQUIRED"})");
}

BOOST_AUTO_TEST_CASE(strict_function_sets_strict_tools) {
    check_request(
        "tools_strict",
        R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","strict":true,"parameters":{"type":"object","properties":{}}}}]})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}],)"
        R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],"strict_tools":true})");
}

BOOST_AUTO_TEST_CASE(tool_calls_and_tool_results_in_history) {
    check_request(
        "tool_history",
        R"({"messages":[{"role":"user","content":"Weather in SF?"},)"
        R"({"role":"assistant","content":"I will look it up.","tool_calls":[{"id":"weather_1","type":"function","function":{"name":"weather","arguments":"{\"location\":\"SF\"}"}},)"
        R"({"id":"weather_2","type":"function","function":{"name":"weather","arguments":""}}]},)"
        R"({"role":"tool","tool_call_id":"weather_1","content":"{\"temp\":18}"},)"
        R"({"role":"tool","tool_call_id":"weather_2","content":[{"type":"text","text":"sunny"}]},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"w3","type":"function","function":{"name":"weather","arguments":"{}"}}]},)"
        R"({"role":"tool","tool_call_id":"w3","content":"n/a"},)"
        R"({"role":"assistant","content":[{"type":"text","text":"It is 18C."}],"name":"bot"}],"tools":)" + kTools + "}",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"Weather in SF?"},)"
        R"({"role":"assistant","tool_plan":"I will look it up.","tool_calls":[{"id":"weather_1","type":"function","function":{"name":"weather","arguments":"{\"location\":\"SF\"}"}},)"
        R"({"id":"weather_2","type":"function","function":{"name":"weather","arguments":"{}"}}]},)"
        R"({"role":"tool","tool_call_id":"weather_1","content":"{\"temp\":18}"},)"
        R"({"role":"tool","tool_call_id":"weather_2","content":[{"type":"text","text":"sunny"}]},)"
        R"({"role":"assistant","tool_calls":[{"id":"w3","type":"function","function":{"name":"weather","arguments":"{}"}}]},)"
        R"({"role":"tool","tool_call_id":"w3","content":"n/a"},)"
        R"({"role":"assistant","content":[{"type":"text","text":"It is 18C."}]}],"tools":)" + kCohereTools + "}");
}

BOOST_AUTO_TEST_CASE(empty_assistant_turn_is_dropped) {
    check_request("empty_assistant",
                  R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":""},{"role":"user","content":"b"}]})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]})");
}

BOOST_AUTO_TEST_CASE(stop_sequences) {
    check_request("stop_string", R"({"messages":[{"role":"user","content":"x"}],"stop":"END"})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}],"stop_sequences":["END"]})");
    check_request("stop_array", R"({"messages":[{"role":"user","content":"x"}],"stop":["a","b"]})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}],"stop_sequences":["a","b"]})");
}

BOOST_AUTO_TEST_CASE(response_formats) {
    check_request("rf_json_object",
                  R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})");
    check_request(
        "rf_json_schema",
        R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}}})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object","json_schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}})");
    check_request("rf_text", R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}})",
                  R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}]})");
}

BOOST_AUTO_TEST_CASE(limits_and_sampling) {
    check_request(
        "sampling",
        R"({"messages":[{"role":"user","content":"x"}],"max_tokens":100,"max_completion_tokens":200,"temperature":0.7,"top_p":0.9,)"
        R"("frequency_penalty":0.5,"presence_penalty":0.25,"seed":42})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}],"max_tokens":200,"temperature":0.7,"p":0.9,)"
        R"("frequency_penalty":0.5,"presence_penalty":0.25,"seed":42})");
    // Out of Cohere's ranges: clamped rather than refused by Cohere.
    json::value b = build("sampling_clamped",
                          R"({"messages":[{"role":"user","content":"x"}],"max_tokens":50,"temperature":1.8,"top_p":1,)"
                          R"("frequency_penalty":-1,"presence_penalty":2})");
    BOOST_TEST(b.at("max_tokens").as_int64() == 50);
    BOOST_TEST(b.at("temperature").as_int64() == 1);
    BOOST_TEST(b.at("p").as_double() == 0.99);
    BOOST_TEST(b.at("frequency_penalty").as_int64() == 0);
    BOOST_TEST(b.at("presence_penalty").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(openai_only_fields_are_dropped) {
    check_request(
        "dropped_fields",
        R"({"messages":[{"role":"user","content":"x","name":"bob"}],"n":1,"user":"u-1","logprobs":true,"top_logprobs":3,)"
        R"("logit_bias":{"50256":-100},"metadata":{"a":"b"},"store":true,"service_tier":"auto","parallel_tool_calls":false,)"
        R"("reasoning_effort":"low","modalities":["text"],"stream_options":{"include_usage":true}})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}]})");
}

BOOST_AUTO_TEST_CASE(cohere_native_fields_pass_through) {
    check_request(
        "native_fields",
        R"({"messages":[{"role":"user","content":"x"}],"k":40,"safety_mode":"STRICT","documents":["Paris is in France."],)"
        R"("citation_options":{"mode":"FAST"},"thinking":{"type":"enabled","token_budget":512},"priority":1})",
        R"({"model":"command-a-03-2025","messages":[{"role":"user","content":"x"}],"k":40,"safety_mode":"STRICT","documents":["Paris is in France."],)"
        R"("citation_options":{"mode":"FAST"},"thinking":{"type":"enabled","token_budget":512},"priority":1})");
}

BOOST_AUTO_TEST_CASE(unsupported_input_is_invalid_request) {
    for (std::string bad : {
             std::string(R"({"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA","format":"wav"}}]}]})"),
             std::string(R"({"messages":[{"role":"function","name":"f","content":"x"}]})"),
             std::string(R"({"messages":[{"role":"tool","content":"x"}]})"),
             std::string(R"({"messages":[{"role":"user","content":"x"}],"n":2})"),
             std::string(R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":{"type":"function","function":{"name":"b"}}})"),
             std::string(R"({"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]})"),
             std::string(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"grammar"}})"),
         }) {
        auto r = build_raw(bad);
        BOOST_TEST(r.status == SB_ERR_INVALID_ARGUMENT, bad);
        BOOST_TEST(r.error.reports == 1);
        BOOST_TEST(r.error.kind == SB_ERROR_INVALID_REQUEST);
        BOOST_TEST(!r.error.message.empty());
    }
}

// The host resolves the model before it calls a plugin (ABI 1.2): the
// plugin names the model it is given, whatever the body asked for.
BOOST_AUTO_TEST_CASE(names_the_host_resolved_model) {
    auto r = build_raw(kChat, cfg(kKey, kBase, "command-r-08-2024"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(json::parse(r.request.body).at("model").as_string() == "command-r-08-2024");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(response)

BOOST_AUTO_TEST_CASE(text_response) {
    auto r = parse_status(200, fixture("cohere/cohere-text.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(!r.error.reported);
    json::value want = json::parse(
        R"({"id":"e7592632-1e3d-424f-b129-bd5f9f980f7b","object":"chat.completion","created":0,"model":"command-a-03-2025",)"
        R"("choices":[{"index":0,"message":{"role":"assistant","content":"The capital of France is Paris."},"finish_reason":"stop","logprobs":null}],)"
        R"("usage":{"prompt_tokens":507,"completion_tokens":10,"total_tokens":517,"prompt_tokens_details":{"cached_tokens":448}}})");
    json::value got = normalized(r.body);
    BOOST_TEST(got == want, json::serialize(got));
}

BOOST_AUTO_TEST_CASE(tool_call_response) {
    auto r = parse_status(200, fixture("cohere/cohere-tool-call.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    json::value want = json::parse(
        R"({"id":"f201af17-e24a-4396-8f6a-98e8bf9c3432","object":"chat.completion","created":0,"model":"command-a-03-2025",)"
        R"("choices":[{"index":0,"message":{"role":"assistant","content":"I will use the weather tool to find out the weather in San Francisco. I will also use the cityAttractions tool to find out what attractions are in San Francisco.","tool_calls":[)"
        R"({"id":"weather_dqgshstja6p9","type":"function","function":{"name":"weather","arguments":"{\"location\":\"San Francisco\"}"}},)"
        R"({"id":"cityAttractions_dcxfx4myvx68","type":"function","function":{"name":"cityAttractions","arguments":"{\"city\":\"San Francisco\"}"}}]},)"
        R"("finish_reason":"tool_calls","logprobs":null}],)"
        R"("usage":{"prompt_tokens":1549,"completion_tokens":103,"total_tokens":1652,"prompt_tokens_details":{"cached_tokens":992}}})");
    json::value got = normalized(r.body);
    BOOST_TEST(got == want, json::serialize(got));
}

BOOST_AUTO_TEST_CASE(max_tokens_response) {
    auto r = parse_status(200, fixture("cohere/max-tokens.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    auto o = json::parse(r.body).as_object();
    auto &choice = o.at("choices").as_array().at(0).as_object();
    BOOST_TEST(choice.at("finish_reason").as_string() == "length");
    BOOST_TEST(choice.at("message").at("content").as_string() == "Once upon a time");
    BOOST_TEST(o.at("usage").at("prompt_tokens").as_int64() == 71);
    BOOST_TEST(!o.at("usage").as_object().contains("prompt_tokens_details"));
}

BOOST_AUTO_TEST_CASE(finish_reasons_are_mapped) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"COMPLETE", "stop"},     {"STOP_SEQUENCE", "stop"}, {"MAX_TOKENS", "length"},
        {"TOOL_CALL", "tool_calls"}, {"ERROR_TOXIC", "content_filter"}, {"ERROR_LIMIT", "length"},
    };
    for (const auto &[cohere, openai] : cases) {
        auto r = parse_status(200, R"({"id":"x","finish_reason":")" + cohere +
                                       R"(","message":{"role":"assistant","content":[{"type":"text","text":"t"}]}})");
        BOOST_REQUIRE(r.status == SB_OK);
        BOOST_TEST(json::parse(r.body).at("choices").at(0).at("finish_reason").as_string() == openai, cohere);
    }
}

// ERROR and TIMEOUT end a failed generation: an error, never "stop" or
// "length", in answers and in streams.
BOOST_AUTO_TEST_CASE(failed_generations_are_errors) {
    for (std::string reason : {"ERROR", "TIMEOUT", "USER_CANCEL"}) {
        auto r = parse_status(200, R"({"id":"x","finish_reason":")" + reason +
                                       R"(","message":{"role":"assistant","content":[{"type":"text","text":"t"}]}})");
        BOOST_TEST_CONTEXT(reason) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
            BOOST_TEST(contains(r.error.message, reason), r.error.message);
            BOOST_TEST(r.body.empty());
            auto s = stream_lines({R"({"id":"s","type":"message-start","delta":{"message":{"role":"assistant"}}})",
                                   R"({"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"part"}}}})",
                                   R"({"type":"message-end","delta":{"finish_reason":")" + reason + R"("}})"});
            BOOST_TEST(s.status == SB_ERR_UPSTREAM);
            BOOST_TEST(contains(s.error.message, reason), s.error.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(usage_falls_back_to_billed_units_and_thinking_is_kept) {
    auto r = parse_status(
        200,
        R"({"id":"x","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"thinking","thinking":"Hmm."},)"
        R"({"type":"text","text":"A"},{"type":"text","text":"B"}]},"usage":{"billed_units":{"input_tokens":3,"output_tokens":4}}})");
    BOOST_REQUIRE(r.status == SB_OK);
    auto o = json::parse(r.body).as_object();
    auto &msg = o.at("choices").at(0).at("message").as_object();
    BOOST_TEST(msg.at("content").as_string() == "AB");
    BOOST_TEST(msg.at("reasoning_content").as_string() == "Hmm.");
    BOOST_TEST(json::serialize(o.at("usage")) == R"({"prompt_tokens":3,"completion_tokens":4,"total_tokens":7})");
}

struct ErrorCase {
    int status;
    std::string file;
    sb_error_kind kind;
    std::string message_part;
};

BOOST_AUTO_TEST_CASE(vendor_errors_are_classified) {
    const std::vector<ErrorCase> cases = {
        {401, "cohere/error-401-invalid-token.json", SB_ERROR_INVALID_API_KEY, "invalid api token"},
        {498, "cohere/error-498-invalid-token.json", SB_ERROR_INVALID_API_KEY, "invalid api token"},
        {498, "cohere/error-498-denylisted.json", SB_ERROR_CONTENT_FILTER, "deny-listed"},
        {499, "cohere/error-499-cancelled.json", SB_ERROR_UPSTREAM, "request cancelled"},
        {429, "cohere/error-429-trial-key.json", SB_ERROR_RATE_LIMITED, "Trial key"},
        {404, "cohere/error-404-model-not-found.json", SB_ERROR_MODEL_NOT_FOUND, "model 'command-x-ultra' not found"},
        {400, "cohere/error-404-model-not-found.json", SB_ERROR_MODEL_NOT_FOUND, "model 'command-x-ultra' not found"},
        {404, "cohere/error-404-not-found.json", SB_ERROR_API_BASE_INCORRECT, "api_base"},
        {404, "cohere/error-404-html.html", SB_ERROR_API_BASE_INCORRECT, "api_base"},
        {400, "cohere/error-400-too-many-tokens.json", SB_ERROR_CONTEXT_LENGTH, "too many tokens"},
        {400, "cohere/error-400-invalid-request.json", SB_ERROR_INVALID_REQUEST, "message must be at least 1 token"},
        {422, "cohere/error-422-unprocessable.json", SB_ERROR_INVALID_REQUEST, "parameter temperature"},
        {500, "cohere/error-500-internal.json", SB_ERROR_UPSTREAM, "internal server error"},
        {503, "cohere/error-500-internal.json", SB_ERROR_UPSTREAM, "internal server error"},
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

BOOST_AUTO_TEST_CASE(errors_without_body_get_a_message) {
    for (int status : {401, 498, 499, 429, 500}) {
        auto r = parse_status(status, "");
        BOOST_TEST(r.status == SB_ERR_UPSTREAM);
        BOOST_TEST(!r.error.message.empty(), status);
        BOOST_TEST(contains(r.error.message, "Cohere"), r.error.message);
    }
}

BOOST_AUTO_TEST_CASE(error_messages_never_carry_the_key) {
    auto r = parse_status(401, R"({"message":"invalid api token )" + kKey + R"("})");
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    BOOST_TEST(!contains(r.error.message, kKey), r.error.message);
    r = parse_status(498, R"({"message":"bad token )" + kKey + R"("})");
    BOOST_TEST(!contains(r.error.message, kKey), r.error.message);
}

BOOST_AUTO_TEST_CASE(success_status_with_garbage_is_api_base_incorrect) {
    for (std::string body : {std::string("<!doctype html><html><body>Welcome to nginx!</body></html>"),
                             std::string(""), std::string(R"({"status":"ok"})"), std::string("[1,2,3]"),
                             fixture("cohere/models.json")}) {
        auto r = parse_status(200, body);
        BOOST_TEST_CONTEXT(body.substr(0, 40)) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
            BOOST_TEST(contains(r.error.message, "not with a Cohere API v2 response"), r.error.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(error_body_with_success_status_is_upstream) {
    auto r = parse_status(200, R"({"id":"x","message":"too many tokens: size limit exceeded"})");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_CONTEXT_LENGTH);
    BOOST_TEST(r.error.http_status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming)

const std::string kTextId = "321d178c-2c12-44d3-ae42-2f5510f6b1cc";

std::vector<std::string> expected_text_stream() {
    std::vector<std::string> want = {ck(kTextId, R"({"role":"assistant","content":""})")};
    for (const char *t : {"The", " capital", " of", " France", " is", " Paris", "."})
        want.push_back(ck(kTextId, R"({"content":")" + std::string(t) + R"("})"));
    want.push_back(ck(kTextId, "{}", R"("stop")"));
    want.push_back(usage_ck(
        kTextId, R"({"prompt_tokens":507,"completion_tokens":10,"total_tokens":517,"prompt_tokens_details":{"cached_tokens":448}})"));
    return want;
}

BOOST_AUTO_TEST_CASE(recorded_text_stream) {
    auto r = stream_lines(fixture_lines("cohere/cohere-text.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_TEST(!r.error.reported);
    check_chunks(r.chunks, expected_text_stream());
}

BOOST_AUTO_TEST_CASE(event_names_or_data_type_drive_the_stream) {
    // Real SSE framing: event names present, and (as some proxies send it)
    // payloads whose "type" is missing so only the event name says what it is.
    std::vector<std::pair<std::string, std::string>> events;
    for (const auto &line : fixture_lines("cohere/cohere-text.chunks.txt")) {
        json::object o = json::parse(line).as_object();
        std::string type(o.at("type").as_string());
        if (type == "content-delta") o.erase("type");
        events.emplace_back(type, json::serialize(o));
    }
    auto r = stream_named(events);
    BOOST_TEST(r.status == SB_STREAM_END);
    check_chunks(r.chunks, expected_text_stream());
}

BOOST_AUTO_TEST_CASE(recorded_tool_call_stream) {
    const std::string id = "2941521a-b87a-45f6-9b0d-235fd66c3025";
    auto r = stream_lines(fixture_lines("cohere/cohere-tool-call.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_TEST(!r.error.reported);
    std::vector<std::string> want = {ck(id, R"({"role":"assistant","content":""})")};
    // The tool plan streams as content, before the calls.
    for (const auto &line : fixture_lines("cohere/cohere-tool-call.chunks.txt")) {
        auto o = json::parse(line).as_object();
        if (o.at("type").as_string() == "tool-plan-delta")
            want.push_back(ck(id, R"({"content":)" +
                                      json::serialize(o.at("delta").at("message").at("tool_plan")) + "}"));
    }
    auto call = [&](int index, const std::string &call_id, const std::string &name,
                    const std::vector<std::string> &frags) {
        want.push_back(ck(id, R"({"tool_calls":[{"index":)" + std::to_string(index) + R"(,"id":")" + call_id +
                                  R"(","type":"function","function":{"name":")" + name + R"(","arguments":""}}]})"));
        for (const auto &f : frags)
            want.push_back(ck(id, R"({"tool_calls":[{"index":)" + std::to_string(index) +
                                      R"(,"function":{"arguments":)" + json::serialize(json::string(f)) + "}}]}"));
    };
    call(0, "weather_e8p4pn45zt0t", "weather", {"{\"", "location", "\":", " \"", "San", " Francisco", "\"}"});
    call(1, "cityAttractions_pyxssbwnq9fq", "cityAttractions", {"{\"", "city", "\":", " \"", "San", " Francisco", "\"}"});
    want.push_back(ck(id, "{}", R"("tool_calls")"));
    want.push_back(usage_ck(
        id, R"({"prompt_tokens":1549,"completion_tokens":95,"total_tokens":1644,"prompt_tokens_details":{"cached_tokens":1504}})"));
    check_chunks(r.chunks, want);

    // Reassembled the way an OpenAI client does it.
    std::vector<std::string> args(2);
    for (const auto &c : r.chunks) {
        auto o = json::parse(c).as_object();
        auto &choices = o.at("choices").as_array();
        if (choices.empty()) continue;
        auto &delta = choices.at(0).at("delta").as_object();
        if (!delta.contains("tool_calls")) continue;
        for (auto &tc : delta.at("tool_calls").as_array())
            args.at(tc.at("index").as_int64()) += std::string(tc.at("function").at("arguments").as_string());
    }
    BOOST_TEST(args[0] == R"({"location": "San Francisco"})");
    BOOST_TEST(args[1] == R"({"city": "San Francisco"})");
}

BOOST_AUTO_TEST_CASE(max_tokens_stream) {
    const std::string id = "7e9a1c3d-5f7b-4d9e-b1c3-e5a7b9d1f3a5";
    auto r = stream_lines(fixture_lines("cohere/max-tokens.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    check_chunks(r.chunks, {ck(id, R"({"role":"assistant","content":""})"), ck(id, R"({"content":"Once upon"})"),
                            ck(id, R"({"content":" a time"})"), ck(id, "{}", R"("length")"),
                            usage_ck(id, R"({"prompt_tokens":71,"completion_tokens":4,"total_tokens":75})")});
}

BOOST_AUTO_TEST_CASE(thinking_deltas_become_reasoning_content) {
    auto r = stream_lines({R"({"id":"t1","type":"message-start","delta":{"message":{"role":"assistant"}}})",
                           R"({"type":"content-start","index":0,"delta":{"message":{"content":{"type":"thinking","thinking":""}}}})",
                           R"({"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"Let me think."}}}})",
                           R"({"type":"content-delta","index":1,"delta":{"message":{"content":{"text":"42"}}}})",
                           R"({"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":{"input_tokens":1,"output_tokens":2}}}})"});
    BOOST_TEST(r.status == SB_STREAM_END);
    check_chunks(r.chunks, {ck("t1", R"({"role":"assistant","content":""})"),
                            ck("t1", R"({"reasoning_content":"Let me think."})"), ck("t1", R"({"content":"42"})"),
                            ck("t1", "{}", R"("stop")"),
                            usage_ck("t1", R"({"prompt_tokens":1,"completion_tokens":2,"total_tokens":3})")});
}

BOOST_AUTO_TEST_CASE(mid_stream_error_is_upstream) {
    auto r = stream_lines(fixture_lines("cohere/stream-error.chunks.txt"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.reports == 1);
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(contains(r.error.message, "internal server error"), r.error.message);
    // The chunks before the error; nothing more once the stream is abandoned.
    BOOST_REQUIRE(r.chunks.size() == 2u);
    BOOST_TEST(json::parse(r.chunks[1]).at("choices").at(0).at("delta").at("content").as_string() == "Once");
}

BOOST_AUTO_TEST_CASE(error_events_are_classified) {
    auto r = stream_named({{"error", R"({"message":"too many tokens: size limit exceeded by 10 tokens"})"}});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_CONTEXT_LENGTH);
    r = stream_lines({R"({"message":"You are using a Trial key, which is limited: rate limit exceeded"})"});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_RATE_LIMITED);
    r = stream_lines({R"({"message":"invalid api token )" + kKey + R"("})"});
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    BOOST_TEST(!contains(r.error.message, kKey));
}

BOOST_AUTO_TEST_CASE(truncated_stream_still_gets_usage) {
    auto lines = fixture_lines("cohere/cohere-text.chunks.txt");
    std::vector<std::string> events(lines.begin(), lines.begin() + 3);
    auto r = stream_lines(events);
    BOOST_TEST(r.status == SB_OK);  // events ran out without message-end
    check_chunks(r.chunks, {ck(kTextId, R"({"role":"assistant","content":""})"), ck(kTextId, R"({"content":"The"})"),
                            usage_ck(kTextId, R"({"prompt_tokens":0,"completion_tokens":0,"total_tokens":0})")});
}

BOOST_AUTO_TEST_CASE(done_sentinel_and_blank_events) {
    auto lines = fixture_lines("cohere/cohere-text.chunks.txt");
    size_t consumed = 0;
    Config c = cfg();
    auto r = plugin().stream(c, kChat, {lines[0], "", "  ", lines[2], "[DONE]", lines[3]}, &consumed);
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_TEST(consumed == 5u);
    BOOST_TEST(r.chunks.size() == 3u);  // role, "The", usage from stream_close
}

BOOST_AUTO_TEST_CASE(garbage_event_is_api_base_incorrect) {
    auto r = stream_lines({"<html>"});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
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
    for (std::string base : {"https://api.cohere.ai/v1", "https://api.cohere.ai/v2/", "https://api.cohere.ai"}) {
        Config c = cfg(kKey, base);
        auto r = plugin().build_models(c);
        BOOST_REQUIRE(r.status == SB_OK);
        BOOST_TEST(r.request.method == "GET");
        BOOST_TEST(r.request.url == "https://api.cohere.ai/v1/models?endpoint=chat&page_size=1000", base);
        BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
        BOOST_TEST(r.request.body.empty());
        check_no_key_outside_auth(r.request);
    }
}

BOOST_AUTO_TEST_CASE(models_response) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 200, fixture("cohere/models.json"));
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.ids == (std::vector<std::string>{"command-a-03-2025", "command-r-plus-08-2024", "command-r7b-12-2024"}));
}

BOOST_AUTO_TEST_CASE(models_errors) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 401, fixture("cohere/error-401-invalid-token.json"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    r = plugin().parse_models(c, 498, fixture("cohere/error-498-invalid-token.json"));
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    r = plugin().parse_models(c, 200, "<html>hello</html>");
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = plugin().parse_models(c, 200, R"({"data":[{"id":"gpt-4o"}]})");
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = plugin().parse_models(c, 404, fixture("cohere/error-404-html.html"));
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    BOOST_TEST(r.ids.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// Citations reach the client as message annotations of type "citation"
// (Cohere's fields, its offsets as start_index/end_index), in answers (see
// cohere_replay_test) and in streams.
BOOST_AUTO_TEST_CASE(streamed_citations_are_annotations) {
    auto r = stream_lines(
        {R"({"id":"c1","type":"message-start","delta":{"message":{"role":"assistant"}}})",
         R"({"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"It is sunny."}}}})",
         R"({"type":"citation-start","index":0,"delta":{"message":{"citations":{"start":6,"end":11,"text":"sunny",)"
         R"("sources":[{"type":"tool","id":"w:0","tool_output":{"content":"Sunny"}}],"type":"TEXT_CONTENT"}}}})",
         R"({"type":"citation-end","index":0})",
         R"({"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"tokens":{"input_tokens":5,"output_tokens":4}}}})"});
    BOOST_TEST_REQUIRE(r.status == SB_STREAM_END, r.error.message);
    json::array annotations;
    for (const auto &chunk : r.chunks) {
        json::value v = json::parse(chunk);
        for (auto &ch : v.at("choices").as_array())
            if (auto *a = ch.at("delta").as_object().if_contains("annotations"))
                for (auto &x : a->as_array()) annotations.push_back(x);
    }
    BOOST_TEST_REQUIRE(annotations.size() == 1u);
    auto &c = annotations[0].as_object();
    BOOST_TEST(c.at("type").as_string() == "citation");
    BOOST_TEST(c.at("citation").at("start_index").as_int64() == 6);
    BOOST_TEST(c.at("citation").at("end_index").as_int64() == 11);
    BOOST_TEST(c.at("citation").at("text").as_string() == "sunny");
    BOOST_TEST(c.at("citation").at("sources").at(0).at("id").as_string() == "w:0");
}
