// Every vendor provider (anthropic, google, cohere, mistral, together) end to
// end: the real daemon, the real plugin, and a loopback mock speaking the
// vendor's own dialect (tests/support/mock_vendor_upstreams.hpp). Each case
// checks what the client gets back (OpenAI shapes, translated from the
// vendor's recorded fixtures) and what reached the vendor (path, auth
// header, never the key in a URL or a response).
#include "integration/integration_fixture.hpp"
#include "support/mock_vendor_upstreams.hpp"

#include <algorithm>
#include <set>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

struct VendorCase {
    VendorDialect dialect;
    std::string id;          // provider id
    std::string env;         // env var prefix
    std::string model;       // a model of the vendor's live list
    std::string excluded;    // a live-list entry that is not a chat model ("" = none)
    std::string tool_stream; // tool-call stream fixture ("" = none)
    std::string tool_reply;  // plain tool-call response fixture
    std::string key() const { return id + "-e2e-secret-key-0123456789abcdef"; }
};

const VendorCase anthropic_case{VendorDialect::anthropic, "anthropic", "ANTHROPIC", "claude-haiku-4-5-20251001", "",
                                "anthropic-json-tool.1.chunks.txt", "anthropic-json-tool.1.json"};
const VendorCase google_case{VendorDialect::gemini, "google", "GOOGLE", "gemini-2.5-flash", "text-embedding-004",
                             "google-tool-call.chunks.txt", "google-tool-call.json"};
const VendorCase cohere_case{VendorDialect::cohere, "cohere", "COHERE", "command-a-03-2025", "embed-english-v3.0",
                             "cohere-tool-call.chunks.txt", "cohere-tool-call.json"};
const VendorCase mistral_case{VendorDialect::mistral, "mistral", "MISTRAL", "mistral-small-latest", "",
                              "mistral-tool-call.chunks.txt", "mistral-tool-call.json"};
const VendorCase together_case{VendorDialect::together, "together", "TOGETHER",
                               "meta-llama/Llama-3.3-70B-Instruct-Turbo", "", "tool-call.chunks.txt", "tool_call.json"};

std::vector<std::string> vendor_plugins() {
    return {"switchboard-anthropic.so", "switchboard-google.so", "switchboard-cohere.so", "switchboard-mistral.so",
            "switchboard-together.so"};
}

// A daemon with every vendor plugin and this provider configured against its
// mock (key, base, model) and active.
struct VendorHarness {
    explicit VendorHarness(const VendorCase &c) : vc(c), h(vendor_plugins()), mock(c.dialect) { start(c.key()); }

    void start(const std::string &key) {
        h.start({{vc.env + "_API_KEY", key},
                 {vc.env + "_API_BASE", mock.base_url()},
                 {vc.env + "_MODEL", vc.model},
                 {"LLM_PROVIDER", vc.id}});
    }

    ~VendorHarness() {
        // The key never reaches the daemon's log either.
        if (h.has_daemon())
            BOOST_CHECK_MESSAGE(h.log_text().find(vc.key()) == std::string::npos,
                                vc.id << ": the API key is in the daemon log");
    }

    // Asserts the configured key shows nowhere in what the client got.
    void check_no_key(const TestHttpResponse &r, std::string_view what) const {
        BOOST_TEST(r.body.find(vc.key()) == std::string::npos, what << ": the API key is in the body: " << r.body);
        BOOST_TEST(r.headers_text().find(vc.key()) == std::string::npos,
                   what << ": the API key is in a header: " << r.headers_text());
    }

    // Asserts every request the mock got carried the key the vendor's way,
    // and (Gemini) never in the URL.
    void check_vendor_auth(std::string_view expected_key) const {
        auto all = mock.requests();
        BOOST_TEST(!all.empty(), "the mock got no request");
        for (const auto &r : all) {
            BOOST_TEST_CONTEXT(r.method << " " << r.target) {
                BOOST_TEST(mock.sent_key(r) == expected_key);
                BOOST_TEST(r.target.find(std::string(expected_key)) == std::string::npos, "key in the URL");
                BOOST_TEST(r.target.find("key=") == std::string::npos, "key= query parameter in the URL");
                switch (vc.dialect) {
                case VendorDialect::anthropic:
                    BOOST_TEST(r.header("x-api-key") == expected_key);
                    BOOST_TEST(r.header("anthropic-version") == "2023-06-01");
                    BOOST_TEST(!r.has_header("Authorization"), "Anthropic takes no bearer token");
                    break;
                case VendorDialect::gemini:
                    BOOST_TEST(r.header("x-goog-api-key") == expected_key);
                    BOOST_TEST(!r.has_header("Authorization"), "Gemini keys go in x-goog-api-key");
                    break;
                default: BOOST_TEST(r.header("Authorization") == "Bearer " + std::string(expected_key));
                }
            }
        }
    }

