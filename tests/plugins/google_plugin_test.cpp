// The google (Gemini) plugin, driven through the C ABI exactly as the host
// drives it.
#define BOOST_TEST_MODULE google_plugin
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>

#include "plugin_harness.hpp"
#include "spec_request_dump.hpp"

namespace json = boost::json;
using namespace sbtest;

namespace {

const std::string kKey = "AIzaSyTEST-0123456789SECRETsecretKEY";
const std::string kBase = "https://generativelanguage.googleapis.com/v1beta";
const std::string kChatPath = "/v1beta/models/{model}:generateContent";
const std::string kStreamPath = "/v1beta/models/{model}:streamGenerateContent";

Plugin &plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

Config cfg(std::string key = kKey, std::string base = kBase, std::string model = "gemini-1.5-pro") {
    return Config(std::move(key), std::move(base), std::move(model));
}

bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

void check_key_only_in_header(const Request &r) {
    BOOST_TEST(!contains(r.url, kKey));
    BOOST_TEST(!contains(r.url, "key="));
    BOOST_TEST(!contains(r.body, kKey));
    BOOST_TEST(!r.has_header("Authorization"));
    for (const auto &h : r.headers)
        if (h.first != "x-goog-api-key") BOOST_TEST(!contains(h.second, kKey), h.first);
    BOOST_TEST(r.header("x-goog-api-key") == kKey);
}

void expect_json(const std::string &actual, const std::string &expected) {
    json::value a = json::parse(actual), e = json::parse(expected);
    BOOST_TEST((a == e), "\n  actual:   " << json::serialize(a) << "\n  expected: " << json::serialize(e));
}

// Builds a non-streaming request, checks endpoint and auth, records it for
// the spec check and compares the body with the expected Gemini JSON.
Request build_ok(const std::string &name, const std::string &unified, const std::string &expected,
                 bool stream = false) {
    Config c = cfg();
    auto r = plugin().build_chat(c, unified, stream);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, name << ": " << r.error.message);
    BOOST_TEST(!r.error.reported);
    BOOST_TEST(r.request.method == "POST");
    BOOST_TEST(r.request.url ==
               kBase + (stream ? "/models/gemini-1.5-pro:streamGenerateContent?alt=sse"
                               : "/models/gemini-1.5-pro:generateContent"));
    check_key_only_in_header(r.request);
    dump_spec_request("google", name, stream ? kStreamPath : kChatPath, "post", r.request.body);
    BOOST_TEST_CONTEXT(name) { expect_json(r.request.body, expected); }
    return r.request;
}

// The thoughtSignature of the last text part in a Gemini body or chunk.
std::string text_signature(const std::string &gemini) {
    std::string sig;
    const json::value v = json::parse(gemini);
    for (const auto &p : v.at("candidates").at(0).at("content").at("parts").as_array())
        if (p.as_object().contains("text") && p.as_object().contains("thoughtSignature"))
            sig = std::string(p.at("thoughtSignature").as_string());
    return sig;
}

// A unified response or chunk without its wall-clock "created".
json::value without_created(const std::string &s) {
    json::value v = json::parse(s);
    json::object &o = v.as_object();
    BOOST_TEST(o.contains("created"));
    BOOST_TEST((o.contains("created") && o.at("created").is_int64()));
    o.erase("created");
    return v;
}

void expect_chunks(const std::vector<std::string> &actual, const std::vector<std::string> &expected) {
    BOOST_TEST_REQUIRE(actual.size() == expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        json::value a = without_created(actual[i]), e = json::parse(expected[i]);
        BOOST_TEST((a == e), "chunk " << i << "\n  actual:   " << json::serialize(a)
                                      << "\n  expected: " << json::serialize(e));
    }
}

ParseResult parse_status(int status, const std::string &body) {
    Config c = cfg();
    return plugin().parse_chat(c, status, body);
}

}  // namespace

// The binary rules (exports, runtime, ABI negotiation) are checked for every
// plugin at once in plugin_binaries_test.cpp.

BOOST_AUTO_TEST_CASE(descriptor) {
    const auto &d = plugin().descriptor();
    BOOST_TEST(d.struct_size >= sizeof(sb_provider_descriptor));
    BOOST_TEST(sv(d.id) == "google");
    BOOST_TEST(sv(d.display_name) == "Google Gemini");
    BOOST_TEST(sv(d.default_model) == "gemini-pro");
    BOOST_TEST(sv(d.default_api_base) == "https://generativelanguage.googleapis.com/v1beta");
    BOOST_TEST(sv(d.env_api_key) == "GOOGLE_API_KEY");
    BOOST_TEST(sv(d.env_model) == "GOOGLE_MODEL");
    BOOST_TEST(sv(d.env_api_base) == "GOOGLE_API_BASE");
    BOOST_TEST(d.capabilities == (SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION |
                                  SB_CAP_MODEL_LISTING | SB_CAP_REQUIRES_API_KEY));
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
    std::vector<std::string> known;
    for (size_t i = 0; i < d.known_model_count; ++i) known.push_back(sv(d.known_models[i]));
    for (const char *m : {"gemini-pro", "gemini-1.5-pro", "gemini-1.5-flash", "gemini-2.0-flash",
                          "gemini-2.5-pro", "gemini-2.5-flash"})
        BOOST_TEST((std::find(known.begin(), known.end(), m) != known.end()), m);
}

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(system_user_and_generation_config) {
    build_ok("system_user_generation",
             R"({"model":"ignored","messages":[{"role":"system","content":"Be brief."},
                 {"role":"developer","content":[{"type":"text","text":"Answer in French."}]},
                 {"role":"user","content":"Hello"}],
                 "temperature":0.2,"top_p":0.9,"max_tokens":100,"stop":"END","stream":true,
                 "stream_options":{"include_usage":true},"user":"u1","logit_bias":{"1":2},
                 "parallel_tool_calls":true,"presence_penalty":0.5,"frequency_penalty":0.25,"seed":7})",
             R"({"systemInstruction":{"parts":[{"text":"Be brief."},{"text":"Answer in French."}]},
                 "contents":[{"role":"user","parts":[{"text":"Hello"}]}],
                 "generationConfig":{"maxOutputTokens":100,"temperature":0.2,"topP":0.9,
                   "stopSequences":["END"],"presencePenalty":0.5,"frequencyPenalty":0.25,"seed":7}})");
}

