// The together plugin, driven through the C ABI exactly as the host drives it.
#define BOOST_TEST_MODULE together_plugin
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>

#include "plugin_harness.hpp"
#include "spec_request_dump.hpp"

namespace json = boost::json;
using namespace sbtest;

namespace {

const std::string kKey = "tgp_v1_SECRET0123456789abcdef";
const std::string kBase = "https://api.together.xyz/v1";
const std::string kModel = "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free";

Plugin &plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

Config cfg(std::string key = kKey, std::string base = kBase, std::string model = kModel) {
    return Config(std::move(key), std::move(base), std::move(model));
}

bool contains(const std::string &hay, const std::string &needle) { return hay.find(needle) != std::string::npos; }

// Builds the vendor request, checks endpoint/auth, records it for the spec
// check (unless spec_dump is false) and returns its body.
json::value build(const std::string &name, const std::string &unified, bool stream = false, bool spec_dump = true) {
    Config c = cfg();
    auto r = plugin().build_chat(c, unified, stream);
    BOOST_REQUIRE_MESSAGE(r.status == SB_OK, name + ": " + r.error.message);
    BOOST_TEST(r.request.method == "POST");
    BOOST_TEST(r.request.url == "https://api.together.xyz/v1/chat/completions");
    BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
    BOOST_TEST(r.request.header("Content-Type") == "application/json");
    BOOST_TEST(!contains(r.request.url, kKey));
    BOOST_TEST(!contains(r.request.body, kKey));
    if (spec_dump) dump_spec_request("together", name, "/chat/completions", "post", r.request.body);
    return json::parse(r.request.body);
}

void check_json(const json::value &got, const std::string &expected) {
    BOOST_TEST(json::serialize(got) == json::serialize(json::parse(expected)));
}

}  // namespace

// Exports and runtime dependencies: plugin_binaries_test.cpp.

BOOST_AUTO_TEST_CASE(descriptor) {
    const auto &d = plugin().descriptor();
    BOOST_TEST(sv(d.id) == "together");
    BOOST_TEST(sv(d.display_name) == "Together AI");
    BOOST_TEST(sv(d.default_model) == kModel);
    BOOST_TEST(sv(d.default_api_base) == kBase);
    BOOST_TEST(sv(d.env_api_key) == "TOGETHER_API_KEY");
    BOOST_TEST(sv(d.env_model) == "TOGETHER_MODEL");
    BOOST_TEST(sv(d.env_api_base) == "TOGETHER_API_BASE");
    BOOST_TEST((d.capabilities & SB_CAP_REQUIRES_API_KEY) != 0u);
    BOOST_TEST((d.capabilities & SB_CAP_STREAMING) != 0u);
    BOOST_TEST((d.capabilities & SB_CAP_TOOLS) != 0u);
    BOOST_TEST((d.capabilities & SB_CAP_MODEL_LISTING) != 0u);
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
    std::vector<std::string> known;
    for (size_t i = 0; i < d.known_model_count; ++i) known.push_back(sv(d.known_models[i]));
    BOOST_TEST((std::find(known.begin(), known.end(), kModel) != known.end()));
}

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(plain) {
    auto b = build("plain", R"({"model":"x","messages":[{"role":"user","content":"Hello"}],"temperature":0.2,"top_p":0.9})");
    check_json(b, R"({"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free","messages":[{"role":"user","content":"Hello"}],"temperature":0.2,"top_p":0.9})");
}

BOOST_AUTO_TEST_CASE(stream_has_no_stream_options) {
    auto b = build("stream", R"({"messages":[{"role":"user","content":"Hi"}],"stream_options":{"include_usage":true}})", true);
    check_json(b, R"({"messages":[{"role":"user","content":"Hi"}],"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free","stream":true})");
}

BOOST_AUTO_TEST_CASE(system_and_developer_become_string_system) {
    auto b = build("system", R"({"messages":[{"role":"system","content":[{"type":"text","text":"Be brief."},{"type":"text","text":" Really."}]},{"role":"developer","content":"Use French."},{"role":"user","content":"Hi"}]})");
    check_json(b.at("messages"), R"([{"role":"system","content":"Be brief. Really."},{"role":"system","content":"Use French."},{"role":"user","content":"Hi"}])");
}

BOOST_AUTO_TEST_CASE(images_keep_only_url) {
    auto b = build("images", R"({"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]})");
    check_json(b.at("messages"), R"([{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}])");
}

