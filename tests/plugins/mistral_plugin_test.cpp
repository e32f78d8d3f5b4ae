// The mistral plugin, driven through the C ABI exactly as the host drives it.
#define BOOST_TEST_MODULE mistral_plugin
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>

#include "plugin_harness.hpp"
#include "spec_request_dump.hpp"

namespace json = boost::json;
using namespace sbtest;

namespace {

const std::string kKey = "mistral-SECRET-0123456789abcdef";
const std::string kBase = "https://api.mistral.ai/v1";
const std::string kModel = "mistral-small";

Plugin &plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

Config cfg(std::string key = kKey, std::string base = kBase, std::string model = kModel) {
    return Config(std::move(key), std::move(base), std::move(model));
}

bool contains(const std::string &hay, const std::string &needle) { return hay.find(needle) != std::string::npos; }

json::value build(const std::string &name, const std::string &unified, bool stream = false) {
    Config c = cfg();
    auto r = plugin().build_chat(c, unified, stream);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, name + ": " + r.error.message);
    BOOST_TEST(r.request.method == "POST");
    BOOST_TEST(r.request.url == "https://api.mistral.ai/v1/chat/completions");
    BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
    BOOST_TEST(!contains(r.request.url, kKey));
    BOOST_TEST(!contains(r.request.body, kKey));
    dump_spec_request("mistral", name, "/v1/chat/completions", "post", r.request.body);
    return json::parse(r.request.body);
}

void check_json(const json::value &got, const std::string &expected) {
    BOOST_TEST(json::serialize(got) == json::serialize(json::parse(expected)));
}

}  // namespace

// Exports and runtime dependencies: plugin_binaries_test.cpp.

BOOST_AUTO_TEST_CASE(descriptor) {
    const auto &d = plugin().descriptor();
    BOOST_TEST(sv(d.id) == "mistral");
    BOOST_TEST(sv(d.display_name) == "Mistral AI");
    BOOST_TEST(sv(d.default_model) == kModel);
    BOOST_TEST(sv(d.default_api_base) == kBase);
    BOOST_TEST(sv(d.env_api_key) == "MISTRAL_API_KEY");
    BOOST_TEST(sv(d.env_model) == "MISTRAL_MODEL");
    BOOST_TEST(sv(d.env_api_base) == "MISTRAL_API_BASE");
    BOOST_TEST((d.capabilities & SB_CAP_REQUIRES_API_KEY) != 0u);
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
    BOOST_TEST(d.known_model_count > 5u);
}

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(plain_and_stream) {
    auto b = build("plain", R"({"model":"x","messages":[{"role":"user","content":"Hello"}],"temperature":0.2,"top_p":0.9})");
    check_json(b, R"({"model":"mistral-small","messages":[{"role":"user","content":"Hello"}],"temperature":0.2,"top_p":0.9})");
    auto s = build("stream", R"({"messages":[{"role":"user","content":"Hi"}],"stream_options":{"include_usage":true}})", true);
    check_json(s, R"({"messages":[{"role":"user","content":"Hi"}],"model":"mistral-small","stream":true})");
}

BOOST_AUTO_TEST_CASE(unknown_fields_dropped_and_mapped) {
    auto b = build("mapped", R"({"messages":[{"role":"developer","content":[{"type":"text","text":"Be brief."}]},{"role":"user","content":"x"}],)"
                             R"("seed":42,"max_completion_tokens":100,"stop":"END","temperature":2,"user":"u","store":true,"logprobs":true,)"
                             R"("top_logprobs":2,"logit_bias":{"1":1},"service_tier":"auto","n":1,"presence_penalty":0.5,"safe_prompt":true})");
    check_json(b, R"({"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"x"}],"random_seed":42,"stop":"END","temperature":1.5,)"
                  R"("n":1,"presence_penalty":0.5,"safe_prompt":true,"max_tokens":100,"model":"mistral-small"})");
}

BOOST_AUTO_TEST_CASE(images) {
    auto b = build("images", R"({"messages":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]})");
    check_json(b.at("messages"), R"([{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}])");
}

BOOST_AUTO_TEST_CASE(tools_calls_and_results) {
    auto b = build("tools", R"({"messages":[{"role":"user","content":"Weather?"},)"
                            R"({"role":"assistant","content":"","tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},{"id":"gSIMJiOkT","type":"function","function":{"name":"t2","arguments":"{}"}}]},)"
                            R"({"role":"tool","tool_call_id":"call_abc123","content":"18C"},{"role":"tool","tool_call_id":"gSIMJiOkT","name":"t2","content":"ok"}],)"
                            R"("tools":[{"type":"function","function":{"name":"get_weather","description":"W","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}},{"type":"function","function":{"name":"t2"}}],)"
                            R"("tool_choice":"required","parallel_tool_calls":false})");
    auto &m = b.at("messages").as_array();
    std::string mapped(m.at(1).at("tool_calls").at(0).at("id").as_string());
    BOOST_TEST(mapped.size() == 9u);
    BOOST_TEST(mapped != "call_abc123");
    BOOST_TEST(m.at(1).at("tool_calls").at(1).at("id").as_string() == "gSIMJiOkT");
    check_json(m.at(2), R"({"role":"tool","content":"18C","tool_call_id":")" + mapped + R"(","name":"get_weather"})");
    check_json(m.at(3), R"({"role":"tool","content":"ok","tool_call_id":"gSIMJiOkT","name":"t2"})");
    BOOST_TEST(b.at("tool_choice").as_string() == "any");
    BOOST_TEST(b.at("parallel_tool_calls").as_bool() == false);
    check_json(b.at("tools").at(1), R"({"type":"function","function":{"name":"t2","parameters":{"type":"object","properties":{}}}})");
    auto named = build("named_tool_choice", R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f"}}})");
    check_json(named.at("tool_choice"), R"({"type":"function","function":{"name":"f"}})");
}