    VendorCase vc;
    Harness h;
    MockVendorUpstream mock;
};

std::string chat_path_of(const VendorCase &c, bool stream) {
    switch (c.dialect) {
    case VendorDialect::anthropic: return "/v1/messages";
    case VendorDialect::gemini:
        return "/v1beta/models/" + c.model + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent");
    case VendorDialect::cohere: return "/v2/chat";
    default: return "/v1/chat/completions";
    }
}

std::string fixture_reply_text(const VendorHarness &v) {
    return vendor_expect::reply_text(v.vc.dialect, parse_json(read_fixture_file(v.mock.reply_fixture())));
}

long number_at(const json::value &doc, std::string_view dotted) {
    const json::value *n = find(doc, dotted);
    if (!n || !n->is_number()) return -1;
    return n->to_number<long>();
}

// The daemon's SSE answer, split into its data payloads.
struct DaemonStream {
    std::vector<std::string> payloads;  // every data: payload, "[DONE]" included
    std::vector<json::value> chunks;    // the JSON payloads, in order
    std::vector<std::string> other_lines;
    bool ends_with_done = false;
    std::size_t done_count = 0;
};

DaemonStream parse_daemon_stream(const std::string &body) {
    DaemonStream s;
    std::string normalized;
    normalized.reserve(body.size());
    for (char c : body)
        if (c != '\r') normalized += c;
    std::size_t pos = 0;
    while (pos < normalized.size()) {
        auto end = normalized.find('\n', pos);
        std::string line = normalized.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? normalized.size() : end + 1;
        if (line.empty() || line[0] == ':') continue;
        if (line.rfind("data:", 0) == 0) {
            std::string data = line.substr(5);
            if (!data.empty() && data[0] == ' ') data.erase(0, 1);
            s.payloads.push_back(data);
            if (data == "[DONE]") {
                ++s.done_count;
            } else {
                try {
                    s.chunks.push_back(parse_json(data));
                } catch (const std::exception &e) {
                    s.other_lines.push_back("unparseable data: " + data);
                }
            }
        } else {
            s.other_lines.push_back(line);
        }
    }
    s.ends_with_done = !s.payloads.empty() && s.payloads.back() == "[DONE]";
    return s;
}

bool has_usage(const json::value &chunk) {
    const json::value *u = find(chunk, "usage");
    return u && u->is_object();
}

std::string stream_content(const DaemonStream &s) {
    std::string out;
    for (const auto &c : s.chunks) {
        const json::value *content = find(c, "choices.0.delta.content");
        if (content && content->is_string()) out += content->get_string();
    }
    return out;
}

std::vector<vendor_expect::ToolCall> stream_tool_calls(const DaemonStream &s) {
    std::map<long, vendor_expect::ToolCall> by_index;
    for (const auto &c : s.chunks) {
        for (const auto &tc : items(c, "choices.0.delta.tool_calls")) {
            long index = number_at(tc, "index");
            BOOST_TEST(index >= 0, "tool_calls delta without an index: " << json::serialize(tc));
            auto &call = by_index[index];
            std::string id = text(tc, "id");
            if (id.rfind("<", 0) != 0 && !id.empty()) {
                BOOST_TEST((call.id.empty() || call.id == id), "tool call " << index << " changed id");
                call.id = id;
            }
            std::string name = text(tc, "function.name");
            if (name.rfind("<", 0) != 0 && !name.empty()) call.name = name;
            std::string args = text(tc, "function.arguments");
            if (args.rfind("<", 0) != 0) call.arguments += args;
        }
    }
    std::vector<vendor_expect::ToolCall> out;
    for (auto &[i, call] : by_index) out.push_back(call);
    return out;
}

json::value args_json(const std::string &arguments) {
    if (arguments.empty()) return json::object{};
    try {
        return parse_json(arguments);
    } catch (const std::exception &) {
        return json::string("<unparseable: " + arguments + ">");
    }
}