BOOST_AUTO_TEST_CASE(multi_turn_roles_and_limits) {
    build_ok("multi_turn",
             R"({"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},
                 {"role":"user","content":[{"type":"text","text":"Tell"},{"type":"text","text":"a joke"}]}],
                 "max_tokens":50,"max_completion_tokens":200,"stop":["\n\n","END",""],"n":2})",
             R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]},
                 {"role":"model","parts":[{"text":"Hello!"}]},
                 {"role":"user","parts":[{"text":"Tell"},{"text":"a joke"}]}],
                 "generationConfig":{"maxOutputTokens":200,"stopSequences":["\n\n","END"],"candidateCount":2}})");
}

BOOST_AUTO_TEST_CASE(images_as_inline_data_and_file_uris) {
    build_ok("images",
             R"({"messages":[{"role":"user","content":[
                 {"type":"text","text":"What is in these?"},
                 {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
                 {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}},
                 {"type":"image_url","image_url":{"url":"https://example.com/photo"}},
                 {"type":"image_url","image_url":{"url":"https://cdn.example.com/a/dog.WEBP?size=large#x"}},
                 {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
                 {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"}}]}]})",
             R"({"contents":[{"role":"user","parts":[
                 {"text":"What is in these?"},
                 {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},
                 {"fileData":{"mimeType":"image/png","fileUri":"https://example.com/cat.png"}},
                 {"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/photo"}},
                 {"fileData":{"mimeType":"image/webp","fileUri":"https://cdn.example.com/a/dog.WEBP?size=large#x"}},
                 {"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}},
                 {"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}}]}]})");
}

BOOST_AUTO_TEST_CASE(tools_with_schema_cleanup_and_tool_choice) {
    const std::string tools =
        R"("tools":[{"type":"function","function":{"name":"weather","description":"Get weather","strict":true,
             "parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
               "additionalProperties":false,
               "properties":{"location":{"type":"string","description":"City"},
                 "unit":{"type":["string","null"],"enum":["c","f"]},
                 "days":{"type":"integer","minimum":1,"exclusiveMaximum":15},
                 "tags":{"type":"array","items":{"type":"string","format":"uri"}},
                 "opts":{"type":"object","additionalProperties":false,
                   "properties":{"detail":{"type":"boolean"}},"required":["detail"]}},
               "required":["location","missing"]}}},
           {"type":"function","function":{"name":"time","parameters":{"type":"object","properties":{}}}}])";
    const std::string decls =
        R"("tools":[{"functionDeclarations":[
             {"name":"weather","description":"Get weather","parameters":{"type":"OBJECT",
               "properties":{"location":{"type":"STRING","description":"City"},
                 "unit":{"type":"STRING","enum":["c","f"],"nullable":true},
                 "days":{"type":"INTEGER","minimum":1},
                 "tags":{"type":"ARRAY","items":{"type":"STRING"}},
                 "opts":{"type":"OBJECT","properties":{"detail":{"type":"BOOLEAN"}},"required":["detail"]}},
               "required":["location"]}},
             {"name":"time","description":""}]}])";
    const std::string msgs = R"("messages":[{"role":"user","content":"Weather?"}])";
    const std::string contents = R"("contents":[{"role":"user","parts":[{"text":"Weather?"}]}])";
    struct Case {
        std::string name, choice, config;
    };
    for (const Case &c : std::vector<Case>{
             {"tools_no_choice", "", ""},
             {"tools_auto", R"("auto")", R"({"functionCallingConfig":{"mode":"AUTO"}})"},
             {"tools_none", R"("none")", R"({"functionCallingConfig":{"mode":"NONE"}})"},
             {"tools_required", R"("required")", R"({"functionCallingConfig":{"mode":"ANY"}})"},
             {"tools_named", R"({"type":"function","function":{"name":"weather"}})",
              R"({"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["weather"]}})"},
         }) {
        std::string in = "{" + msgs + "," + tools + (c.choice.empty() ? "" : ",\"tool_choice\":" + c.choice) + "}";
        std::string out = "{" + contents + "," + decls + (c.config.empty() ? "" : ",\"toolConfig\":" + c.config) + "}";
        build_ok(c.name, in, out);
    }
    // tool_choice without tools says nothing to Gemini.
    build_ok("tool_choice_without_tools", "{" + msgs + R"(,"tool_choice":"required"})", "{" + contents + "}");
}

BOOST_AUTO_TEST_CASE(schema_refs_and_optional_types) {
    build_ok("schema_refs",
             R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{
                 "name":"set_unit","description":"d","parameters":{"type":"object",
                 "$defs":{"Unit":{"type":"string","enum":["c","f"]}},
                 "properties":{"unit":{"$ref":"#/$defs/Unit","description":"The unit"},
                   "note":{"anyOf":[{"type":"string"},{"type":"null"}],"title":"Note"},
                   "level":{"const":"max"},
                   "count":{"type":"integer","enum":[1,2,3]},
                   "anything":{}},"required":["unit","anything"]}}}]})",
             R"({"contents":[{"role":"user","parts":[{"text":"x"}]}],
                 "tools":[{"functionDeclarations":[{"name":"set_unit","description":"d",
                   "parameters":{"type":"OBJECT","properties":{
                     "unit":{"type":"STRING","enum":["c","f"],"description":"The unit"},
                     "note":{"type":"STRING","title":"Note","nullable":true},
                     "level":{"type":"STRING","enum":["max"]},
                     "count":{"type":"INTEGER"}},"required":["unit"]}}]}]})");
}