BOOST_AUTO_TEST_CASE(response_format) {
    auto b = build("response_format", R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","strict":true,"schema":{"type":"object"}}}})");
    check_json(b.at("response_format"), R"({"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object"},"strict":true}})");
    auto o = build("json_object", R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})");
    check_json(o.at("response_format"), R"({"type":"json_object"})");
}

// What the host cannot know: roles and part types Mistral does not take.
BOOST_AUTO_TEST_CASE(refuses_what_mistral_does_not_take) {
    Config k = cfg();
    for (std::string bad : {R"({"messages":[{"role":"wizard","content":"x"}]})",
                            R"({"messages":[{"role":"user","content":[{"type":"file","file":{}}]}]})"}) {
        auto e = plugin().build_chat(k, bad, false);
        BOOST_TEST(e.status == SB_ERR_INVALID_ARGUMENT, bad);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(response)

BOOST_AUTO_TEST_CASE(text_and_tool_calls) {
    Config c = cfg();
    auto t = plugin().parse_chat(c, 200, fixture("mistral/mistral-text.json"));
    BOOST_REQUIRE(t.status == SB_OK);
    auto tb = json::parse(t.body);
    BOOST_TEST(tb.at("choices").at(0).at("finish_reason").as_string() == "stop");
    BOOST_TEST(!tb.at("choices").at(0).at("message").as_object().contains("tool_calls"));
    BOOST_TEST(tb.at("usage").at("total_tokens").as_int64() == 447);
    auto r = plugin().parse_chat(c, 200, fixture("mistral/mistral-tool-call.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    check_json(json::parse(r.body).at("choices"),
               R"([{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","tool_calls":[{"id":"gSIMJiOkT","function":{"name":"weather","arguments":"{\"location\": \"San Francisco\"}"},"type":"function"}],"content":null}}])");
}

BOOST_AUTO_TEST_CASE(errors_are_classified) {
    Config c = cfg();
    struct Case { int status; std::string file; sb_error_kind kind; std::string message; };
    for (const Case &k : std::vector<Case>{
             {401, "mistral/error-401.json", SB_ERROR_INVALID_API_KEY, "Unauthorized"},
             {422, "mistral/error-422.json", SB_ERROR_INVALID_REQUEST, "body.stream_options: Extra inputs are not permitted"},
             {400, "mistral/error-400-invalid-model.json", SB_ERROR_MODEL_NOT_FOUND, "Invalid model: mistral-nope"},
             {404, "mistral/error-400-invalid-model.json", SB_ERROR_MODEL_NOT_FOUND, "Invalid model: mistral-nope"},
             {429, "mistral/error-429.json", SB_ERROR_RATE_LIMITED, "Requests rate limit exceeded"},
             {400, "mistral/error-400-context.json", SB_ERROR_CONTEXT_LENGTH, "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length"},
             {500, "mistral/error-500.json", SB_ERROR_UPSTREAM, "Internal server error"},
         }) {
        auto r = plugin().parse_chat(c, k.status, fixture(k.file));
        BOOST_TEST(r.status == SB_ERR_UPSTREAM, k.file);
        BOOST_TEST(r.error.kind == k.kind, k.file);
        BOOST_TEST(r.error.http_status == k.status, k.file);
        BOOST_TEST(r.error.message == k.message, k.file);
    }
    BOOST_TEST(plugin().parse_chat(c, 404, "<html>nope</html>").error.kind == SB_ERROR_API_BASE_INCORRECT);
    BOOST_TEST(plugin().parse_chat(c, 200, "not json").error.kind == SB_ERROR_API_BASE_INCORRECT);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream)

