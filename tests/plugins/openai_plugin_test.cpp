// The openai plugin, driven through the C ABI exactly as the host drives it.
#define BOOST_TEST_MODULE openai_plugin
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <algorithm>

#include "plugin_harness.hpp"
#include "spec_request_dump.hpp"

namespace json = boost::json;
using namespace sbtest;

namespace {

const std::string kKey = "sk-test-0123456789abcdefSECRETcret";
const std::string kBase = "https://api.openai.com/v1";
const std::string kChat =
    R"({"model":"ignored","messages":[{"role":"user","content":"Hello"}],"temperature":0.2})";

Plugin &plugin() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

Config cfg(std::string key = kKey, std::string base = kBase, std::string model = "gpt-4o-mini") {
    return Config(std::move(key), std::move(base), std::move(model));
}

json::object body_of(const Request &r) { return json::parse(r.body).as_object(); }

bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

void check_no_key_outside_auth(const Request &r) {
    BOOST_TEST(!contains(r.url, kKey));
    BOOST_TEST(!contains(r.body, kKey));
    for (const auto &h : r.headers)
        if (h.first != "authorization") BOOST_TEST(!contains(h.second, kKey), h.first);
}

ParseResult parse_status(int status, const std::string &body) {
    Config c = cfg();
    return plugin().parse_chat(c, status, body);
}

std::vector<std::string> with_done(std::vector<std::string> lines) {
    lines.push_back("[DONE]");
    return lines;
}

}  // namespace

// The binary rules (exports, runtime, ABI negotiation) are checked for every
// plugin at once in plugin_binaries_test.cpp.

BOOST_AUTO_TEST_CASE(descriptor) {
    const auto &d = plugin().descriptor();
    BOOST_TEST(d.struct_size >= sizeof(sb_provider_descriptor));
    BOOST_TEST(sv(d.id) == "openai");
    BOOST_TEST(sv(d.display_name) == "OpenAI");
    BOOST_TEST(sv(d.default_model) == "gpt-3.5-turbo");
    BOOST_TEST(sv(d.default_api_base) == "https://api.openai.com/v1");
    BOOST_TEST(sv(d.env_api_key) == "OPENAI_API_KEY");
    BOOST_TEST(sv(d.env_model) == "OPENAI_MODEL");
    BOOST_TEST(sv(d.env_api_base) == "OPENAI_API_BASE");
    BOOST_TEST(d.capabilities == (SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION |
                                  SB_CAP_MODEL_LISTING | SB_CAP_REQUIRES_API_KEY));
    BOOST_TEST(d.stream_framing == SB_FRAMING_SSE);
    std::vector<std::string> known;
    for (size_t i = 0; i < d.known_model_count; ++i) known.push_back(sv(d.known_models[i]));
    for (const char *m : {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
                          "gpt-4-turbo", "gpt-3.5-turbo", "o1", "o3-mini"})
        BOOST_TEST((std::find(known.begin(), known.end(), m) != known.end()), m);
}

BOOST_AUTO_TEST_SUITE(request)

BOOST_AUTO_TEST_CASE(plain_chat_request) {
    Config c = cfg();
    auto r = plugin().build_chat(c, kChat, false);
    BOOST_REQUIRE(r.status == SB_OK);
    dump_spec_request("openai", "plain_chat_request", "/chat/completions", "post", r.request.body);
    BOOST_TEST(!r.error.reported);
    BOOST_TEST(r.request.set_method_calls == 1);
    BOOST_TEST(r.request.set_url_calls == 1);
    BOOST_TEST(r.request.method == "POST");
    BOOST_TEST(r.request.url == "https://api.openai.com/v1/chat/completions");
    BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
    BOOST_TEST(r.request.header("Content-Type") == "application/json");
    auto b = body_of(r.request);
    BOOST_TEST(b.at("model").as_string() == "gpt-4o-mini");
    BOOST_TEST(b.at("temperature").as_double() == 0.2);
    BOOST_TEST(b.at("messages").as_array().size() == 1u);
    BOOST_TEST(!b.contains("stream"));
    BOOST_TEST(!b.contains("stream_options"));
    check_no_key_outside_auth(r.request);
}