BOOST_AUTO_TEST_CASE(tools_tool_calls_and_results) {
    auto b = build("tools", R"({"messages":[{"role":"user","content":"Weather in Paris?"},)"
                            R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},)"
                            R"({"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"18C"}]}],)"
                            R"("tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]},"strict":true}}],)"
                            R"("tool_choice":"auto","parallel_tool_calls":false})");
    check_json(b, R"({"messages":[{"role":"user","content":"Weather in Paris?"},)"
                  R"({"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},)"
                  R"({"role":"tool","content":"18C","tool_call_id":"call_1"}],)"
                  R"("tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}],)"
                  R"("tool_choice":"auto","model":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"})");
}

// Together's docs and SDK force a function with OpenAI's shape. Its OpenAPI
// ToolChoice schema describes a whole tool call instead (id, index,
// arguments; the spec itself marks it TODO), so this request is not checked
// against the spec.
BOOST_AUTO_TEST_CASE(named_tool_choice) {
    auto b = build("named_tool_choice", R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}})",
                   false, false);
    check_json(b.at("tool_choice"), R"({"type":"function","function":{"name":"f"}})");
    check_json(b.at("tools"), R"([{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}])");
}

BOOST_AUTO_TEST_CASE(stop_max_tokens_and_dropped_fields) {
    auto b = build("stop_max_tokens", R"({"messages":[{"role":"user","content":"x"}],"stop":"END","max_completion_tokens":64,"seed":7,)"
                                      R"("user":"u1","store":true,"metadata":{"a":"b"},"logprobs":true,"top_logprobs":3,"service_tier":"auto","modalities":["text"]})");
    check_json(b, R"({"messages":[{"role":"user","content":"x"}],"stop":["END"],"seed":7,"logprobs":3,"max_tokens":64,"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"})");
}

BOOST_AUTO_TEST_CASE(max_tokens_wins_over_max_completion_tokens) {
    auto b = build("max_tokens", R"({"messages":[{"role":"user","content":"x"}],"max_tokens":10,"max_completion_tokens":64,"stop":["a","b"]})");
    BOOST_TEST(b.at("max_tokens").as_int64() == 10);
    check_json(b.at("stop"), R"(["a","b"])");
}

BOOST_AUTO_TEST_CASE(response_format) {
    auto b = build("response_format", R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}})");
    check_json(b.at("response_format"), R"({"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"a":{"type":"string"}}}}})");
    auto o = build("json_object", R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})");
    check_json(o.at("response_format"), R"({"type":"json_object"})");
}

// What the host cannot know: roles and tools Together does not take.
BOOST_AUTO_TEST_CASE(refuses_what_together_does_not_take) {
    Config k = cfg();
    for (std::string bad : {R"({"messages":[{"role":"wizard","content":"x"}]})",
                            R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]})"}) {
        auto e = plugin().build_chat(k, bad, false);
        BOOST_TEST(e.status == SB_ERR_INVALID_ARGUMENT, bad);
        BOOST_TEST(e.error.kind == SB_ERROR_INVALID_REQUEST);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(response)

BOOST_AUTO_TEST_CASE(text_with_eos) {
    Config c = cfg();
    auto r = plugin().parse_chat(c, 200, fixture("together/chat_completion.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    check_json(json::parse(r.body),
               R"({"id":"8f2b1c3d4e5f6a7b-SJC","object":"chat.completion","created":1733000000,"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free","prompt":[],)"
               R"("choices":[{"index":0,"finish_reason":"stop","logprobs":null,"seed":123,"message":{"role":"assistant","content":"Hello! How can I help?"}}],)"
               R"("usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}})");
}

BOOST_AUTO_TEST_CASE(tool_calls) {
    Config c = cfg();
    for (std::string f : {"together/tool_call.json", "together/xai-tool-call.json"}) {
        auto r = plugin().parse_chat(c, 200, fixture(f));
        BOOST_REQUIRE(r.status == SB_OK);
        auto b = json::parse(r.body);
        auto &ch = b.at("choices").at(0);
        BOOST_TEST(ch.at("finish_reason").as_string() == "tool_calls");
        auto &call = ch.at("message").at("tool_calls").at(0);
        BOOST_TEST(call.at("type").as_string() == "function");
        BOOST_TEST(!call.at("id").as_string().empty());
        BOOST_TEST(call.at("function").at("arguments").is_string());
        BOOST_TEST(b.at("usage").at("total_tokens").is_int64());
    }
}