BOOST_AUTO_TEST_CASE(tool_calls_and_tool_results) {
    build_ok("tool_round_trip",
             R"({"messages":[
                 {"role":"user","content":"Weather in Paris, and the time?"},
                 {"role":"assistant","content":"Checking.","tool_calls":[
                   {"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Paris\"}"},
                    "extra_content":{"google":{"thought_signature":"c2lnbmF0dXJl"}}},
                   {"id":"call_1","type":"function","function":{"name":"time","arguments":""}}]},
                 {"role":"tool","tool_call_id":"call_0","content":"{\"temp\":21}"},
                 {"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"12:00"}]},
                 {"role":"user","content":"Thanks! And Tokyo?"},
                 {"role":"assistant","content":null,"tool_calls":[
                   {"id":"call_0","type":"function","function":{"name":"time_in","arguments":"{\"city\":\"Tokyo\"}"}}]},
                 {"role":"tool","tool_call_id":"call_0","content":"19:00"}],
                 "tools":[{"type":"function","function":{"name":"weather","description":"w",
                   "parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]})",
             R"({"contents":[
                 {"role":"user","parts":[{"text":"Weather in Paris, and the time?"}]},
                 {"role":"model","parts":[{"text":"Checking."},
                   {"functionCall":{"name":"weather","args":{"location":"Paris"}},"thoughtSignature":"c2lnbmF0dXJl"},
                   {"functionCall":{"name":"time","args":{}}}]},
                 {"role":"user","parts":[
                   {"functionResponse":{"name":"weather","response":{"temp":21}}},
                   {"functionResponse":{"name":"time","response":{"output":"12:00"}}},
                   {"text":"Thanks! And Tokyo?"}]},
                 {"role":"model","parts":[{"functionCall":{"name":"time_in","args":{"city":"Tokyo"}}}]},
                 {"role":"user","parts":[{"functionResponse":{"name":"time_in","response":{"output":"19:00"}}}]}],
                 "tools":[{"functionDeclarations":[{"name":"weather","description":"w",
                   "parameters":{"type":"OBJECT","properties":{"location":{"type":"STRING"}}}}]}]})");
}

BOOST_AUTO_TEST_CASE(gemini_3_gets_a_placeholder_signature) {
    // A client that dropped extra_content: Gemini 3 would refuse the replayed
    // call, so the first call of the turn carries Google's documented
    // placeholder, spelled as Google's thought-signature page writes it; a
    // call that kept its signature is left alone.
    const std::string body = R"({"messages":[{"role":"user","content":"Paris and Rome?"},
        {"role":"assistant","tool_calls":[
          {"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Paris\"}"}},
          {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Rome\"}"}}]},
        {"role":"tool","tool_call_id":"call_0","content":"sunny"},
        {"role":"tool","tool_call_id":"call_1","content":"rain"},
        {"role":"assistant","tool_calls":[
          {"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Oslo\"}"},
           "extra_content":{"google":{"thought_signature":"c2ln"}}}]},
        {"role":"tool","tool_call_id":"call_0","content":"snow"}]})";
    Config c = cfg(kKey, kBase, "models/gemini-3-pro-preview");
    auto r = plugin().build_chat(c, body, false);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.request.url == kBase + "/models/gemini-3-pro-preview:generateContent");
    dump_spec_request("google", "gemini3_placeholder_signature", kChatPath, "post", r.request.body);
    expect_json(r.request.body, R"({"contents":[
        {"role":"user","parts":[{"text":"Paris and Rome?"}]},
        {"role":"model","parts":[
          {"functionCall":{"name":"weather","args":{"location":"Paris"}},"thoughtSignature":"skip_thought_signature_validator"},
          {"functionCall":{"name":"weather","args":{"location":"Rome"}}}]},
        {"role":"user","parts":[{"functionResponse":{"name":"weather","response":{"output":"sunny"}}},
          {"functionResponse":{"name":"weather","response":{"output":"rain"}}}]},
        {"role":"model","parts":[{"functionCall":{"name":"weather","args":{"location":"Oslo"}},"thoughtSignature":"c2ln"}]},
        {"role":"user","parts":[{"functionResponse":{"name":"weather","response":{"output":"snow"}}}]}]})");
}

BOOST_AUTO_TEST_CASE(legacy_function_messages) {
    build_ok("legacy_functions",
             R"({"messages":[{"role":"user","content":"x"},
                 {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{\"a\":1}"}},
                 {"role":"function","name":"f","content":"done"}],
                 "functions":[{"name":"f","description":"F","parameters":{"type":"object","properties":{"a":{"type":"number"}}}}]})",
             R"({"contents":[{"role":"user","parts":[{"text":"x"}]},
                 {"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}}}]},
                 {"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"done"}}}]}],
                 "tools":[{"functionDeclarations":[{"name":"f","description":"F",
                   "parameters":{"type":"OBJECT","properties":{"a":{"type":"NUMBER"}}}}]}]})");
}

BOOST_AUTO_TEST_CASE(response_format) {
    build_ok("response_format_json_object",
             R"({"messages":[{"role":"user","content":"JSON please"}],"response_format":{"type":"json_object"}})",
             R"({"contents":[{"role":"user","parts":[{"text":"JSON please"}]}],
                 "generationConfig":{"responseMimeType":"application/json"}})");
    build_ok("response_format_json_schema",
             R"({"messages":[{"role":"user","content":"A person"}],"response_format":{"type":"json_schema",
                 "json_schema":{"name":"person","strict":true,"schema":{"type":"object","additionalProperties":false,
                 "properties":{"name":{"type":"string"},"age":{"type":"integer"},
                   "emails":{"type":"array","items":{"type":"string","format":"email"}}},
                 "required":["name","age"]}}}})",
             R"({"contents":[{"role":"user","parts":[{"text":"A person"}]}],
                 "generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT",
                   "properties":{"name":{"type":"STRING"},"age":{"type":"INTEGER"},
                     "emails":{"type":"ARRAY","items":{"type":"STRING"}}},"required":["name","age"]}}})");
    build_ok("response_format_text",
             R"({"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"text"}})",
             R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})");
}