BOOST_AUTO_TEST_CASE(non_stream_request_drops_client_stream_flags) {
    Config c = cfg();
    auto r = plugin().build_chat(
        c, R"({"messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}})",
        false);
    BOOST_REQUIRE(r.status == SB_OK);
    dump_spec_request("openai", "non_stream_request_drops_client_stream_flags", "/chat/completions", "post", r.request.body);
    auto b = body_of(r.request);
    BOOST_TEST(!b.contains("stream"));
    BOOST_TEST(!b.contains("stream_options"));
}

BOOST_AUTO_TEST_CASE(streaming_request_asks_for_usage) {
    Config c = cfg();
    auto r = plugin().build_chat(c, kChat, true);
    BOOST_REQUIRE(r.status == SB_OK);
    dump_spec_request("openai", "streaming_request_asks_for_usage", "/chat/completions", "post", r.request.body);
    auto b = body_of(r.request);
    BOOST_TEST(b.at("stream").as_bool() == true);
    BOOST_TEST(b.at("stream_options").at("include_usage").as_bool() == true);
    BOOST_TEST(b.at("model").as_string() == "gpt-4o-mini");
    BOOST_TEST(r.request.url == "https://api.openai.com/v1/chat/completions");
    BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
    check_no_key_outside_auth(r.request);
}

BOOST_AUTO_TEST_CASE(streaming_request_keeps_other_stream_options) {
    Config c = cfg();
    auto r = plugin().build_chat(
        c, R"({"messages":[],"stream_options":{"include_usage":false,"x_other":1}})", true);
    BOOST_REQUIRE(r.status == SB_OK);
    auto so = body_of(r.request).at("stream_options").as_object();
    BOOST_TEST(so.at("include_usage").as_bool() == true);
    BOOST_TEST(so.at("x_other").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(tools_and_images_pass_through) {
    Config c = cfg();
    const std::string body =
        R"({"messages":[{"role":"user","content":[{"type":"text","text":"what?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],)"
        R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto"})";
    auto r = plugin().build_chat(c, body, false);
    BOOST_REQUIRE(r.status == SB_OK);
    dump_spec_request("openai", "tools_and_images_pass_through", "/chat/completions", "post", r.request.body);
    auto b = body_of(r.request);
    auto in = json::parse(body).as_object();
    BOOST_TEST(json::serialize(b.at("tools")) == json::serialize(in.at("tools")));
    BOOST_TEST(json::serialize(b.at("messages")) == json::serialize(in.at("messages")));
    BOOST_TEST(b.at("tool_choice").as_string() == "auto");
}

BOOST_AUTO_TEST_CASE(base_with_trailing_slashes) {
    Config c = cfg(kKey, "http://localhost:8080/v1//");
    auto r = plugin().build_chat(c, kChat, false);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.request.url == "http://localhost:8080/v1/chat/completions");
}

// The host validates the body and resolves the model before it calls a
// plugin (ABI 1.2): the plugin names the model it is given, not the body's.
BOOST_AUTO_TEST_CASE(names_the_host_resolved_model) {
    Config c = cfg(kKey, kBase, "gpt-4.1");
    auto r = plugin().build_chat(c, R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}]})", false);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(body_of(r.request).at("model").as_string() == "gpt-4.1");
}

// A number no vendor could be sent is still refused (the host does not
// look at numbers).
BOOST_AUTO_TEST_CASE(number_out_of_range_is_invalid_request) {
    Config c = cfg();
    auto r = plugin().build_chat(c, R"({"messages":[{"role":"user","content":"x"}],"temperature":1e999})", false);
    BOOST_TEST(r.status == SB_ERR_INVALID_ARGUMENT);
    BOOST_TEST(r.error.reports == 1);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_REQUEST);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(response)

