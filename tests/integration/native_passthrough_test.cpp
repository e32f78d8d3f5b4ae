// Native pass-through through the real daemon: /v1/messages to the anthropic
// provider and /v1/responses to the openai provider go to the vendor as the
// client wrote them (only the model and the credentials replaced), and the
// vendor's answer, status, body and every byte of a stream, comes back
// unchanged. The vendors' own recorded exchanges (tests/fixtures/recorded)
// and a stream built to break byte relays (tests/fixtures/anthropic-native)
// are served cut at awkward places: inside UTF-8 characters, inside tool
// argument tokens, between ping events.
#define BOOST_TEST_MODULE switchboard_native_passthrough
#include "integration/integration_fixture.hpp"
#include "plugins/replay_support.hpp"
#include "support/loopback_http_server.hpp"

#include <string>
#include <thread>
#include <vector>

using namespace sb::test;
using namespace sb::test::it;

namespace {

const std::string kAnthropicKey = "sk-ant-native-secret-0123456789";
const std::string kOpenAIKey = "sk-openai-native-secret-0123456789";
const std::string kClientKey = "sb-client-native-key-0123456789";

// Cut into pieces at odd offsets, and also at every offset in `cuts`.
std::vector<std::string> cut(const std::string &body, std::vector<std::size_t> cuts = {}) {
    for (std::size_t at = 97, step = 97; at < body.size(); step = step * 3 % 509 + 1, at += step) cuts.push_back(at);
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    std::vector<std::string> pieces;
    std::size_t from = 0;
    for (std::size_t at : cuts) {
        if (at <= from || at >= body.size()) continue;
        pieces.push_back(body.substr(from, at - from));
        from = at;
    }
    pieces.push_back(body.substr(from));
    return pieces;
}

// Offsets that split every multi-byte UTF-8 character after its first byte.
std::vector<std::size_t> inside_utf8(const std::string &body) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0; i < body.size(); ++i)
        if ((static_cast<unsigned char>(body[i]) & 0xC0) == 0xC0) cuts.push_back(i + 1);
    return cuts;
}

MockAction serve(int status, const std::string &content_type, const std::string &body, bool stream) {
    if (status != 200 || !stream) return MockAction::reply(status, {{"Content-Type", content_type}, {"request-id", "req_native_1"}}, body);
    std::vector<std::size_t> cuts = inside_utf8(body);
    return MockAction::stream(200, {{"Content-Type", content_type}, {"request-id", "req_native_1"}}, cut(body, cuts));
}

// The access log's value of key on the line of request id (written once the
// response has gone out: waited for, briefly).
std::string logged(const Harness &h, const std::string &id, const std::string &key) {
    std::string log = h.log_text();
    for (int i = 0; i < 200 && log.find("request_id=" + id + " ") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
        log = h.log_text();
    }
    const auto line_at = log.find("request_id=" + id + " ");
    if (line_at == std::string::npos) return "(no log line)";
    const auto end = log.find('\n', line_at);
    const std::string line = log.substr(line_at, end - line_at);
    const auto at = line.find(" " + key + "=");
    if (at == std::string::npos) return "(no " + key + ")";
    const auto from = at + key.size() + 2;
    return line.substr(from, line.find(' ', from) - from);
}

struct Daemon {
    Harness h{{"switchboard-anthropic.so", "switchboard-openai.so", "switchboard-google.so"}};
    LoopbackHttpServer anthropic{[](const RecordedRequest &) { return MockAction::reply(500); }};
    LoopbackHttpServer openai{[](const RecordedRequest &) { return MockAction::reply(500); }};
    LoopbackHttpServer google{[](const RecordedRequest &) { return MockAction::reply(500); }};

