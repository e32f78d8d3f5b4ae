// POST /v1/responses passed through natively to the openai provider, as
// real clients see it: the official `openai` npm client and the Vercel AI
// SDK (tests/responses-client/run.mjs) against a loopback server answering
// with OpenAI's own recorded Responses API exchanges
// (tests/fixtures/recorded/openai-responses). What each client reports must
// be what the recording says: the daemon adds and loses nothing.
#include "integration/client_report.hpp"
#include "integration/integration_fixture.hpp"
#include "plugins/replay_support.hpp"
#include "support/loopback_http_server.hpp"

using namespace sb::test;
using namespace sb::test::it;
using namespace sb::test::it::report;
namespace utf = boost::unit_test;

namespace {

const fs::path client_dir{SB_RESPONSES_CLIENT_DIR};
const std::string kVendorKey = "sk-openai-native-npm-secret-0123456789";

// A recorded exchange: the request's answer and what the clients should see.
struct Recording {
    json::object rec;
    int status() const { return static_cast<int>(rec.at("response").at("status").to_number<int64_t>()); }
    std::string body() const { return std::string(rec.at("response").at("body").as_string()); }
    std::string content_type() const { return std::string(rec.at("response").at("content_type").as_string()); }
    bool stream() const { return rec.at("stream").as_bool(); }

    // The stream's events (data payloads) in order.
    std::vector<json::object> events() const {
        std::vector<json::object> out;
        for (const auto &data : sbtest::sse_data(body())) out.push_back(json::parse(data).as_object());
        return out;
    }
    // The final response object: the body, or the stream's last response.* event's.
    json::object response() const {
        if (!stream()) return json::parse(body()).as_object();
        json::object last;
        for (const auto &e : events())
            if (const json::value *r = e.if_contains("response"); r && r->is_object()) last = r->as_object();
        return last;
    }
    std::string deltas(std::string_view type) const {
        std::string joined;
        for (const auto &e : events())
            if (e.at("type").as_string() == type) joined += std::string(e.at("delta").as_string());
        return joined;
    }
};

Recording recording(const std::string &name) { return {sbtest::recording("openai-responses", name)}; }

std::string output_text(const json::object &response) {
    std::string text;
    for (const auto &item : response.at("output").as_array())
        if (item.at("type").as_string() == "message")
            for (const auto &part : item.at("content").as_array())
                if (part.at("type").as_string() == "output_text") text += std::string(part.at("text").as_string());
    return text;
}

std::vector<json::object> function_calls(const json::object &response) {
    std::vector<json::object> calls;
    for (const auto &item : response.at("output").as_array())
        if (item.at("type").as_string() == "function_call") calls.push_back(item.as_object());
    return calls;
}

long usage_of(const json::object &response, std::string_view key) {
    return response.at("usage").at(key).to_number<long>();
}

json::value run_client(Harness &h, std::string_view mode, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run.mjs", "--base", "http://127.0.0.1:" + std::to_string(h.daemon().port()) + "/v1",
                                  "--model", "openai/gpt-4o", "--mode", std::string(mode)};
    args.insert(args.end(), extra.begin(), extra.end());
    NodeResult r = run_node(SB_NODE_EXECUTABLE, client_dir, args, std::chrono::seconds{60});
    return report::parse_client_output(r, "openai native " + std::string(mode), h.log_text());
}