BOOST_AUTO_TEST_CASE(chat_completion_passes_through) {
    for (std::string f : {"openai/chat_completion.json", "openai/openai-text.json"}) {
        std::string body = fixture(f);
        auto r = parse_status(200, body);
        BOOST_TEST(r.status == SB_OK, f);
        BOOST_TEST(!r.error.reported);
        BOOST_TEST(r.body == body);
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
        {401, "openai/error-401-invalid-api-key.json", SB_ERROR_INVALID_API_KEY, "Incorrect API key provided"},
        {403, "openai/error-401-invalid-api-key.json", SB_ERROR_INVALID_API_KEY, "Incorrect API key provided"},
        {404, "openai/error-404-model-not-found.json", SB_ERROR_MODEL_NOT_FOUND, "The model `gpt-5-ultra` does not exist"},
        {429, "openai/error-429-rate-limit.json", SB_ERROR_RATE_LIMITED, "Rate limit reached"},
        {429, "openai/error-429-insufficient-quota.json", SB_ERROR_RATE_LIMITED, "You exceeded your current quota"},
        {500, "openai/error-500-server-error.json", SB_ERROR_UPSTREAM, "The server had an error"},
        {503, "openai/error-500-server-error.json", SB_ERROR_UPSTREAM, "The server had an error"},
        {400, "openai/error-400-context-length.json", SB_ERROR_CONTEXT_LENGTH, "maximum context length is 16385"},
        {400, "openai/error-400-unsupported-parameter.json", SB_ERROR_INVALID_REQUEST, "Unsupported parameter: 'max_tokens'"},
        {404, "openai/error-404-invalid-url.json", SB_ERROR_API_BASE_INCORRECT, "Invalid URL"},
        {404, "openai/error-404-html.html", SB_ERROR_API_BASE_INCORRECT, "api_base"},
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

BOOST_AUTO_TEST_CASE(redirect_is_api_base_incorrect) {
    auto r = parse_status(301, "<html>Moved</html>");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    BOOST_TEST(r.error.http_status == 301);
}

BOOST_AUTO_TEST_CASE(success_status_with_garbage_is_api_base_incorrect) {
    for (std::string body : {std::string("<!doctype html><html><body>Welcome to nginx!</body></html>"),
                             std::string(""), std::string(R"({"status":"ok"})"), std::string("[1,2,3]"),
                             fixture("openai/models.json")}) {
        auto r = parse_status(200, body);
        BOOST_TEST_CONTEXT(body.substr(0, 40)) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
            BOOST_TEST(contains(r.error.message,
                                "the API base answered, but not with an OpenAI-compatible response"),
                       r.error.message);
            BOOST_TEST(r.body.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(error_messages_never_carry_the_key) {
    const std::string body = R"({"error":{"message":"Incorrect API key provided: )" + kKey +
                             R"(.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
    auto r = parse_status(401, body);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    BOOST_TEST(!contains(r.error.message, kKey), r.error.message);
    BOOST_TEST(contains(r.error.message, "Incorrect API key provided"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(streaming)

BOOST_AUTO_TEST_CASE(recorded_stream_passes_through_with_its_usage) {
    auto lines = fixture_lines("openai/openai-text.chunks.txt");
    BOOST_REQUIRE(lines.size() > 10u);
    Config c = cfg();
    auto r = plugin().stream(c, kChat, with_done(lines));
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_TEST(!r.error.reported);
    BOOST_TEST(r.chunks == lines);  // every chunk as is, in order, no synthesized usage
    auto last = json::parse(r.chunks.back()).as_object();
    BOOST_TEST(last.at("usage").at("total_tokens").as_int64() == 316);
}

BOOST_AUTO_TEST_CASE(done_ends_the_stream) {
    auto lines = fixture_lines("openai/openai-text.chunks.txt");
    std::vector<std::string> events(lines.begin(), lines.begin() + 3);
    events.push_back("[DONE]");
    events.push_back(lines[3]);
    size_t consumed = 0;
    Config c = cfg();
    auto r = plugin().stream(c, kChat, events, &consumed);
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_TEST(consumed == 4u);
    // 3 chunks, then the usage chunk stream_close adds since none came.
    BOOST_REQUIRE(r.chunks.size() == 4u);
    auto usage = json::parse(r.chunks.back()).as_object();
    BOOST_TEST(usage.at("object").as_string() == "chat.completion.chunk");
    BOOST_TEST(usage.at("id").as_string() == "chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0");
    BOOST_TEST(usage.at("choices").as_array().empty());
    BOOST_TEST(usage.at("usage").as_object().contains("total_tokens"));
}

BOOST_AUTO_TEST_CASE(stream_without_usage_gets_one_usage_chunk) {
    auto lines = fixture_lines("openai/spec-streaming.chunks.txt");
    Config c = cfg();
    auto r = plugin().stream(c, kChat, with_done(lines));
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_REQUIRE(r.chunks.size() == lines.size() + 1);
    for (size_t i = 0; i < lines.size(); ++i) BOOST_TEST(r.chunks[i] == lines[i]);
    auto usage = json::parse(r.chunks.back()).as_object();
    BOOST_TEST(usage.at("model").as_string() == "gpt-4o-mini");
    BOOST_TEST(usage.at("usage").is_object());
    int with_usage = 0;
    for (const auto &ch : r.chunks) {
        auto o = json::parse(ch).as_object();
        if (o.contains("usage") && o.at("usage").is_object()) ++with_usage;
    }
    BOOST_TEST(with_usage == 1);
}

BOOST_AUTO_TEST_CASE(whitespace_around_payload_is_ignored) {
    auto lines = fixture_lines("openai/openai-text.chunks.txt");
    Config c = cfg();
    auto r = plugin().stream(c, kChat, {" " + lines[0], "", " [DONE] "});
    BOOST_TEST(r.status == SB_STREAM_END);
    BOOST_REQUIRE(r.chunks.size() == 2u);
    BOOST_TEST(r.chunks[0] == lines[0]);
}

BOOST_AUTO_TEST_CASE(mid_stream_error_is_upstream) {
    auto lines = fixture_lines("openai/stream-error.chunks.txt");
    Config c = cfg();
    auto r = plugin().stream(c, kChat, with_done(lines));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.reports == 1);
    BOOST_TEST(r.error.kind == SB_ERROR_UPSTREAM);
    BOOST_TEST(contains(r.error.message, "The server had an error"));
    BOOST_REQUIRE(r.chunks.size() == 1u);  // the chunk before the error; nothing on abandon
    BOOST_TEST(r.chunks[0] == lines[0]);
}

BOOST_AUTO_TEST_CASE(mid_stream_rate_limit_is_classified) {
    Config c = cfg();
    auto r = plugin().stream(
        c, kChat, {R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})"});
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_RATE_LIMITED);
}

BOOST_AUTO_TEST_CASE(garbage_event_is_an_error) {
    Config c = cfg();
    auto r = plugin().stream(c, kChat, {"<html>"});
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
    Config c = cfg(kKey, "https://api.openai.com/v1/");
    auto r = plugin().build_models(c);
    BOOST_REQUIRE(r.status == SB_OK);
    BOOST_TEST(r.request.method == "GET");
    BOOST_TEST(r.request.url == "https://api.openai.com/v1/models");
    BOOST_TEST(r.request.header("Authorization") == "Bearer " + kKey);
    BOOST_TEST(r.request.body.empty());
    check_no_key_outside_auth(r.request);
}

BOOST_AUTO_TEST_CASE(models_response) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 200, fixture("openai/models.json"));
    BOOST_TEST(r.status == SB_OK);
    BOOST_TEST(r.ids == (std::vector<std::string>{"model-id-0", "model-id-1", "model-id-2"}));
}

BOOST_AUTO_TEST_CASE(models_errors) {
    Config c = cfg();
    auto r = plugin().parse_models(c, 401, fixture("openai/error-401-invalid-api-key.json"));
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_INVALID_API_KEY);
    r = plugin().parse_models(c, 200, "<html>hello</html>");
    BOOST_TEST(r.status == SB_ERR_UPSTREAM);
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    r = plugin().parse_models(c, 404, fixture("openai/error-404-html.html"));
    BOOST_TEST(r.error.kind == SB_ERROR_API_BASE_INCORRECT);
    BOOST_TEST(r.ids.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// What today's models accept: max_completion_tokens everywhere, and the
// reasoning models' sampling rules enforced here with a 400 that names the
// field instead of a vendor 400 the client has to decode.
BOOST_AUTO_TEST_SUITE(current_models)

ChatResult build_for(const std::string &model, const std::string &extra) {
    Config c = cfg(kKey, kBase, model);
    return plugin().build_chat(c, R"({"messages":[{"role":"user","content":"x"}])" + extra + "}", false);
}

BOOST_AUTO_TEST_CASE(max_tokens_goes_out_as_max_completion_tokens) {
    for (std::string model : {"gpt-4o-mini", "gpt-5", "o3-mini"}) {
        auto r = build_for(model, R"(,"max_tokens":16)");
        BOOST_TEST_REQUIRE(r.status == SB_OK, model << ": " << r.error.message);
        dump_spec_request("openai", "max_completion_tokens_" + model, "/chat/completions", "post", r.request.body);
        auto b = body_of(r.request);
        BOOST_TEST(!b.contains("max_tokens"), model);
        BOOST_TEST(b.at("max_completion_tokens").as_int64() == 16, model);
    }
    // An explicit max_completion_tokens wins.
    auto r = build_for("gpt-5", R"(,"max_tokens":16,"max_completion_tokens":2048)");
    BOOST_TEST_REQUIRE(r.status == SB_OK);
    auto b = body_of(r.request);
    BOOST_TEST(!b.contains("max_tokens"));
    BOOST_TEST(b.at("max_completion_tokens").as_int64() == 2048);
}

BOOST_AUTO_TEST_CASE(reasoning_models_refuse_sampling_fields_by_name) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"gpt-5", R"("temperature":0.2)"},      {"gpt-5-mini", R"("top_p":0.5)"},
        {"o3-mini", R"("presence_penalty":1)"}, {"o4-mini", R"("frequency_penalty":0.3)"},
        {"gpt-5.2", R"("logprobs":true)"},      {"o1", R"("logit_bias":{"50256":-100})"},
        {"gpt-5", R"("stop":["END"])"},         {"openai/gpt-5-nano", R"("temperature":0)"},
        {"gpt-5.1", R"("temperature":0.2,"reasoning_effort":"low")"},
    };
    for (const auto &[model, field] : cases) {
        auto r = build_for(model, "," + field);
        const std::string name = field.substr(1, field.find('"', 1) - 1);
        BOOST_TEST_CONTEXT(model << " " << field) {
            BOOST_TEST(r.status == SB_ERR_INVALID_ARGUMENT);
            BOOST_TEST(r.error.kind == SB_ERROR_INVALID_REQUEST);
            BOOST_TEST(contains(r.error.message, "\"" + name + "\""), r.error.message);
            BOOST_TEST(contains(r.error.message, model), r.error.message);
            BOOST_TEST(r.request.body.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(reasoning_models_drop_fields_at_their_only_value) {
    auto r = build_for("gpt-5", R"(,"temperature":1,"top_p":1,"presence_penalty":0,"frequency_penalty":0,)"
                                R"("logprobs":false,"stop":[],"reasoning_effort":"minimal","seed":3)");
    BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
    dump_spec_request("openai", "reasoning_defaults_dropped", "/chat/completions", "post", r.request.body);
    auto b = body_of(r.request);
    for (const char *k : {"temperature", "top_p", "presence_penalty", "frequency_penalty", "logprobs", "stop"})
        BOOST_TEST(!b.contains(k), k);
    BOOST_TEST(b.at("reasoning_effort").as_string() == "minimal");
    BOOST_TEST(b.at("seed").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(models_that_sample_keep_their_fields) {
    // Not reasoning models, or gpt-5.1+ with no reasoning at all.
    for (const auto &[model, extra] : std::vector<std::pair<std::string, std::string>>{
             {"gpt-4o", ""},
             {"gpt-4.1-mini", ""},
             {"gpt-5-chat-latest", ""},
             {"gpt-5.1", R"(,"reasoning_effort":"none")"},
             {"gpt-5.2-pro", R"(,"reasoning_effort":"none")"}}) {
        auto r = build_for(model, R"(,"temperature":0.2,"top_p":0.9,"stop":["END"])" + extra);
        BOOST_TEST_REQUIRE(r.status == SB_OK, model << ": " << r.error.message);
        auto b = body_of(r.request);
        BOOST_TEST(b.at("temperature").as_double() == 0.2, model);
        BOOST_TEST(b.at("top_p").as_double() == 0.9, model);
        BOOST_TEST(b.at("stop").as_array().size() == 1u, model);
    }
}

BOOST_AUTO_TEST_CASE(a_forbidden_key_is_not_a_bad_key) {
    const std::vector<response::ErrorCase> cases = {
        {403, "openai/error-403-region.json", SB_ERROR_PERMISSION_DENIED, "Country, region, or territory not supported"},
        {403, "openai/error-403-missing-scope.json", SB_ERROR_PERMISSION_DENIED, "Missing scopes: model.request"},
        {403, "openai/error-401-invalid-api-key.json", SB_ERROR_INVALID_API_KEY, "Incorrect API key provided"},
        {403, "openai/error-404-html.html", SB_ERROR_INVALID_API_KEY, "rejected the API key"},
    };
    for (const auto &c : cases) {
        auto r = parse_status(c.status, fixture(c.file));
        BOOST_TEST_CONTEXT(c.file) {
            BOOST_TEST(r.status == SB_ERR_UPSTREAM);
            BOOST_TEST(r.error.kind == c.kind);
            BOOST_TEST(r.error.http_status == 403);
            BOOST_TEST(contains(r.error.message, c.message_part), r.error.message);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