    Daemon() {
        h.start({{"ANTHROPIC_API_KEY", kAnthropicKey},
                 {"ANTHROPIC_API_BASE", anthropic.base_url() + "/v1"},
                 {"OPENAI_API_KEY", kOpenAIKey},
                 {"OPENAI_API_BASE", openai.base_url() + "/v1"},
                 {"GEMINI_API_KEY", "gemini-native-test-key-0123456789"},
                 {"GEMINI_API_BASE", google.base_url() + "/v1beta"},
                 {"SWITCHBOARD_CLIENT_KEYS", kClientKey},
                 {"LLM_PROVIDER", "anthropic"}});
    }

    TestHttpResponse post(const std::string &path, const std::string &body, TestHeaders headers) const {
        return h.client().post(path, body, headers);
    }
};

// The body the client sends: the recorded request, model routed by prefix.
std::string client_body(const json::object &recorded_request, const std::string &provider) {
    json::object body = recorded_request;
    body["model"] = provider + "/" + std::string(body.at("model").as_string());
    return json::serialize(body);
}

// One recorded exchange of tests/fixtures/recorded.
struct Exchange {
    json::object rec;
    int status() const { return static_cast<int>(rec.at("response").at("status").to_number<int64_t>()); }
    std::string body() const { return std::string(rec.at("response").at("body").as_string()); }
    bool stream() const { return rec.at("stream").as_bool(); }
    const json::object &request() const { return rec.at("request").at("body").as_object(); }
};