BOOST_AUTO_TEST_CASE(text_stream_whole_sequence) {
    Config c = cfg();
    auto lines = fixture_lines("mistral/mistral-text.chunks.txt");
    lines.push_back("[DONE]");
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})", lines);
    BOOST_TEST(r.status == SB_STREAM_END);
    const std::string head = R"({"id":"5319bd0299614c679a0068a4f2c8ffd0","object":"chat.completion.chunk","created":1769088720,"model":"mistral-small-latest",)";
    std::vector<std::string> expected = {
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})"};
    for (const char *t : {"Hello", ", ", "world!", " This", " is a test", " response."})
        expected.push_back(head + R"("choices":[{"index":0,"delta":{"content":")" + std::string(t) + R"("},"logprobs":null,"finish_reason":null}]})");
    expected.push_back(head + R"("choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop"}]})");
    expected.push_back(head + R"("choices":[],"usage":{"prompt_tokens":13,"total_tokens":21,"completion_tokens":8}})");
    BOOST_TEST(r.chunks == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tool_call_stream_whole_sequence) {
    Config c = cfg();
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Weather?"}]})", fixture_lines("mistral/mistral-tool-call.chunks.txt"));
    BOOST_TEST(r.status == SB_OK);
    const std::string head = R"({"id":"b3999b8c93e04e11bcbff7bcab829667","object":"chat.completion.chunk","created":1769088854,"model":"mistral-small-latest",)";
    std::vector<std::string> expected = {
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]})",
        head + R"("choices":[{"index":0,"delta":{"content":null,"tool_calls":[{"index":0,"id":"gSIMJiOkT","type":"function","function":{"name":"weather","arguments":"{\"location\": \"San Francisco\"}"}}]},"logprobs":null,"finish_reason":"tool_calls"}]})",
        head + R"("choices":[],"usage":{"prompt_tokens":124,"total_tokens":146,"completion_tokens":22}})",
    };
    BOOST_TEST(r.chunks == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(stream_without_usage_and_mid_stream_error) {
    Config c = cfg();
    auto lines = fixture_lines("mistral/mistral-text.chunks.txt");
    lines.pop_back();
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})", lines);
    BOOST_TEST(json::parse(r.chunks.back()).at("usage").at("total_tokens").as_int64() == 0);
    lines.insert(lines.begin() + 2, fixture("mistral/stream-error.json"));
    auto e = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})", lines);
    BOOST_TEST(e.status == SB_ERR_UPSTREAM);
    BOOST_TEST(e.error.message == "Service unavailable.");
    BOOST_TEST(e.chunks.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(models) {
    Config c = cfg();
    auto req = plugin().build_models(c);
    BOOST_REQUIRE(req.status == SB_OK);
    BOOST_TEST(req.request.method == "GET");
    BOOST_TEST(req.request.url == "https://api.mistral.ai/v1/models");
    BOOST_TEST(req.request.header("Authorization") == "Bearer " + kKey);
    auto r = plugin().parse_models(c, 200, fixture("mistral/models.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.ids == (std::vector<std::string>{"mistral-small-latest", "codestral-latest"}), boost::test_tools::per_element());
    BOOST_TEST(plugin().parse_models(c, 401, fixture("mistral/error-401.json")).error.kind == SB_ERROR_INVALID_API_KEY);
}

// Issue 17: Magistral thinking and failed generations.
BOOST_AUTO_TEST_SUITE(current_models)

BOOST_AUTO_TEST_CASE(thinking_chunks_are_reasoning_content) {
    Config c = cfg();
    auto r = plugin().parse_chat(
        c, 200,
        R"({"id":"t1","object":"chat.completion","created":1,"model":"magistral-small-latest","choices":[{"index":0,)"
        R"("finish_reason":"stop","message":{"role":"assistant","tool_calls":null,"content":[)"
        R"({"type":"thinking","thinking":[{"type":"text","text":"2+2"},{"type":"text","text":" is 4."}]},)"
        R"({"type":"text","text":"4"}]}}],"usage":{"prompt_tokens":9,"completion_tokens":5,"total_tokens":14,"num_cached_tokens":8}})");
    BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
    auto b = json::parse(r.body);
    auto &m = b.at("choices").at(0).at("message").as_object();
    BOOST_TEST(m.at("content").as_string() == "4");
    BOOST_TEST(m.at("reasoning_content").as_string() == "2+2 is 4.");
    BOOST_TEST(b.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64() == 8);
}

// Mistral's finish_reason "error" is a failed generation, never "stop".
BOOST_AUTO_TEST_CASE(error_finish_reason_is_an_error) {
    Config c = cfg();
    auto r = plugin().parse_chat(
        c, 200,
        R"({"id":"e1","object":"chat.completion","created":1,"model":"mistral-large-latest","choices":[{"index":0,)"
        R"("finish_reason":"error","message":{"role":"assistant","content":"Par"}}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}})");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(r.error.message.find("\"error\"") != std::string::npos, r.error.message);
    BOOST_TEST(r.body.empty());

    const std::string head = R"({"id":"e2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":)";
    auto s = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})",
                             {head + R"({"role":"assistant","content":"Par"},"finish_reason":null}]})",
                              head + R"({"content":""},"finish_reason":"error"}]})", "[DONE]"});
    BOOST_TEST(s.status == SB_ERR_UPSTREAM);
    BOOST_TEST(s.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(s.chunks.size() == 1u);  // the text before the failure, then the error
}

BOOST_AUTO_TEST_SUITE_END()