BOOST_AUTO_TEST_CASE(streaming_request) {
    auto r = build_ok("stream_plain", R"({"messages":[{"role":"user","content":"Hello"}],"stream":true})",
                      R"({"contents":[{"role":"user","parts":[{"text":"Hello"}]}]})", true);
    BOOST_TEST(r.header("Accept") == "text/event-stream");
    BOOST_TEST(r.header("Content-Type") == "application/json");
}

BOOST_AUTO_TEST_CASE(model_name_forms) {
    struct Case {
        std::string config_model, body_model, url;
    };
    for (const Case &c : std::vector<Case>{
             {"models/gemini-2.0-flash", "", kBase + "/models/gemini-2.0-flash:generateContent"},
             {"gemini-2.0-flash", "x", kBase + "/models/gemini-2.0-flash:generateContent"},
             {"models/gemini-2.5-pro", "gemini-2.0-flash", kBase + "/models/gemini-2.5-pro:generateContent"},
             {"tunedModels/my-model-1", "", kBase + "/tunedModels/my-model-1:generateContent"},
             {"odd?model#x", "", kBase + "/models/odd%3Fmodel%23x:generateContent"},
         }) {
        Config cf = cfg(kKey, kBase + "/", c.config_model);
        std::string body = R"({"messages":[{"role":"user","content":"x"}])" +
                           (c.body_model.empty() ? std::string() : ",\"model\":\"" + c.body_model + "\"") + "}";
        auto r = plugin().build_chat(cf, body, false);
        BOOST_TEST_CONTEXT(c.config_model << " / " << c.body_model) {
            BOOST_REQUIRE(r.status == SB_OK);
            BOOST_TEST(r.request.url == c.url);
            BOOST_TEST(!json::parse(r.request.body).as_object().contains("model"));
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_requests) {
    Config c = cfg();
    for (std::string bad : {
             std::string(R"({"messages":[{"role":"wizard","content":"x"}]})"),
             std::string(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]})"),
             std::string(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]})"),
             std::string(R"({"messages":[{"role":"user","content":[{"type":"video","x":1}]}]})"),
             std::string(R"({"messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]})"),
             std::string(R"({"messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f","arguments":"{oops"}}]}]})"),
             std::string(R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"code_interpreter"}]})"),
             std::string(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}})"),
         }) {
        auto r = plugin().build_chat(c, bad, false);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(r.status == SB_ERR_INVALID_ARGUMENT);
            BOOST_TEST(r.error.reports == 1);
            BOOST_TEST(r.error.kind == SB_ERROR_INVALID_REQUEST);
            BOOST_TEST(!r.error.message.empty());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(response)

BOOST_AUTO_TEST_CASE(text_response) {
    auto r = parse_status(200, fixture("google/google-text.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(!r.error.reported);
    // The answer text's signature rides on the message (Gemini 3 signs it).
    const std::string sig = text_signature(fixture("google/google-text.json"));
    BOOST_TEST(!sig.empty());
    BOOST_TEST((without_created(r.body) == json::parse(R"({
        "id":"chatcmpl-Un6LacrVMcjUxs0PmJfWoQc","object":"chat.completion","model":"gemini-3-pro-preview",
        "choices":[{"index":0,"message":{"role":"assistant",
          "content":"There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.",
          "extra_content":{"google":{"thought_signature":")" + sig + R"("}}},
          "finish_reason":"stop"}],
        "usage":{"prompt_tokens":9,"completion_tokens":272,"total_tokens":281,
          "completion_tokens_details":{"reasoning_tokens":244}}})")), r.body);
}

BOOST_AUTO_TEST_CASE(tool_call_response) {
    auto r = parse_status(200, fixture("google/google-tool-call.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST((without_created(r.body) == json::parse(R"({
        "id":"chatcmpl-m36LaZGyCLz1xs0PtNSB-QU","object":"chat.completion","model":"gemini-3-pro-preview",
        "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
          {"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"location\":\"San Francisco\"}"},
           "extra_content":{"google":{"thought_signature":"EskgCsYgAb4+9vtF7/499YQS2bjZs3xcQI+iAl+ILn29nK1j0Kg6su7QsUUUk3nrAAfnS2w5WiVvlcCqu9fAebJ2cvfaEyBahEt5"}}}]},
          "finish_reason":"tool_calls"}],
        "usage":{"prompt_tokens":29,"completion_tokens":908,"total_tokens":937,
          "completion_tokens_details":{"reasoning_tokens":893}}})")), r.body);
}

BOOST_AUTO_TEST_CASE(tool_call_round_trips_with_its_signature) {
    // What the client gets back from a tool-call response, sent as the next
    // turn, must reach Gemini with the thought signature Gemini 3 demands.
    auto r = parse_status(200, fixture("google/google-tool-call.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    json::object msg = json::parse(r.body).at("choices").at(0).at("message").as_object();
    json::object req;
    req["messages"] = json::array{json::parse(R"({"role":"user","content":"Weather in SF?"})"), msg,
                                  json::parse(R"({"role":"tool","tool_call_id":"call_0","content":"{\"tempC\":18}"})")};
    build_ok("signature_round_trip", json::serialize(req), R"({"contents":[
        {"role":"user","parts":[{"text":"Weather in SF?"}]},
        {"role":"model","parts":[{"functionCall":{"name":"weather","args":{"location":"San Francisco"}},
          "thoughtSignature":"EskgCsYgAb4+9vtF7/499YQS2bjZs3xcQI+iAl+ILn29nK1j0Kg6su7QsUUUk3nrAAfnS2w5WiVvlcCqu9fAebJ2cvfaEyBahEt5"}]},
        {"role":"user","parts":[{"functionResponse":{"name":"weather","response":{"tempC":18}}}]}]})");
}

BOOST_AUTO_TEST_CASE(candidates_parallel_calls_and_thoughts) {
    auto r = parse_status(200, fixture("google/two-candidates-parallel-tools.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST((without_created(r.body) == json::parse(R"({
        "id":"chatcmpl-two-cands","object":"chat.completion","model":"gemini-2.0-flash",
        "choices":[
          {"index":0,"message":{"role":"assistant","content":"Let me check both cities.","tool_calls":[
            {"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Paris\"}"}},
            {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Tokyo\",\"unit\":\"c\"}"}}]},
           "finish_reason":"tool_calls"},
          {"index":1,"message":{"role":"assistant","content":"I cannot tell.","reasoning_content":"Paris"},
           "finish_reason":"stop"}],
        "usage":{"prompt_tokens":40,"completion_tokens":30,"total_tokens":70,
          "prompt_tokens_details":{"cached_tokens":16}}})")), r.body);
}

BOOST_AUTO_TEST_CASE(finish_reasons) {
    auto r = parse_status(200, fixture("google/finish-max-tokens.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST((without_created(r.body) == json::parse(R"({
        "id":"chatcmpl-max-tokens-1","object":"chat.completion","model":"gemini-2.0-flash",
        "choices":[{"index":0,"message":{"role":"assistant","content":"Once upon a time, in a land"},
          "finish_reason":"length"}],
        "usage":{"prompt_tokens":6,"completion_tokens":8,"total_tokens":14}})")), r.body);

    for (std::string f : {"google/finish-safety.json", "google/prompt-blocked.json"}) {
        r = parse_status(200, fixture(f));
        BOOST_TEST_CONTEXT(f) {
            BOOST_REQUIRE(r.status == SB_OK);
            auto o = json::parse(r.body).as_object();
            BOOST_TEST(o.at("object").as_string() == "chat.completion");
            auto choice = o.at("choices").at(0).as_object();
            BOOST_TEST(choice.at("finish_reason").as_string() == "content_filter");
            BOOST_TEST(choice.at("message").at("content").as_string() == "");
            BOOST_TEST(o.at("usage").at("completion_tokens").as_int64() == 0);
            BOOST_TEST(o.at("usage").at("total_tokens").as_int64() > 0);
        }
    }
    // Other Gemini reasons map onto OpenAI's.
    for (auto [reason, want] : std::vector<std::pair<std::string, std::string>>{
             {"RECITATION", "content_filter"}, {"BLOCKLIST", "content_filter"},
             {"PROHIBITED_CONTENT", "content_filter"}, {"SPII", "content_filter"},
             {"LANGUAGE", "content_filter"}, {"IMAGE_SAFETY", "content_filter"},
             {"IMAGE_PROHIBITED_CONTENT", "content_filter"}, {"IMAGE_RECITATION", "content_filter"}}) {
        r = parse_status(200, R"({"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"},"finishReason":")" +
                                  reason + R"(","index":0}]})");
        BOOST_REQUIRE(r.status == SB_OK);
        auto o = json::parse(r.body).as_object();
        BOOST_TEST(o.at("choices").at(0).at("finish_reason").as_string() == want, reason);
        BOOST_TEST(o.at("model").as_string() == "gemini-1.5-pro");  // no modelVersion: the configured one
    }
    // A failed generation is an error naming the reason, never an empty "stop".
    for (auto [reason, kind] : std::vector<std::pair<std::string, sb_error_kind>>{
             {"OTHER", SB_ERROR_UPSTREAM}, {"MALFORMED_FUNCTION_CALL", SB_ERROR_UPSTREAM},
             {"UNEXPECTED_TOOL_CALL", SB_ERROR_UPSTREAM}, {"TOO_MANY_TOOL_CALLS", SB_ERROR_UPSTREAM},
             {"IMAGE_OTHER", SB_ERROR_UPSTREAM}, {"NO_IMAGE", SB_ERROR_UPSTREAM},
             {"FINISH_REASON_UNSPECIFIED", SB_ERROR_UPSTREAM}, {"SOMETHING_NEW", SB_ERROR_UPSTREAM},
             {"MISSING_THOUGHT_SIGNATURE", SB_ERROR_INVALID_REQUEST}}) {
        r = parse_status(200, R"({"candidates":[{"content":{"role":"model"},"finishReason":")" + reason +
                                  R"(","finishMessage":"Malformed function call: print(x","index":0}]})");
        BOOST_TEST_CONTEXT(reason) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.kind == kind);
            BOOST_TEST(r.error.message.find(reason) != std::string::npos, r.error.message);
            BOOST_TEST(r.error.message.find("print(x") != std::string::npos, r.error.message);
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
        {400, "google/error-400-api-key-invalid.json", SB_ERROR_INVALID_API_KEY, "API key not valid"},
        {400, "google/error-400-api-key-invalid-array.json", SB_ERROR_INVALID_API_KEY, "API key not valid"},
        {403, "google/error-403-unregistered-caller.json", SB_ERROR_INVALID_API_KEY, "unregistered callers"},
        {403, "google/error-403-tuned-model.json", SB_ERROR_PERMISSION_DENIED, "You do not have permission"},
        {404, "google/error-404-model-not-found.json", SB_ERROR_MODEL_NOT_FOUND, "models/gemini-9-ultra is not found"},
        {404, "google/error-404-html.html", SB_ERROR_API_BASE_INCORRECT, "api_base"},
        {429, "google/google-429-retry-info.json", SB_ERROR_RATE_LIMITED, "You exceeded your current quota"},
        {400, "google/error-400-context-length.json", SB_ERROR_CONTEXT_LENGTH, "exceeds the maximum number of tokens"},
        {400, "google/error-400-invalid-argument.json", SB_ERROR_INVALID_REQUEST, "Unknown name"},
        {500, "google/error-500-internal.json", SB_ERROR_UPSTREAM, "An internal error has occurred"},
        {503, "google/error-503-unavailable.json", SB_ERROR_UPSTREAM, "The model is overloaded"},
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
    auto r = parse_status(429, fixture("google/google-429-retry-info.json"));
    BOOST_TEST(contains(r.error.message, "34.4s"), r.error.message);
}