void check_tool_calls(const DaemonStream &s, const std::vector<vendor_expect::ToolCall> &expected) {
    auto got = stream_tool_calls(s);
    BOOST_TEST_REQUIRE(got.size() == expected.size(), "tool calls: got " << got.size() << ", want " << expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        BOOST_TEST_CONTEXT("tool call " << i) {
            if (expected[i].id.empty())
                BOOST_TEST(!got[i].id.empty(), "the daemon must invent an id when the vendor gives none");
            else
                BOOST_TEST(got[i].id == expected[i].id);
            BOOST_TEST(got[i].name == expected[i].name);
            BOOST_TEST(json::serialize(args_json(got[i].arguments)) == json::serialize(args_json(expected[i].arguments)),
                       "arguments " << got[i].arguments << " vs vendor " << expected[i].arguments);
        }
    }
}

// A well-formed, error-free OpenAI stream: only chat.completion.chunk
// objects, exactly one usage chunk near the end, [DONE] last and once.
void check_clean_stream(const TestHttpResponse &r, const DaemonStream &s) {
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.header("Content-Type").find("text/event-stream") != std::string::npos, r.header("Content-Type"));
    BOOST_TEST(s.other_lines.empty(), "unexpected lines: " << (s.other_lines.empty() ? "" : s.other_lines.front()));
    BOOST_TEST(s.ends_with_done, "the stream must end in data: [DONE]: " << r.body);
    BOOST_TEST(s.done_count == 1u);
    BOOST_TEST(!s.chunks.empty());
    std::size_t usage_chunks = 0, last_usage = 0;
    bool finished = false;
    static const std::set<std::string> finish_reasons{"stop", "length", "tool_calls", "content_filter",
                                                      "function_call"};
    for (std::size_t i = 0; i < s.chunks.size(); ++i) {
        const auto &c = s.chunks[i];
        BOOST_TEST(!find(c, "error"), "error in the stream: " << json::serialize(c));
        BOOST_TEST(text(c, "object") == "chat.completion.chunk", json::serialize(c));
        if (has_usage(c)) {
            ++usage_chunks;
            last_usage = i;
            BOOST_TEST(number_at(c, "usage.prompt_tokens") >= 0, json::serialize(c));
            BOOST_TEST(number_at(c, "usage.completion_tokens") >= 0, json::serialize(c));
            BOOST_TEST(number_at(c, "usage.total_tokens") >= 0, json::serialize(c));
        }
        const json::value *fr = find(c, "choices.0.finish_reason");
        if (fr && fr->is_string()) {
            finished = true;
            BOOST_TEST(finish_reasons.count(std::string(fr->get_string())) == 1u,
                       "finish_reason outside OpenAI's set: " << json::serialize(c));
        }
    }
    BOOST_TEST(usage_chunks == 1u, "usage chunks: " << usage_chunks << "\n" << r.body);
    if (usage_chunks == 1u)
        BOOST_TEST(last_usage + 2 >= s.chunks.size(),
                   "the usage chunk is chunk " << last_usage << " of " << s.chunks.size());
    BOOST_TEST(finished, "no chunk carries a finish_reason");
}

json::object stream_body(const VendorCase &c) {
    json::object body = chat_body(c.id + "/" + c.model);
    body["stream"] = true;
    return body;
}

json::array weather_tools() {
    json::object params{{"type", "object"},
                        {"properties", json::object{{"location", json::object{{"type", "string"}}}}}};
    return json::array{
        json::object{{"type", "function"},
                     {"function", json::object{{"name", "weather"}, {"description", "weather"}, {"parameters", params}}}},
        json::object{{"type", "function"},
                     {"function", json::object{{"name", "get_weather"}, {"parameters", params}}}},
        json::object{{"type", "function"}, {"function", json::object{{"name", "json"}, {"parameters", params}}}}};
}

// ---- the scenarios, one function per aspect, run for every provider ----

