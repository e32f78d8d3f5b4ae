// Every recorded vendor exchange (tests/fixtures/recorded, the vendors' own
// bytes) served to the real daemon by a replay server, and what the daemon
// answers compared with what the provider's plugin makes of the same bytes
// on its own. The plugin suites (tests/plugins/*_replay_test) hold the
// plugin to the vendor's content; this suite holds the host to the plugin:
// framing, de-framing, streaming and error paths lose and add nothing.
// Streams are served twice: chunked, cut in odd places, and close-delimited
// (HTTP/1.0 framing, the end of the body told by the close).
#define BOOST_TEST_MODULE switchboard_replay_e2e
#include "integration/integration_fixture.hpp"
#include "plugins/replay_support.hpp"
#include "support/loopback_http_server.hpp"

#include <string>
#include <vector>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

struct Vendor {
    std::string id;   // provider id and recordings folder
    std::string env;  // env var prefix
};

std::string key_of(const Vendor &v) { return v.id + "-replay-secret-key-0123456789"; }

std::string plugin_path(const Vendor &v) {
    return (fs::path(SB_PLUGINS_DIR) / ("switchboard-" + v.id + ".so")).string();
}

// The answer the replay server gives every request: the recorded status,
// content type and body, framed as `framing` says.
enum class Framing { chunked, close_delimited };

MockAction replay(const json::object &response, Framing framing) {
    const int status = static_cast<int>(response.at("status").to_number<int64_t>());
    const std::string content_type(response.at("content_type").as_string());
    const std::string body(response.at("body").as_string());
    if (status != 200) return MockAction::reply(status, {{"Content-Type", content_type}}, body);
    // Cut into pieces at odd offsets: events split across reads, as networks do.
    std::vector<std::string> pieces;
    for (std::size_t at = 0, step = 97; at < body.size(); at += step, step = step * 3 % 509 + 1)
        pieces.push_back(body.substr(at, step));
    if (framing == Framing::chunked)
        return MockAction::stream(200, {{"Content-Type", content_type}}, std::move(pieces));
    MockAction action = MockAction::raw_pieces(std::move(pieces), std::chrono::milliseconds{0});
    action.raw_bytes = "HTTP/1.0 200 OK\r\nContent-Type: " + content_type + "\r\n\r\n";
    return action;
}

json::object client_request(const Vendor &v, const json::object &rec) {
    json::object body{{"model", v.id + "/" + std::string(rec.at("model").as_string())},
                      {"messages", json::array{json::object{{"role", "user"}, {"content", "Hello"}}}}};
    if (rec.at("stream").as_bool()) {
        body["stream"] = true;
        body["stream_options"] = json::object{{"include_usage", true}};
    }
    return body;
}

// The data payloads of the daemon's SSE answer, checked for the end marker
// and for error events.
std::vector<std::string> daemon_chunks(const std::string &sse) {
    std::vector<std::string> data = sbtest::sse_data(sse);
    BOOST_TEST_REQUIRE(!data.empty(), "the stream is empty");
    BOOST_TEST(data.back() == "[DONE]", "the stream does not end with data: [DONE]");
    if (!data.empty() && data.back() == "[DONE]") data.pop_back();
    for (const auto &d : data) BOOST_TEST(d.find("\"error\"") == std::string::npos, "an error event: " << d);
    return data;
}

void check_same(const sbtest::Answers &want, const sbtest::Answers &got) {
    BOOST_TEST(got.choices.size() == want.choices.size());
    for (const auto &[index, w] : want.choices) {
        BOOST_TEST_CONTEXT("choice " << index) {
            const auto it = got.choices.find(index);
            BOOST_TEST_REQUIRE((it != got.choices.end()), "missing");
            const sbtest::Answer &g = it->second;
            BOOST_TEST(g.content == w.content);
            BOOST_TEST(g.reasoning == w.reasoning);
            BOOST_TEST(json::serialize(g.thinking_blocks) == json::serialize(w.thinking_blocks));
            BOOST_TEST(json::serialize(g.annotations) == json::serialize(w.annotations));
            BOOST_TEST(g.finish_reason == w.finish_reason);
            BOOST_TEST_REQUIRE(g.tool_calls.size() == w.tool_calls.size());
            for (std::size_t i = 0; i < w.tool_calls.size(); ++i) {
                BOOST_TEST(g.tool_calls[i].id == w.tool_calls[i].id);
                BOOST_TEST(g.tool_calls[i].name == w.tool_calls[i].name);
                BOOST_TEST(g.tool_calls[i].arguments == w.tool_calls[i].arguments);
                BOOST_TEST(json::serialize(g.tool_calls[i].extra) == json::serialize(w.tool_calls[i].extra));
            }
        }
    }
    BOOST_TEST(got.has_usage == want.has_usage);
    BOOST_TEST(json::serialize(got.usage) == json::serialize(want.usage));
}