// The client's view of a response against the recording's.
void check_same_response(const json::value &doc, const std::string &where, const json::object &want) {
    BOOST_TEST_CONTEXT(where << ": " << show(doc, where)) {
        BOOST_TEST(text(doc, where + ".id") == std::string(want.at("id").as_string()));
        BOOST_TEST(text(doc, where + ".status") == std::string(want.at("status").as_string()));
        BOOST_TEST(text(doc, where + ".output_text") == output_text(want));
        BOOST_TEST(number_at(doc, where + ".usage.input_tokens") == usage_of(want, "input_tokens"));
        BOOST_TEST(number_at(doc, where + ".usage.output_tokens") == usage_of(want, "output_tokens"));
        const auto calls = function_calls(want);
        const auto &got = items(doc, where + ".function_calls");
        BOOST_TEST_REQUIRE(got.size() == calls.size());
        for (std::size_t i = 0; i < calls.size(); ++i) {
            BOOST_TEST(text(got[i], "call_id") == std::string(calls[i].at("call_id").as_string()));
            BOOST_TEST(text(got[i], "name") == std::string(calls[i].at("name").as_string()));
            BOOST_TEST(text(got[i], "arguments") == std::string(calls[i].at("arguments").as_string()));
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(responses_client)

BOOST_AUTO_TEST_CASE(openai_native, *utf::timeout(300)) {
    BOOST_REQUIRE_MESSAGE(fs::exists(client_dir / "node_modules" / "openai" / "package.json"),
                          "run: npm ci --prefix tests/responses-client --no-audit --no-fund");
    const Recording text_reply = recording("test_openai_responses_model_simple_response_with_tool_call__1.json");
    const Recording text_stream = recording("test_openai_responses_stream__1.json");
    const Recording tool_reply = recording("test_openai_responses_model_simple_response_with_tool_call__0.json");
    const Recording tool_stream = recording("test_openai_responses_stream__0.json");
    const std::string not_found =
        R"({"error":{"message":"Previous response with id 'resp_123' not found.","type":"invalid_request_error",)"
        R"("param":"previous_response_id","code":"previous_response_not_found"}})";

    LoopbackHttpServer vendor([&](const RecordedRequest &req) {
        if (req.target != "/v1/responses") return MockAction::reply(404);
        const json::object body = json::parse(req.body).as_object();
        if (body.contains("previous_response_id"))
            return MockAction::reply(400, {{"Content-Type", "application/json"}}, not_found);
        const bool stream = body.contains("stream") && body.at("stream").as_bool();
        const Recording &r = body.contains("tools") ? (stream ? tool_stream : tool_reply)
                                                    : (stream ? text_stream : text_reply);
        if (!stream) return MockAction::reply(r.status(), {{"Content-Type", r.content_type()}}, r.body());
        std::vector<std::string> pieces;  // cut at odd places, as networks do
        const std::string b = r.body();
        for (std::size_t at = 0, step = 61; at < b.size(); at += step, step = step * 5 % 263 + 1)
            pieces.push_back(b.substr(at, step));
        return MockAction::stream(200, {{"Content-Type", r.content_type()}}, std::move(pieces));
    });
    Harness h({"switchboard-openai.so"});
    h.start(Env{{"OPENAI_API_KEY", kVendorKey}, {"OPENAI_API_BASE", vendor.base_url() + "/v1"}, {"LLM_PROVIDER", "openai"}});

    {
        json::value doc = run_client(h, "text");
        check_same_response(doc, "plain", text_reply.response());
        check_same_response(doc, "stream", text_stream.response());
        BOOST_TEST(text(doc, "stream.events.text_deltas") == text_stream.deltas("response.output_text.delta"));
        // The vendor's own refusal of a response it did not keep.
        BOOST_TEST_CONTEXT("previous_response_id: " << show(doc, "stateful")) {
            BOOST_TEST(is_true(doc, "stateful.raised"));
            BOOST_TEST(number_at(doc, "stateful.status") == 400);
            BOOST_TEST(text(doc, "stateful.param") == "previous_response_id");
            BOOST_TEST(text(doc, "stateful.code") == "previous_response_not_found");
        }
    }
    {
        json::value doc = run_client(h, "tools");
        check_same_response(doc, "plain", tool_reply.response());
        check_same_response(doc, "stream", tool_stream.response());
        BOOST_TEST(text(doc, "stream.events.argument_deltas") ==
                   tool_stream.deltas("response.function_call_arguments.delta"));
        // The vendor got the client's request as written: model bare, the
        // client's fields, the provider's key.
        const RecordedRequest sent = vendor.requests().back();
        const json::object body = json::parse(sent.body).as_object();
        BOOST_TEST(body.at("model").as_string() == "gpt-4o");
        BOOST_TEST(body.at("instructions").as_string() == "Use the tools.");
        BOOST_TEST(body.at("metadata").at("suite").as_string() == "responses-client");
        BOOST_TEST(body.at("tools").at(0).at("strict").as_bool() == false);
        BOOST_TEST(sent.header("authorization") == "Bearer " + kVendorKey);
    }
    {
        const auto calls = function_calls(tool_stream.response());
        BOOST_REQUIRE(!calls.empty());
        json::value doc = run_client(h, "ai", {"--tool-name", std::string(calls.front().at("name").as_string())});
        BOOST_TEST_CONTEXT("ai: " << show(doc, "ai")) {
            BOOST_TEST(array_size(doc, "ai.errors") == 0);
            BOOST_TEST(text(doc, "ai.finish_reason") == "tool-calls");
            const auto &got = items(doc, "ai.tool_calls");
            BOOST_TEST_REQUIRE(got.size() == calls.size());
            BOOST_TEST(text(got[0], "id") == std::string(calls[0].at("call_id").as_string()));
            BOOST_TEST(text(got[0], "name") == std::string(calls[0].at("name").as_string()));
            BOOST_TEST(same_json(json::serialize(*find(got[0], "input")), std::string(calls[0].at("arguments").as_string())));
            BOOST_TEST(number_at(doc, "ai.usage.input") == usage_of(tool_stream.response(), "input_tokens"));
            BOOST_TEST(number_at(doc, "ai.usage.output") == usage_of(tool_stream.response(), "output_tokens"));
        }
    }
    const std::string log = h.log_text();
    BOOST_TEST(log.find("native=true") != std::string::npos);
    BOOST_TEST(log.find(kVendorKey) == std::string::npos, "the API key is in the daemon log");
}

BOOST_AUTO_TEST_SUITE_END()