void test_endpoint_succeeds(const VendorCase &c) {
    VendorHarness v(c);
    auto r = v.h.post_json(test_path, json::object{{"provider", c.id}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(is_true(doc, "ok"), r.body);
    BOOST_TEST(text(doc, "provider") == c.id);
    BOOST_TEST(text(doc, "model") == c.model);
    BOOST_TEST(text(doc, "reply") == fixture_reply_text(v), r.body);
    v.check_no_key(r, "/test");
    auto sent = v.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value(), "the mock saw no chat request");
    BOOST_TEST(sent->method == "POST");
    BOOST_TEST(sent->target == chat_path_of(c, false));
    v.check_vendor_auth(c.key());
}

void test_endpoint_classifies_vendor_errors(const VendorCase &c) {
    VendorHarness v(c);
    std::vector<std::string> bad_keys{"bad-key"};
    if (c.dialect == VendorDialect::cohere) bad_keys.push_back("bad-key-498");
    for (const auto &bad : bad_keys) {
        BOOST_TEST_CONTEXT("api_key " << bad) {
            auto r = v.h.post_json(test_path, json::object{{"provider", c.id}, {"api_key", bad}});
            BOOST_TEST_REQUIRE(r.status == 200u, r.body);
            auto doc = r.json();
            BOOST_TEST(is_false(doc, "ok"), r.body);
            BOOST_TEST(text(doc, "provider") == c.id);
            BOOST_TEST(text(doc, "error.type") == "invalid_api_key", r.body);
            BOOST_TEST(r.body.find(bad) == std::string::npos, "the tried key is echoed: " << r.body);
            v.check_no_key(r, "/test bad key");
            auto sent = v.mock.last_chat_request();
            BOOST_TEST_REQUIRE(sent.has_value());
            BOOST_TEST(v.mock.sent_key(*sent) == bad);
        }
    }
    {
        auto r = v.h.post_json(test_path, json::object{{"provider", c.id}, {"model", "missing-model"}});
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
        auto doc = r.json();
        BOOST_TEST(is_false(doc, "ok"), r.body);
        BOOST_TEST(text(doc, "model") == "missing-model");
        BOOST_TEST(text(doc, "error.type") == "model_not_found", r.body);
        BOOST_TEST(text(doc, "error.message").find("missing-model") != std::string::npos,
                   "the vendor's message is carried: " << r.body);
        v.check_no_key(r, "/test missing model");
        auto sent = v.mock.last_chat_request();
        BOOST_TEST_REQUIRE(sent.has_value());
        BOOST_TEST(v.mock.sent_key(*sent) == c.key());
    }
    // The same classes on the data plane.
    {
        auto r = v.h.post_json(chat_path, chat_body(c.id + "/missing-model"));
        check_error(r, 404, "not_found_error", "model_not_found");
        BOOST_TEST(text(r.json(), "error.message").find("missing-model") != std::string::npos, r.body);
        BOOST_TEST(text(r.json(), "error.provider") == c.id, r.body);
        v.check_no_key(r, "chat missing model");
        auto body = stream_body(c);
        body["model"] = c.id + "/missing-model";
        auto rs = v.h.post_json(chat_path, body);
        check_error(rs, 404, "not_found_error", "model_not_found");
        v.check_no_key(rs, "stream missing model");
    }
    for (const auto &bad : bad_keys) {
        BOOST_TEST_CONTEXT("data plane, api_key " << bad) {
            v.start(bad);
            auto r = v.h.post_json(chat_path, chat_body(c.id + "/" + c.model));
            check_error(r, 401, "authentication_error", "invalid_api_key");
            BOOST_TEST(r.body.find(bad) == std::string::npos, "the key is echoed: " << r.body);
            auto s = stream_body(c);
            auto rs = v.h.post_json(chat_path, s);
            check_error(rs, 401, "authentication_error", "invalid_api_key");
            auto sent = v.mock.last_chat_request();
            BOOST_TEST_REQUIRE(sent.has_value());
            BOOST_TEST(v.mock.sent_key(*sent) == bad);
        }
    }
}

// Rate limits, vendor 5xx and a base that is not the API keep their class
// through /test and the data plane, with the vendor's message.
void other_vendor_errors_keep_their_class(const VendorCase &c) {
    VendorHarness v(c);
    struct Row {
        std::string model;
        std::string test_type;
        unsigned status;
        std::string type;
    };
    for (const Row &row : {Row{"ratelimited-model", "rate_limit_exceeded", 429, "rate_limit_error"},
                           Row{"boom-model", "upstream_error", 502, "upstream_error"}}) {
        BOOST_TEST_CONTEXT("model " << row.model) {
            auto r = v.h.post_json(test_path, json::object{{"provider", c.id}, {"model", row.model}});
            BOOST_TEST_REQUIRE(r.status == 200u, r.body);
            BOOST_TEST(is_false(r.json(), "ok"), r.body);
            BOOST_TEST(text(r.json(), "error.type") == row.test_type, r.body);
            v.check_no_key(r, "/test " + row.model);
            auto chat = v.h.post_json(chat_path, chat_body(c.id + "/" + row.model));
            check_error(chat, row.status, row.type);
            BOOST_TEST(text(chat.json(), "error.provider") == c.id, chat.body);
            v.check_no_key(chat, "chat " + row.model);
            auto body = stream_body(c);
            body["model"] = c.id + "/" + row.model;
            auto stream = v.h.post_json(chat_path, body);
            check_error(stream, row.status, row.type);
        }
    }
    BOOST_TEST_CONTEXT("api_base under /notapi") {
        auto r = v.h.post_json(test_path, json::object{{"provider", c.id},
                                                       {"api_base", v.mock.server().base_url() + "/notapi"},
                                                       {"api_key", c.key()}});
        BOOST_TEST_REQUIRE(r.status == 200u, r.body);
        BOOST_TEST(is_false(r.json(), "ok"), r.body);
        BOOST_TEST(text(r.json(), "error.type") == "api_base_incorrect", r.body);
        v.check_no_key(r, "/test notapi");
    }
    v.check_vendor_auth(c.key());
}

void models_are_live(const VendorCase &c) {
    VendorHarness v(c);
    auto r = v.h.get(std::string(models_path) + "?provider=" + c.id);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST_REQUIRE(array_size(doc, "providers") == 1, r.body);
    BOOST_TEST(text(doc, "providers.0.provider") == c.id);
    BOOST_TEST(text(doc, "providers.0.source") == "live", r.body);
    BOOST_TEST(is_null_at(doc, "providers.0.live_error"), r.body);
    std::vector<std::string> models;
    for (const auto &m : items(doc, "providers.0.models"))
        if (m.is_string()) models.emplace_back(m.get_string());
    BOOST_TEST((std::find(models.begin(), models.end(), c.model) != models.end()),
               c.model << " missing from " << r.body);
    if (!c.excluded.empty())
        BOOST_TEST((std::find(models.begin(), models.end(), c.excluded) == models.end()),
                   c.excluded << " is not a chat model: " << r.body);
    for (const auto &m : models) BOOST_TEST(m.rfind("models/", 0) != 0, "resource prefix left on " << m);
    v.check_no_key(r, "models");
    auto lists = v.mock.model_list_requests();
    BOOST_TEST_REQUIRE(!lists.empty(), "the mock saw no model-list request");
    BOOST_TEST(lists.back().method == "GET");
    v.check_vendor_auth(c.key());

    // /v1/models lists them provider-prefixed.
    auto all = v.h.get(v1_models_path);
    BOOST_TEST_REQUIRE(all.status == 200u, all.body);
    BOOST_TEST(find_in(find(all.json(), "data"), "id", c.id + "/" + c.model) != nullptr, all.body);
    v.check_no_key(all, "/v1/models");
}

void plain_chat_is_translated(const VendorCase &c) {
    VendorHarness v(c);
    auto r = v.h.post_json(chat_path, chat_body(c.id + "/" + c.model));
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(text(doc, "object") == "chat.completion");
    BOOST_TEST(text(doc, "choices.0.message.role") == "assistant");
    BOOST_TEST(text(doc, "choices.0.message.content") == fixture_reply_text(v), r.body);
    BOOST_TEST(text(doc, "choices.0.finish_reason") == "stop", r.body);
    long prompt = number_at(doc, "usage.prompt_tokens"), completion = number_at(doc, "usage.completion_tokens"),
         total = number_at(doc, "usage.total_tokens");
    BOOST_TEST(prompt > 0, r.body);
    BOOST_TEST(completion > 0, r.body);
    BOOST_TEST(total >= prompt + completion, r.body);
    BOOST_TEST(r.header("x-switchboard-provider") == c.id);
    v.check_no_key(r, "chat");
    auto sent = v.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->target == chat_path_of(c, false));
    auto body = parse_json(sent->body);
    if (c.dialect != VendorDialect::gemini) {
        BOOST_TEST(text(body, "model") == c.model, "the provider prefix is stripped: " << sent->body);
        BOOST_TEST(!is_true(body, "stream"), sent->body);
    }
    BOOST_TEST(sent->body.find("ping") != std::string::npos, sent->body);
    v.check_vendor_auth(c.key());
}