BOOST_AUTO_TEST_CASE(errors_are_classified) {
    Config c = cfg();
    struct Case { int status; std::string file; sb_error_kind kind; std::string needle; };
    for (const Case &k : std::vector<Case>{
             {401, "together/error-401.json", SB_ERROR_INVALID_API_KEY, "Invalid API key"},
             {404, "together/error-404-model.json", SB_ERROR_MODEL_NOT_FOUND, "nope/not-a-model"},
             {429, "together/error-429.json", SB_ERROR_RATE_LIMITED, "rate limit"},
             {500, "together/error-500.json", SB_ERROR_UPSTREAM, "server had an error"},
             {400, "together/error-400-context.json", SB_ERROR_INVALID_REQUEST, "Input validation error"},
         }) {
        auto r = plugin().parse_chat(c, k.status, fixture(k.file));
        BOOST_TEST(r.status == SB_ERR_UPSTREAM, k.file);
        BOOST_TEST(r.error.kind == k.kind, k.file);
        BOOST_TEST(r.error.http_status == k.status, k.file);
        BOOST_TEST(contains(r.error.message, k.needle), k.file + ": " + r.error.message);
        BOOST_TEST(!contains(r.error.message, kKey));
    }
    auto html = plugin().parse_chat(c, 404, "<html><body>Not Found</body></html>");
    BOOST_TEST(html.error.kind == SB_ERROR_API_BASE_INCORRECT);
    auto garbage = plugin().parse_chat(c, 200, "<html>hi</html>");
    BOOST_TEST(garbage.error.kind == SB_ERROR_API_BASE_INCORRECT);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream)

BOOST_AUTO_TEST_CASE(text_stream_whole_sequence) {
    Config c = cfg();
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})", fixture_lines("together/text.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    const std::string head = R"({"id":"8f2b1c3d4e5f6a7d","object":"chat.completion.chunk","created":1733000002,"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free",)";
    std::vector<std::string> expected = {
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}]})",
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":" there"},"logprobs":null,"finish_reason":null}]})",
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}]})",
        head + R"("choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}})",
    };
    BOOST_TEST(r.chunks == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tool_call_stream_whole_sequence) {
    Config c = cfg();
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Weather?"}]})", fixture_lines("together/tool-call.chunks.txt"));
    BOOST_TEST(r.status == SB_STREAM_END);
    const std::string head = R"({"id":"t1","object":"chat.completion.chunk","created":1733000003,"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo",)";
    std::vector<std::string> expected = {
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]})",
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]},"logprobs":null,"finish_reason":null}]})",
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]})",
        head + R"("choices":[{"index":0,"delta":{"role":"assistant","content":null},"logprobs":null,"finish_reason":"tool_calls"}]})",
        head + R"("choices":[],"usage":{"prompt_tokens":200,"completion_tokens":20,"total_tokens":220}})",
    };
    BOOST_TEST(r.chunks == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(openai_compatible_tool_stream_keeps_every_fragment) {
    Config c = cfg();
    auto lines = fixture_lines("together/xai-tool-call.chunks.txt");
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Weather?"}]})", lines);
    BOOST_TEST((r.status == SB_OK || r.status == SB_STREAM_END));
    std::string args, id, name;
    int usage_chunks = 0;
    for (const auto &ch : r.chunks) {
        auto o = json::parse(ch).as_object();
        BOOST_TEST(o.at("object").as_string() == "chat.completion.chunk");
        if (o.contains("usage")) ++usage_chunks;
        for (auto &choice : o.at("choices").as_array())
            if (auto *tc = choice.at("delta").as_object().if_contains("tool_calls"))
                for (auto &t : tc->as_array()) {
                    BOOST_TEST(t.at("index").as_int64() == 0);
                    if (auto *i = t.as_object().if_contains("id")) id = i->as_string().c_str();
                    auto &f = t.at("function").as_object();
                    if (auto *n = f.if_contains("name")) name = n->as_string().c_str();
                    if (auto *a = f.if_contains("arguments")) args += a->as_string().c_str();
                }
    }
    BOOST_TEST(id == "call_79382389");
    BOOST_TEST(name == "weather");
    BOOST_TEST(json::serialize(json::parse(args)) == R"({"location":"San Francisco"})");
    BOOST_TEST(usage_chunks == 1);
}