BOOST_AUTO_TEST_CASE(non_gemini_answers_are_api_base_incorrect) {
    for (auto [status, body] : std::vector<std::pair<int, std::string>>{
             {301, "<html>Moved</html>"},
             {200, "<!doctype html><html><body>Welcome to nginx!</body></html>"},
             {200, ""},
             {200, R"({"status":"ok"})"},
             {200, "[1,2,3]"},
             {200, R"({"object":"list","data":[]})"},
             {405, "Method Not Allowed"},
             {404, R"({"detail":"Not Found"})"}}) {
        auto r = parse_status(status, body);
        BOOST_TEST_CONTEXT(status << " " << body) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
            BOOST_TEST(contains(r.error.message, "api_base"), r.error.message);
            BOOST_TEST(r.body.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(error_inside_a_200_body) {
    auto r = parse_status(200, R"([{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}])");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_RATE_LIMITED);
}

BOOST_AUTO_TEST_CASE(error_messages_never_carry_the_key) {
    const std::string body = R"({"error":{"code":400,"message":"API key not valid: )" + kKey +
                             R"(","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}})";
    auto r = parse_status(400, body);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    BOOST_TEST(!contains(r.error.message, kKey), r.error.message);
    BOOST_TEST(contains(r.error.message, "API key not valid"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming)

const std::string kStreamBody = R"({"messages":[{"role":"user","content":"How many r's in strawberry?"}],"stream":true})";

BOOST_AUTO_TEST_CASE(text_stream) {
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody, fixture_lines("google/google-text.chunks.txt"));
    BOOST_TEST(r.status == SB_OK);  // Gemini has no end event: the body just ends
    BOOST_TEST(!r.error.reported);
    const std::string head = R"("id":"chatcmpl-bH6LaZW8Fp_3nsEPqtaSwQ4","object":"chat.completion.chunk","model":"gemini-3-pro-preview")";
    expect_chunks(r.chunks, {
        "{" + head + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"There are **3**"},"finish_reason":null}]})",
        "{" + head + R"(,"choices":[{"index":0,"delta":{"content":" \"r\"s in strawberry.\n\nst**r**awbe**rr**y"},"finish_reason":null}]})",
        "{" + head + R"(,"choices":[{"index":0,"delta":{"extra_content":{"google":{"thought_signature":")" +
            text_signature(fixture_lines("google/google-text.chunks.txt").back()) + R"("}}},"finish_reason":"stop"}]})",
        "{" + head + R"(,"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":208,"total_tokens":217,"completion_tokens_details":{"reasoning_tokens":185}}})",
    });
}