void replay_vendor(const Vendor &v) {
    Harness h({"switchboard-" + v.id + ".so"});
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::reply(500); });
    h.start({{v.env + "_API_KEY", key_of(v)},
             {v.env + "_API_BASE", server.base_url() + "/v1"},
             {"LLM_PROVIDER", v.id}});
    sbtest::Plugin plugin(plugin_path(v));

    const auto names = sbtest::recordings(v.id);
    BOOST_TEST_REQUIRE(!names.empty(), "no recordings for " << v.id);
    for (const auto &name : names) {
        const json::object rec = sbtest::recording(v.id, name);
        const json::object &response = rec.at("response").as_object();
        const int status = static_cast<int>(response.at("status").to_number<int64_t>());
        const bool stream = rec.at("stream").as_bool();
        const json::object request = client_request(v, rec);
        sbtest::Config config(key_of(v), server.base_url() + "/v1", std::string(rec.at("model").as_string()));
        const std::string vendor_body(response.at("body").as_string());

        for (const Framing framing : {Framing::chunked, Framing::close_delimited}) {
            if (framing == Framing::close_delimited && (!stream || status != 200)) continue;
            BOOST_TEST_CONTEXT(v.id << "/" << name << (framing == Framing::chunked ? " chunked" : " close-delimited")) {
                server.set_handler([&](const RecordedRequest &) { return replay(response, framing); });
                const TestHttpResponse r = h.post_json(chat_path, request);
                BOOST_TEST(r.body.find(key_of(v)) == std::string::npos, "the API key reached the client");
                if (status != 200) {
                    // The plugin's classified error, with the vendor's message, at an error status.
                    const sbtest::ParseResult direct = plugin.parse_chat(config, status, vendor_body);
                    BOOST_TEST(direct.status != SB_OK);
                    BOOST_TEST(r.status >= 400u, r.body);
                    BOOST_TEST(text(r.json(), "error.message").find(direct.error.message) != std::string::npos,
                               r.body << " lacks " << direct.error.message);
                } else if (stream) {
                    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
                    const sbtest::StreamResult direct =
                        plugin.stream(config, json::serialize(request), sbtest::sse_data(vendor_body));
                    BOOST_TEST((direct.status == SB_STREAM_END || direct.status == SB_OK), direct.error.message);
                    check_same(sbtest::read_chunks(direct.chunks), sbtest::read_chunks(daemon_chunks(r.body)));
                } else {
                    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
                    const sbtest::ParseResult direct = plugin.parse_chat(config, status, vendor_body);
                    BOOST_TEST_REQUIRE(direct.status == SB_OK, direct.error.message);
                    check_same(sbtest::read_completion(direct.body), sbtest::read_completion(r.body));
                }
            }
        }
    }
    BOOST_TEST(h.log_text().find(key_of(v)) == std::string::npos, "the API key is in the daemon log");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(replay_e2e)

BOOST_AUTO_TEST_CASE(openai, *utf::timeout(300)) { replay_vendor({"openai", "OPENAI"}); }
BOOST_AUTO_TEST_CASE(anthropic, *utf::timeout(300)) { replay_vendor({"anthropic", "ANTHROPIC"}); }
BOOST_AUTO_TEST_CASE(google, *utf::timeout(300)) { replay_vendor({"google", "GOOGLE"}); }
BOOST_AUTO_TEST_CASE(mistral, *utf::timeout(300)) { replay_vendor({"mistral", "MISTRAL"}); }
BOOST_AUTO_TEST_CASE(cohere, *utf::timeout(300)) { replay_vendor({"cohere", "COHERE"}); }

BOOST_AUTO_TEST_SUITE_END()