// Serves each recording of vendor from server in turn (cut as serve() cuts)
// and runs check(exchange, a fresh request id) on it; returns how many.
template <class Check>
int replay_each(const std::string &vendor, LoopbackHttpServer &server, Check check) {
    int n = 0;
    for (const auto &name : sbtest::recordings(vendor)) {
        const Exchange e{sbtest::recording(vendor, name)};
        BOOST_TEST_CONTEXT(name) {
            const std::string content_type(e.rec.at("response").at("content_type").as_string());
            server.set_handler([&](const RecordedRequest &) { return serve(e.status(), content_type, e.body(), e.stream()); });
            check(e, vendor + "-" + std::to_string(++n));
        }
    }
    return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(anthropic_recordings_pass_through_byte_for_byte) {
    Daemon d;
    const int n = replay_each("anthropic", d.anthropic, [&](const Exchange &e, const std::string &id) {
        const TestHttpResponse r = d.post("/v1/messages", client_body(e.request(), "anthropic"),
                                          {{"x-api-key", kClientKey},
                                           {"anthropic-version", "2023-06-01"},
                                           {"anthropic-beta", "prompt-caching-2024-07-31"},
                                           {"x-request-id", id}});
        BOOST_TEST(r.status == static_cast<unsigned>(e.status()), r.body.substr(0, 300));
        BOOST_TEST(r.body == e.body(), "the body differs from the vendor's");
        BOOST_TEST(r.header("request-id") == "req_native_1");
        BOOST_TEST(r.header("x-switchboard-provider") == "anthropic");

        // What the vendor got: the client's bytes with the bare model, the
        // provider's key, the client's version and beta.
        const auto seen = d.anthropic.requests();
        BOOST_TEST_REQUIRE(!seen.empty());
        const RecordedRequest &v = seen.back();
        BOOST_TEST(v.target == "/v1/messages");
        BOOST_TEST(v.body == json::serialize(e.request()), "the vendor got other bytes than the client's");
        BOOST_TEST(v.header("x-api-key") == kAnthropicKey);
        BOOST_TEST(v.header("anthropic-version") == "2023-06-01");
        BOOST_TEST(v.header("anthropic-beta") == "prompt-caching-2024-07-31");
        for (const auto &[header, value] : v.headers)
            BOOST_TEST(value.find(kClientKey) == std::string::npos, "the client key reached the vendor in " << header);
        BOOST_TEST(logged(d.h, id, "native") == "true");
        BOOST_TEST(logged(d.h, id, "dialect") == "anthropic.messages");
    });
    BOOST_TEST(n > 10);
    BOOST_TEST(d.h.log_text().find(kAnthropicKey) == std::string::npos, "the vendor key is in the log");
}

BOOST_AUTO_TEST_CASE(a_stream_built_to_break_relays_arrives_unchanged_and_is_counted) {
    Daemon d;
    const std::string body = sbtest::fixture("anthropic-native/tricky-stream.sse");
    // Inside ☕ and 🌧, just before "data:" inside the text, inside the tool
    // argument tokens, and between the ping events and their neighbours.
    std::vector<std::size_t> cuts = inside_utf8(body);
    for (std::string_view marker : {"data: this line", "ata: this", "{\\\"ci", "ty\\\": \\\"Pa", "ris\\\"}",
                                    "event: ping", "ping\"}", "\n\nevent: content_block_delta"})
        for (auto at = body.find(marker); at != std::string::npos; at = body.find(marker, at + 1))
            cuts.push_back(at + 1);
    d.anthropic.set_handler([&](const RecordedRequest &) {
        return MockAction::stream(200, {{"Content-Type", "text/event-stream; charset=utf-8"}}, cut(body, cuts),
                                  std::chrono::milliseconds{2});
    });
    const json::object request{{"model", "claude-sonnet-4-5"},
                               {"max_tokens", 1024},
                               {"stream", true},
                               {"thinking", {{"type", "enabled"}, {"budget_tokens", 1024}}},
                               {"messages", json::array{{{"role", "user"}, {"content", "Weather in Paris?"}}}}};
    const TestHttpResponse r = d.post("/v1/messages", json::serialize(request),
                                      {{"authorization", "Bearer " + kClientKey}, {"x-request-id", "tricky-1"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(r.body == body);
    BOOST_TEST(r.header("content-type").starts_with("text/event-stream"));
    // Usage read along the relay: cache reads are input tokens too.
    BOOST_TEST(logged(d.h, "tricky-1", "prompt_tokens") == "35");
    BOOST_TEST(logged(d.h, "tricky-1", "completion_tokens") == "57");
    BOOST_TEST(logged(d.h, "tricky-1", "streamed") == "true");
}

BOOST_AUTO_TEST_CASE(a_stream_cut_before_its_last_event_ends_with_an_error_event) {
    Daemon d;
    const std::string body = sbtest::fixture("anthropic-native/tricky-stream.sse");
    const std::string half = body.substr(0, body.find("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2") + 40);
    d.anthropic.set_handler([&](const RecordedRequest &) {
        return MockAction::stream(200, {{"Content-Type", "text/event-stream"}}, cut(half), std::chrono::milliseconds{0},
                                  true);
    });
    const TestHttpResponse r =
        d.post("/v1/messages",
               R"({"model":"claude-sonnet-4-5","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]})",
               {{"x-api-key", kClientKey}});
    BOOST_TEST_REQUIRE(r.status == 200u);
    BOOST_TEST(r.body.starts_with(half), "the bytes before the cut are relayed as they came");
    const std::string tail = r.body.substr(half.size());
    BOOST_TEST(tail.find("\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":") != std::string::npos, tail);
    BOOST_TEST(tail.find(kAnthropicKey) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(vendor_errors_come_back_in_the_vendors_shape_and_count_tokens_is_answered) {
    Daemon d;
    const std::string overloaded =
        R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}})";
    d.anthropic.set_handler([&](const RecordedRequest &req) {
        if (req.target == "/v1/messages/count_tokens")
            return MockAction::reply(200, {{"Content-Type", "application/json"}}, R"({"input_tokens":14})");
        return MockAction::reply(400, {{"Content-Type", "application/json"}, {"set-cookie", "vendor=1"}}, overloaded);
    });
    const std::string request = R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]})";
    TestHttpResponse r = d.post("/v1/messages", request, {{"x-api-key", kClientKey}});
    BOOST_TEST(r.status == 400u);
    BOOST_TEST(r.body == overloaded);
    BOOST_TEST(!r.has_header("set-cookie"), "a vendor header outside the allowlist reached the client");

    r = d.post("/v1/messages/count_tokens", request, {{"x-api-key", kClientKey}});
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(r.body == R"({"input_tokens":14})");
    BOOST_TEST(d.anthropic.requests().back().target == "/v1/messages/count_tokens");
    BOOST_TEST(d.anthropic.requests().back().body == request.substr(0, 10) + "claude-sonnet-4-5" + request.substr(27));

    // Another provider cannot count Anthropic's tokens: a clear 501.
    r = d.post("/v1/messages/count_tokens",
               R"({"model":"openai/gpt-5-mini","messages":[{"role":"user","content":"hi"}]})",
               {{"x-api-key", kClientKey}});
    BOOST_TEST(r.status == 501u, r.body);
    BOOST_TEST(text(r.json(), "type") == "error");
    BOOST_TEST(text(r.json(), "error.message").find("anthropic provider") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(openai_responses_recordings_pass_through_byte_for_byte) {
    Daemon d;
    const int n = replay_each("openai-responses", d.openai, [&](const Exchange &e, const std::string &id) {
        const TestHttpResponse r = d.post("/v1/responses", client_body(e.request(), "openai"),
                                          {{"authorization", "Bearer " + kClientKey}, {"x-request-id", id}});
        BOOST_TEST(r.status == static_cast<unsigned>(e.status()), r.body.substr(0, 300));
        const std::string vendor_body = e.body();
        BOOST_TEST(r.body == vendor_body, "the body differs from the vendor's");
        const auto seen = d.openai.requests();
        BOOST_TEST_REQUIRE(!seen.empty());
        BOOST_TEST(seen.back().target == "/v1/responses");
        BOOST_TEST(seen.back().body == json::serialize(e.request()));
        BOOST_TEST(seen.back().header("authorization") == "Bearer " + kOpenAIKey);
        BOOST_TEST(logged(d.h, id, "native") == "true");
        if (e.status() != 200) return;
        // Usage read from the answer (response.completed in a stream).
        const std::string body_json =
            e.stream() ? vendor_body.substr(vendor_body.rfind("data: {\"type\":\"response.") + 6) : vendor_body;
        const json::value parsed = json::parse(body_json.substr(0, body_json.find('\n')));
        const json::object &response = e.stream() ? parsed.at("response").as_object() : parsed.as_object();
        if (const json::value *usage = response.if_contains("usage"); usage && usage->is_object())
            BOOST_TEST(logged(d.h, id, "prompt_tokens") == std::to_string(usage->at("input_tokens").to_number<int64_t>()));
    });
    BOOST_TEST(n >= 5);
    BOOST_TEST(d.h.log_text().find(kOpenAIKey) == std::string::npos, "the vendor key is in the log");
}

BOOST_AUTO_TEST_CASE(a_native_target_that_fails_falls_back_to_a_translated_one) {
    Daemon d;
    d.anthropic.set_handler([](const RecordedRequest &) {
        return MockAction::reply(529, {{"Content-Type", "application/json"}},
                                 R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
    });
    d.openai.set_handler([](const RecordedRequest &) {
        return MockAction::reply(200, {{"Content-Type", "application/json"}},
                                 R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-5-mini",)"
                                 R"("choices":[{"index":0,"message":{"role":"assistant","content":"from openai"},)"
                                 R"("finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}})");
    });
    d.h.start({{"ANTHROPIC_API_KEY", kAnthropicKey},
               {"ANTHROPIC_API_BASE", d.anthropic.base_url() + "/v1"},
               {"OPENAI_API_KEY", kOpenAIKey},
               {"OPENAI_API_BASE", d.openai.base_url() + "/v1"},
               {"SWITCHBOARD_CLIENT_KEYS", kClientKey},
               {"SWITCHBOARD_FALLBACK", "openai/gpt-5-mini"},
               {"LLM_PROVIDER", "anthropic"}});
    const TestHttpResponse r =
        d.post("/v1/messages", R"({"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})",
               {{"x-api-key", kClientKey}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(text(r.json(), "type") == "message");
    BOOST_TEST(text(r.json(), "content.0.text") == "from openai");
    BOOST_TEST(r.header("x-switchboard-provider") == "openai");
}