BOOST_AUTO_TEST_CASE(tool_call_stream) {
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody, fixture_lines("google/google-tool-call.chunks.txt"));
    BOOST_TEST(r.status == SB_OK);
    const std::string head = R"("id":"chatcmpl-b36LacjwM668nsEP2tbsgQQ","object":"chat.completion.chunk","model":"gemini-3-pro-preview")";
    const std::string sig = "EqUCCqICAb4+9vsh8Pd5taZVoPzSvjWWwzBrvhEQWBLCGa7IdY8FBMm7Z6dCKFU3Ft0la15gF7RaHe1NlPRygQec0bFwPDfMwGcUOMNiJiNIKxusCs4ejCZRuouNYQ4etEIt7CujEUHiILLfZXSJZYhs4UCrD2bLqPq0sE0lWgYJnzHkkKUOnMsA2hKffAhtF4DWn5INYj8pPssvch/2VpDFW2F9XSE04zLDzkIWF2eztJX50Y0lTehRZC3FW7fOrXCzGx+PwdataD6eXlF5O1zn+86XtmktOs2DEp4o1PMvXFFAXe8GGvPt8Idf3UtHMq7AsapwMW9sjiKj+FJk54m+9LMTSaj7C86smfvoQryYBEHTVazr1bEnpl4bPG5JUtm2yAMkHj4=";
    expect_chunks(r.chunks, {
        "{" + head + R"(,"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"location\":\"San Francisco\"}"},"extra_content":{"google":{"thought_signature":")" + sig + R"("}}}]},"finish_reason":null}]})",
        "{" + head + R"(,"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
        "{" + head + R"(,"choices":[],"usage":{"prompt_tokens":29,"completion_tokens":60,"total_tokens":89,"completion_tokens_details":{"reasoning_tokens":45}}})",
    });
}

BOOST_AUTO_TEST_CASE(parallel_tool_calls_keep_their_indexes) {
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody, fixture_lines("google/stream-parallel-tools.chunks.txt"));
    BOOST_TEST(r.status == SB_OK);
    const std::string head = R"("id":"chatcmpl-par-1","object":"chat.completion.chunk","model":"gemini-2.0-flash")";
    expect_chunks(r.chunks, {
        "{" + head + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"Checking"},"finish_reason":null}]})",
        "{" + head + R"(,"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Paris\"}"}}]},"finish_reason":null}]})",
        "{" + head + R"(,"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_1","type":"function","function":{"name":"time","arguments":"{}"}},{"index":2,"id":"call_2","type":"function","function":{"name":"weather","arguments":"{\"location\":\"Tokyo\"}"}}]},"finish_reason":"tool_calls"}]})",
        "{" + head + R"(,"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":12,"total_tokens":32}})",
    });
}

BOOST_AUTO_TEST_CASE(max_tokens_stream) {
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody, fixture_lines("google/stream-max-tokens.chunks.txt"));
    const std::string head = R"("id":"chatcmpl-mt-1","object":"chat.completion.chunk","model":"gemini-2.0-flash")";
    expect_chunks(r.chunks, {
        "{" + head + R"(,"choices":[{"index":0,"delta":{"role":"assistant","content":"Once upon"},"finish_reason":null}]})",
        "{" + head + R"(,"choices":[{"index":0,"delta":{"content":" a time"},"finish_reason":"length"}]})",
        "{" + head + R"(,"choices":[],"usage":{"prompt_tokens":6,"completion_tokens":4,"total_tokens":10}})",
    });
}