void plain_tool_call_is_translated(const VendorCase &c) {
    VendorHarness v(c);
    v.mock.set_reply_fixture(c.tool_reply);
    auto expected = vendor_expect::reply_tool_calls(c.dialect, parse_json(read_fixture_file(v.mock.reply_fixture())));
    BOOST_TEST_REQUIRE(!expected.empty(), "the fixture has no tool call");
    auto body = chat_body(c.id + "/" + c.model);
    body["tools"] = weather_tools();
    auto r = v.h.post_json(chat_path, body);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(text(doc, "object") == "chat.completion");
    BOOST_TEST(text(doc, "choices.0.finish_reason") == "tool_calls", r.body);
    const auto &got = items(doc, "choices.0.message.tool_calls");
    BOOST_TEST_REQUIRE(got.size() == expected.size(), r.body);
    for (std::size_t i = 0; i < got.size(); ++i) {
        BOOST_TEST_CONTEXT("tool call " << i) {
            BOOST_TEST(text(got[i], "type") == "function");
            if (expected[i].id.empty())
                BOOST_TEST(text(got[i], "id").rfind("<", 0) != 0);
            else
                BOOST_TEST(text(got[i], "id") == expected[i].id);
            BOOST_TEST(text(got[i], "function.name") == expected[i].name);
            BOOST_TEST(json::serialize(args_json(text(got[i], "function.arguments"))) ==
                           json::serialize(args_json(expected[i].arguments)),
                       r.body);
        }
    }
    v.check_no_key(r, "plain tool call");
    v.check_vendor_auth(c.key());
}