BOOST_AUTO_TEST_CASE(stream_without_usage_gets_one) {
    Config c = cfg();
    auto lines = fixture_lines("together/text.chunks.txt");
    lines.erase(lines.begin() + 2, lines.end());
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})", lines);
    BOOST_REQUIRE(r.chunks.size() == 3u);
    BOOST_TEST(r.chunks.back() == R"({"id":"8f2b1c3d4e5f6a7d","object":"chat.completion.chunk","created":1733000002,"model":"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free","choices":[],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}})");
}

BOOST_AUTO_TEST_CASE(mid_stream_error) {
    Config c = cfg();
    auto lines = fixture_lines("together/text.chunks.txt");
    lines.insert(lines.begin() + 1, R"({"error":{"message":"rate limit hit","type":"rate_limit_exceeded","code":"rate_limit_exceeded"}})");
    auto r = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})", lines);
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_RATE_LIMITED);
    BOOST_TEST(r.chunks.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(models) {
    Config c = cfg();
    auto req = plugin().build_models(c);
    BOOST_REQUIRE(req.status == SB_OK);
    BOOST_TEST(req.request.method == "GET");
    BOOST_TEST(req.request.url == "https://api.together.xyz/v1/models");
    BOOST_TEST(req.request.header("Authorization") == "Bearer " + kKey);
    auto r = plugin().parse_models(c, 200, fixture("together/models.json"));
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.ids == (std::vector<std::string>{kModel, "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                                                 "Qwen/Qwen2.5-72B-Instruct-Turbo"}),
               boost::test_tools::per_element());
    auto untyped = plugin().parse_models(c, 200, R"([{"id":"a"},{"id":"b","type":"chat"}])");
    BOOST_TEST(untyped.ids == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
    auto bad = plugin().parse_models(c, 401, fixture("together/error-401.json"));
    BOOST_TEST(bad.error.kind == SB_ERROR_INVALID_API_KEY);
}

// Issue 17: what current Together models send and answer.
BOOST_AUTO_TEST_SUITE(current_models)

// The free tier's models are gone: Together answers 400 model_not_available.
BOOST_AUTO_TEST_CASE(model_not_available_is_model_not_found) {
    Config c = cfg();
    auto r = plugin().parse_chat(c, 400, fixture("together/error-404-model.json"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_MODEL_NOT_FOUND);
    BOOST_TEST(r.error.http_status == 400);
    BOOST_TEST(contains(r.error.message, "nope/not-a-model"), r.error.message);
}

// Reasoning models (DeepSeek-R1, Qwen3, gpt-oss) send "reasoning"; OpenAI
// clients read reasoning_content. Cached prompt tokens move to OpenAI's place.
BOOST_AUTO_TEST_CASE(reasoning_and_cached_tokens) {
    Config c = cfg();
    auto r = plugin().parse_chat(
        c, 200,
        R"({"id":"r1","object":"chat.completion","created":1,"model":"deepseek-ai/DeepSeek-R1","choices":[{"index":0,)"
        R"("finish_reason":"eos","message":{"role":"assistant","content":"4","reasoning":"2+2 is 4."}}],)"
        R"("usage":{"prompt_tokens":10,"completion_tokens":8,"total_tokens":18,"cached_tokens":6}})");
    BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
    auto b = json::parse(r.body);
    auto &m = b.at("choices").at(0).at("message").as_object();
    BOOST_TEST(m.at("reasoning_content").as_string() == "2+2 is 4.");
    BOOST_TEST(!m.contains("reasoning"));
    BOOST_TEST(m.at("content").as_string() == "4");
    BOOST_TEST(b.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64() == 6);
    BOOST_TEST(!b.at("usage").as_object().contains("cached_tokens"));

    const std::string head = R"({"id":"r2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":)";
    auto s = plugin().stream(c, R"({"messages":[{"role":"user","content":"Hi"}]})",
                             {head + R"({"role":"assistant","reasoning":"Think"},"finish_reason":null}]})",
                              head + R"({"reasoning":"ing."},"finish_reason":null}]})",
                              head + R"({"content":"4"},"finish_reason":"eos"}]})", "[DONE]"});
    BOOST_TEST_REQUIRE(s.status == SB_STREAM_END);
    std::string reasoning;
    for (const auto &chunk : s.chunks) {
        auto o = json::parse(chunk).as_object();
        for (auto &ch : o.at("choices").as_array()) {
            auto &d = ch.at("delta").as_object();
            BOOST_TEST(!d.contains("reasoning"));
            if (d.contains("reasoning_content")) reasoning += d.at("reasoning_content").as_string();
        }
    }
    BOOST_TEST(reasoning == "Thinking.");
}

BOOST_AUTO_TEST_SUITE_END()