BOOST_AUTO_TEST_CASE(cut_stream_is_closed_with_finish_and_usage) {
    // The body ended before any finishReason: stream_close still finishes the
    // choice and reports usage (zeros when Gemini sent none).
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody, {R"({"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"index":0}]})"});
    BOOST_TEST(r.status == SB_OK);
    BOOST_REQUIRE(r.chunks.size() == 3u);
    auto id = json::parse(r.chunks[0]).at("id").as_string();
    BOOST_TEST(!id.empty());
    for (const auto &ch : r.chunks) BOOST_TEST(json::parse(ch).at("id").as_string() == id);
    auto fin = without_created(r.chunks[1]).as_object();
    BOOST_TEST(fin.at("model").as_string() == "gemini-1.5-pro");
    BOOST_TEST(fin.at("choices").at(0).at("finish_reason").as_string() == "stop");
    auto usage = json::parse(r.chunks[2]).as_object();
    BOOST_TEST(usage.at("choices").as_array().empty());
    BOOST_TEST(usage.at("usage").at("total_tokens").as_int64() == 0);

    // An empty stream still gets its usage chunk.
    r = plugin().stream(c, kStreamBody, {});
    BOOST_REQUIRE(r.chunks.size() == 1u);
    BOOST_TEST(json::parse(r.chunks[0]).at("usage").is_object());
}

BOOST_AUTO_TEST_CASE(blocked_prompt_stream) {
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody, {fixture("google/prompt-blocked.json")});
    BOOST_REQUIRE(r.chunks.size() == 2u);
    auto o = json::parse(r.chunks[0]).as_object();
    BOOST_TEST(o.at("choices").at(0).at("finish_reason").as_string() == "content_filter");
    BOOST_TEST(o.at("choices").at(0).at("delta").at("content").as_string() == "");
    BOOST_TEST(json::parse(r.chunks[1]).at("usage").at("prompt_tokens").as_int64() == 8);
}

BOOST_AUTO_TEST_CASE(mid_stream_error_is_upstream) {
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody, fixture_lines("google/stream-error.chunks.txt"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.reports == 1);
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(r.error.http_status == 503);
    BOOST_TEST(contains(r.error.message, "The model is overloaded"));
    BOOST_REQUIRE(r.chunks.size() == 1u);  // the chunk before the error; nothing on abandon
    BOOST_TEST(json::parse(r.chunks[0]).at("choices").at(0).at("delta").at("content").as_string() == "Hello");
}

BOOST_AUTO_TEST_CASE(mid_stream_errors_are_classified) {
    Config c = cfg();
    auto r = plugin().stream(c, kStreamBody,
                             {R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})"});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_RATE_LIMITED);
    r = plugin().stream(c, kStreamBody, {fixture("google/error-400-api-key-invalid-array.json")});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    r = plugin().stream(c, kStreamBody, {"<html>"});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
}

BOOST_AUTO_TEST_CASE(abandoned_stream_emits_nothing) {
    Config c = cfg();
    sb_chat_request req{sizeof(sb_chat_request), sb(kStreamBody), 1};
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
    Config c = cfg(kKey, kBase + "/");
    auto r = plugin().build_models(c);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.request.method == "GET");
    BOOST_TEST(r.request.url == kBase + "/models?pageSize=1000");
    BOOST_TEST(r.request.body.empty());
    check_key_only_in_header(r.request);
}

BOOST_AUTO_TEST_CASE(models_response) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 200, fixture("google/models.json"));
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.ids == (std::vector<std::string>{"gemini-1.5-pro", "gemini-2.0-flash", "gemini-2.5-flash"}));
    r = plugin().parse_models(c, 200, "{}");
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.ids.empty());
}

BOOST_AUTO_TEST_CASE(models_errors) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 400, fixture("google/error-400-api-key-invalid.json"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    r = plugin().parse_models(c, 200, "<html>hello</html>");
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = plugin().parse_models(c, 200, R"({"object":"list","data":[{"id":"gpt-4o"}]})");
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = plugin().parse_models(c, 404, fixture("google/error-404-html.html"));
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    BOOST_TEST(r.ids.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// Current models: thinking, full JSON Schema, tool-use prompt tokens, failed
// generations mid-stream.
BOOST_AUTO_TEST_SUITE(current_models)

// The generateContent body built for a model.
json::object body_for(const std::string &model, const std::string &unified, const std::string &dump_name) {
    Config c = cfg(kKey, kBase, model);
    auto r = plugin().build_chat(c, unified, false);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, r.error.message);
    dump_spec_request("google", dump_name, kChatPath, "post", r.request.body);
    return json::parse(r.request.body).as_object();
}

json::value thinking_of(const std::string &model, const std::string &effort) {
    json::object b = body_for(model, R"({"messages":[{"role":"user","content":"x"}],"reasoning_effort":")" + effort + "\"}",
                              "thinking_" + model + "_" + effort);
    const json::value *gc = b.if_contains("generationConfig");
    const json::value *tc = gc ? gc->as_object().if_contains("thinkingConfig") : nullptr;
    return tc ? *tc : json::value();
}