void stream_is_translated(const VendorCase &c) {
    VendorHarness v(c);
    auto r = v.h.post_json(chat_path, stream_body(c));
    auto s = parse_daemon_stream(r.body);
    check_clean_stream(r, s);
    std::string want = vendor_expect::stream_text(c.dialect, read_fixture_lines(v.mock.stream_fixture()));
    BOOST_TEST(!want.empty());
    BOOST_TEST(stream_content(s) == want);
    BOOST_TEST(r.header("x-switchboard-provider") == c.id);
    v.check_no_key(r, "stream");
    auto sent = v.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->target == chat_path_of(c, true));
    if (c.dialect != VendorDialect::gemini) BOOST_TEST(is_true(parse_json(sent->body), "stream"), sent->body);
    v.check_vendor_auth(c.key());
}

void tool_call_stream_is_translated(const VendorCase &c) {
    VendorHarness v(c);
    v.mock.set_stream_fixture(c.tool_stream);
    auto expected = vendor_expect::stream_tool_calls(c.dialect, read_fixture_lines(v.mock.stream_fixture()));
    BOOST_TEST_REQUIRE(!expected.empty(), "the fixture has no tool call");
    auto body = stream_body(c);
    body["tools"] = weather_tools();
    auto r = v.h.post_json(chat_path, body);
    auto s = parse_daemon_stream(r.body);
    check_clean_stream(r, s);
    check_tool_calls(s, expected);
    bool tool_finish = false;
    for (const auto &chunk : s.chunks)
        if (text(chunk, "choices.0.finish_reason") == "tool_calls") tool_finish = true;
    BOOST_TEST(tool_finish, "finish_reason tool_calls: " << r.body);
    v.check_no_key(r, "tool stream");
    v.check_vendor_auth(c.key());
}