BOOST_AUTO_TEST_CASE(reasoning_effort_becomes_a_thinking_level_or_budget) {
    struct Case {
        std::string model, effort, want;
    };
    for (const Case &c : std::vector<Case>{
             {"gemini-3-flash-preview", "minimal", R"({"thinkingLevel":"minimal","includeThoughts":true})"},
             {"gemini-3-flash-preview", "medium", R"({"thinkingLevel":"medium","includeThoughts":true})"},
             {"gemini-3-flash-preview", "none", R"({"thinkingLevel":"minimal"})"},
             {"gemini-3-pro-preview", "minimal", R"({"thinkingLevel":"low","includeThoughts":true})"},
             {"gemini-3-pro-preview", "medium", R"({"thinkingLevel":"high","includeThoughts":true})"},
             {"gemini-3.1-pro-preview", "medium", R"({"thinkingLevel":"medium","includeThoughts":true})"},
             {"gemini-3.5-flash", "xhigh", R"({"thinkingLevel":"high","includeThoughts":true})"},
             {"gemini-2.5-flash", "none", R"({"thinkingBudget":0})"},
             {"gemini-2.5-pro", "none", R"({"thinkingBudget":128})"},
             {"gemini-2.5-flash", "low", R"({"thinkingBudget":1024,"includeThoughts":true})"},
             {"models/gemini-2.5-pro", "high", R"({"thinkingBudget":24576,"includeThoughts":true})"},
             {"gemini-2.0-flash", "high", "null"},
         }) {
        BOOST_TEST(thinking_of(c.model, c.effort) == json::parse(c.want), c.model << " " << c.effort);
    }
    Config c = cfg(kKey, kBase, "gemini-2.5-flash");
    auto r = plugin().build_chat(c, R"({"messages":[{"role":"user","content":"x"}],"reasoning_effort":"max"})", false);
    BOOST_TEST(r.status == SB_ERR_INVALID_ARGUMENT);
    BOOST_TEST(contains(r.error.message, "reasoning_effort"), r.error.message);
}

BOOST_AUTO_TEST_CASE(gemini_2_and_later_get_the_json_schema_whole) {
    const std::string schema =
        R"({"type":"object","properties":{"when":{"type":"string","format":"uri"},"n":{"anyOf":[{"type":"integer"},{"type":"null"}]}},"required":["when"],"additionalProperties":false})";
    json::object b = body_for("gemini-2.5-flash",
                              R"({"messages":[{"role":"user","content":"x"}],
                                  "tools":[{"type":"function","function":{"name":"f","parameters":{"$schema":"https://json-schema.org/draft/2020-12/schema",)" +
                                  schema.substr(1) + R"(}}],
                                  "response_format":{"type":"json_schema","json_schema":{"name":"o","schema":)" + schema + "}}}",
                              "json_schema_whole");
    BOOST_TEST(b.at("tools").at(0).at("functionDeclarations").at(0).at("parametersJsonSchema") == json::parse(schema));
    BOOST_TEST(b.at("generationConfig").at("responseJsonSchema") == json::parse(schema));
    BOOST_TEST(b.at("generationConfig").at("responseMimeType").as_string() == "application/json");
}

BOOST_AUTO_TEST_CASE(gemini_call_ids_go_back_with_call_and_response) {
    json::object b = body_for("gemini-3-flash-preview", R"({"messages":[{"role":"user","content":"x"},
        {"role":"assistant","tool_calls":[{"id":"96c1su3s","type":"function","function":{"name":"f","arguments":"{}"},
          "extra_content":{"google":{"thought_signature":"c2ln"}}},
          {"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
        {"role":"tool","tool_call_id":"96c1su3s","content":"a"},{"role":"tool","tool_call_id":"call_1","content":"b"}]})",
                              "call_ids_round_trip");
    BOOST_TEST(b.at("contents") == json::parse(R"([{"role":"user","parts":[{"text":"x"}]},
        {"role":"model","parts":[{"functionCall":{"id":"96c1su3s","name":"f","args":{}},"thoughtSignature":"c2ln"},
                                 {"functionCall":{"name":"f","args":{}}}]},
        {"role":"user","parts":[{"functionResponse":{"id":"96c1su3s","name":"f","response":{"output":"a"}}},
                                {"functionResponse":{"name":"f","response":{"output":"b"}}}]}])"));
}

BOOST_AUTO_TEST_CASE(an_answer_signature_goes_back_on_its_text) {
    json::object b = body_for("gemini-3-flash-preview", R"({"messages":[{"role":"user","content":"x"},
        {"role":"assistant","content":"Paris.","extra_content":{"google":{"thought_signature":"c2ln"}}},
        {"role":"user","content":"y"}]})",
                              "text_signature_round_trip");
    BOOST_TEST(b.at("contents").at(1) ==
               json::parse(R"({"role":"model","parts":[{"text":"Paris.","thoughtSignature":"c2ln"}]})"));
}

BOOST_AUTO_TEST_CASE(tool_use_prompt_tokens_count_as_prompt) {
    auto r = parse_status(200, R"({"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP"}],
        "usageMetadata":{"promptTokenCount":17,"candidatesTokenCount":41,"toolUsePromptTokenCount":102,
                         "thoughtsTokenCount":412,"totalTokenCount":572}})");
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(json::parse(r.body).at("usage") == json::parse(
        R"({"prompt_tokens":119,"completion_tokens":453,"total_tokens":572,"completion_tokens_details":{"reasoning_tokens":412}})"));
}

BOOST_AUTO_TEST_CASE(a_failed_generation_mid_stream_is_an_error_after_its_text) {
    Config c = cfg();
    auto r = plugin().stream(c, R"({"messages":[]})", {
        R"({"candidates":[{"content":{"parts":[{"text":"Let me call"}],"role":"model"},"index":0}],"responseId":"r1"})",
        R"({"candidates":[{"content":{"parts":[{"text":" it"}],"role":"model"},"finishReason":"MALFORMED_FUNCTION_CALL","finishMessage":"bad call","index":0}],"responseId":"r1"})"});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(contains(r.error.message, "finishReason MALFORMED_FUNCTION_CALL"), r.error.message);
    BOOST_TEST(contains(r.error.message, "bad call"), r.error.message);
    BOOST_REQUIRE(r.chunks.size() == 2u);
    BOOST_TEST(contains(r.chunks[1], R"("content":" it")"), r.chunks[1]);
    BOOST_TEST(contains(r.chunks[1], R"("finish_reason":null)"), r.chunks[1]);
}

BOOST_AUTO_TEST_SUITE_END()