void every_stream_fixture_replays(const VendorCase &c) {
    VendorHarness v(c);
    std::vector<std::filesystem::path> files;
    for (const auto &e : std::filesystem::directory_iterator(vendor_fixture_dir(c.dialect)))
        if (e.path().filename().string().size() > 11 &&
            e.path().filename().string().find(".chunks.txt") != std::string::npos)
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    BOOST_TEST_REQUIRE(!files.empty());
    // Each sample twice: one SSE event per network chunk, then cut into
    // 7-byte chunks (events split anywhere).
    for (std::size_t fragment : {std::size_t{0}, std::size_t{7}})
    for (const auto &file : files) {
        BOOST_TEST_CONTEXT(c.id << " " << file.filename().string() << (fragment ? " (7-byte chunks)" : "")) {
            BOOST_TEST_MESSAGE("replaying " << c.id << "/" << file.filename().string() << " fragment " << fragment);
            v.mock.set_fragment_size(fragment);
            v.mock.set_stream_fixture(file.string());
            auto lines = read_fixture_lines(file);
            auto body = stream_body(c);
            body["tools"] = weather_tools();
            auto r = v.h.post_json(chat_path, body);
            auto s = parse_daemon_stream(r.body);
            v.check_no_key(r, file.filename().string());
            if (vendor_expect::stream_has_error(c.dialect, lines)) {
                // A vendor error mid-stream: what came before is delivered, then
                // one error object, then [DONE].
                BOOST_TEST(r.status == 200u, r.body);
                BOOST_TEST(s.ends_with_done, r.body);
                std::size_t errors = 0;
                for (const auto &chunk : s.chunks)
                    if (find(chunk, "error")) ++errors;
                BOOST_TEST(errors == 1u, "error objects in " << r.body);
                BOOST_TEST(stream_content(s) == vendor_expect::stream_text(c.dialect, lines), r.body);
                continue;
            }
            check_clean_stream(r, s);
            BOOST_TEST(stream_content(s) == vendor_expect::stream_text(c.dialect, lines));
            auto tools = vendor_expect::stream_tool_calls(c.dialect, lines);
            if (!tools.empty()) check_tool_calls(s, tools);
        }
    }
    v.check_vendor_auth(c.key());
}

// COHERE_API_BASE as Cohere's own docs spell it (".../v1"): chat still goes
// to /v2/chat, the model list to /v1/models.
void cohere_v1_base_works() {
    Harness h(vendor_plugins());
    MockVendorUpstream mock(VendorDialect::cohere);
    h.start({{"COHERE_API_KEY", cohere_case.key()},
             {"COHERE_API_BASE", mock.base_url() + "/v1"},
             {"COHERE_MODEL", cohere_case.model}});
    auto r = h.post_json(test_path, json::object{{"provider", "cohere"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(is_true(r.json(), "ok"), r.body);
    auto sent = mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->target == "/v2/chat");
    auto m = h.get(std::string(models_path) + "?provider=cohere");
    BOOST_TEST(text(m.json(), "providers.0.source") == "live", m.body);
    BOOST_TEST_REQUIRE(!mock.model_list_requests().empty());
    BOOST_TEST(mock.model_list_requests().back().target.rfind("/v1/models", 0) == 0u);
}

}  // namespace

#define SB_FOR_EVERY_VENDOR(suite, fn, seconds)                                             \
    BOOST_AUTO_TEST_SUITE(suite)                                                            \
    BOOST_AUTO_TEST_CASE(anthropic, *utf::timeout(seconds)) { fn(anthropic_case); }         \
    BOOST_AUTO_TEST_CASE(google, *utf::timeout(seconds)) { fn(google_case); }               \
    BOOST_AUTO_TEST_CASE(cohere, *utf::timeout(seconds)) { fn(cohere_case); }               \
    BOOST_AUTO_TEST_CASE(mistral, *utf::timeout(seconds)) { fn(mistral_case); }             \
    BOOST_AUTO_TEST_CASE(together, *utf::timeout(seconds)) { fn(together_case); }           \
    BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vendor_e2e)

SB_FOR_EVERY_VENDOR(test_endpoint_ok, test_endpoint_succeeds, 60)
SB_FOR_EVERY_VENDOR(test_endpoint_errors, test_endpoint_classifies_vendor_errors, 60)
SB_FOR_EVERY_VENDOR(other_vendor_errors, other_vendor_errors_keep_their_class, 60)
SB_FOR_EVERY_VENDOR(live_models, models_are_live, 60)
SB_FOR_EVERY_VENDOR(plain_chat, plain_chat_is_translated, 60)
SB_FOR_EVERY_VENDOR(streaming_chat, stream_is_translated, 60)
SB_FOR_EVERY_VENDOR(plain_tool_call, plain_tool_call_is_translated, 60)
SB_FOR_EVERY_VENDOR(tool_call_stream, tool_call_stream_is_translated, 60)
SB_FOR_EVERY_VENDOR(fixture_replay, every_stream_fixture_replays, 120)

BOOST_AUTO_TEST_CASE(cohere_v1_api_base, *utf::timeout(60)) { cohere_v1_base_works(); }

BOOST_AUTO_TEST_SUITE_END()
