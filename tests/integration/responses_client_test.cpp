// POST /v1/responses as real clients see it: the official `openai` npm
// client (responses.create, responses.stream) and the Vercel AI SDK
// (@ai-sdk/openai's responses model, streamText) run by
// tests/responses-client/run.mjs against the real daemon, its provider
// configured against a loopback mock speaking the vendor's own dialect. The
// checks compare what the client reports with the vendor fixture read in
// its own dialect (vendor_expect), so a translation bug shows as a mismatch.
#include "integration/client_report.hpp"
#include "integration/integration_fixture.hpp"
#include "support/mock_vendor_upstreams.hpp"

using namespace sb::test;
using namespace sb::test::it;
using namespace sb::test::it::report;
namespace utf = boost::unit_test;

namespace {

const fs::path client_dir{SB_RESPONSES_CLIENT_DIR};

struct ClientCase {
    VendorDialect dialect;
    std::string id;   // provider id
    std::string env;  // env var prefix
    std::string model;
    std::string tool_reply;   // plain tool-call fixture (absolute or in the dialect's dir)
    std::string tool_stream;  // tool-call stream fixture
};

// The openai provider takes /v1/responses natively (responses_native_test.cpp):
// the OpenAI chat dialect is translated to through together.
const ClientCase together_case{VendorDialect::together, "together", "TOGETHER", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                               "tool_call.json", "xai-tool-call.chunks.txt"};
const ClientCase anthropic_case{VendorDialect::anthropic, "anthropic", "ANTHROPIC", "claude-3-haiku-20240307",
                                "anthropic-json-tool.1.json", "anthropic-json-tool.1.chunks.txt"};

// Input and output tokens as the vendor fixture counts them.
struct Usage {
    long input = 0, output = 0;
};

long integer_in(const json::value &o, std::string_view key) {
    const json::value *v = o.is_object() ? o.as_object().if_contains(key) : nullptr;
    return v && v->is_number() ? v->to_number<long>() : 0;
}

Usage usage_of(VendorDialect dialect, const json::value &usage, Usage seen = {}) {
    if (dialect == VendorDialect::anthropic) {
        if (usage.as_object().contains("input_tokens")) seen.input = integer_in(usage, "input_tokens");
        if (usage.as_object().contains("output_tokens")) seen.output = integer_in(usage, "output_tokens");
        return seen;
    }
    return {integer_in(usage, "prompt_tokens"), integer_in(usage, "completion_tokens")};
}

Usage reply_usage(VendorDialect dialect, const json::value &reply) {
    return usage_of(dialect, reply.at("usage"));
}

// Every usage object of the stream, the later ones overriding.
Usage stream_usage(VendorDialect dialect, const std::vector<std::string> &lines) {
    Usage u;
    for (const auto &line : lines) {
        const std::size_t brace = line.find('{');
        if (brace == std::string::npos) continue;
        json::value payload;
        try {
            payload = parse_json(line.substr(brace));
        } catch (...) {
            continue;
        }
        if (!payload.is_object()) continue;
        const json::value *usage = payload.as_object().if_contains("usage");
        if (!usage) {
            const json::value *message = payload.as_object().if_contains("message");
            if (message && message->is_object()) usage = message->as_object().if_contains("usage");
        }
        if (usage && usage->is_object()) u = usage_of(dialect, *usage, u);
    }
    return u;
}

json::value run_client(Harness &h, const ClientCase &c, std::string_view mode, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run.mjs", "--base", "http://127.0.0.1:" + std::to_string(h.daemon().port()) + "/v1",
                                  "--model", c.id + "/" + c.model, "--mode", std::string(mode)};
    args.insert(args.end(), extra.begin(), extra.end());
    NodeResult r = run_node(SB_NODE_EXECUTABLE, client_dir, args, std::chrono::seconds{60});
    return report::parse_client_output(r, c.id + " " + std::string(mode), h.log_text());
}

// The response object a client reports: completed, stateless, the usage
// the vendor counted.
void check_response(const json::value &doc, const std::string &where, const Usage &usage) {
    BOOST_TEST_CONTEXT(where << ": " << show(doc, where)) {
        BOOST_TEST(text(doc, where + ".object") == "response");
        BOOST_TEST(text(doc, where + ".id").starts_with("resp_"));
        BOOST_TEST(text(doc, where + ".status") == "completed");
        BOOST_TEST(is_false(doc, where + ".store"));
        BOOST_TEST(number_at(doc, where + ".usage.input_tokens") == usage.input);
        BOOST_TEST(number_at(doc, where + ".usage.output_tokens") == usage.output);
        BOOST_TEST(number_at(doc, where + ".usage.total_tokens") >= usage.input + usage.output);
        BOOST_TEST(number_at(doc, where + ".usage.input_tokens_details.cached_tokens") >= 0);
        BOOST_TEST(number_at(doc, where + ".usage.output_tokens_details.reasoning_tokens") >= 0);
    }
}

void check_calls(const json::value &doc, const std::string &where,
                 const std::vector<vendor_expect::ToolCall> &expected) {
    const auto &got = items(doc, where + ".function_calls");
    BOOST_TEST_CONTEXT(where << ".function_calls: " << json::serialize(got)) {
        BOOST_TEST_REQUIRE(!expected.empty(), "the fixture has no tool call");
        BOOST_TEST(got.size() == expected.size());
        for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
            BOOST_TEST(text(got[i], "id").starts_with("fc_"));
            BOOST_TEST(text(got[i], "call_id") == expected[i].id);
            BOOST_TEST(text(got[i], "name") == expected[i].name);
            BOOST_TEST(text(got[i], "status") == "completed");
            BOOST_TEST(same_json(text(got[i], "arguments"), expected[i].arguments),
                       "arguments " << text(got[i], "arguments") << " != fixture's " << expected[i].arguments);
        }
    }
}

void run_provider(const ClientCase &c) {
    for (const char *package : {"openai", "ai", "@ai-sdk/openai"})
        BOOST_REQUIRE_MESSAGE(fs::exists(client_dir / "node_modules" / package / "package.json"),
                              "the npm package " << package << " is not installed in " << client_dir.string()
                                                 << "/node_modules; run: npm ci --prefix tests/responses-client "
                                                    "--no-audit --no-fund");
    Harness h({"switchboard-together.so", "switchboard-anthropic.so"});
    MockVendorUpstream mock(c.dialect);
    h.start(Env{{c.env + "_API_KEY", c.id + "-npm-secret-key-0123456789abcdef"},
                {c.env + "_API_BASE", mock.base_url()},
                {c.env + "_MODEL", c.model},
                {"LLM_PROVIDER", c.id}});

    // --- a plain answer, created and streamed; the stateless refusal ---
    {
        json::value doc = run_client(h, c, "text");
        const auto reply = parse_json(read_fixture_file(mock.reply_fixture()));
        const auto lines = read_fixture_lines(mock.stream_fixture());
        check_response(doc, "plain", reply_usage(c.dialect, reply));
        BOOST_TEST(text(doc, "plain.output_text") == vendor_expect::reply_text(c.dialect, reply));
        check_response(doc, "stream", stream_usage(c.dialect, lines));
        BOOST_TEST(text(doc, "stream.output_text") == vendor_expect::stream_text(c.dialect, lines));
        BOOST_TEST(text(doc, "stream.events.text_deltas") == vendor_expect::stream_text(c.dialect, lines));
        BOOST_TEST(is_true(doc, "stream.events.sequence_rising"), show(doc, "stream.events"));
        BOOST_TEST(text(doc, "stream.events.types.0") == "response.created");
        BOOST_TEST(text(doc, "stream.events.types.1") == "response.in_progress");
        const auto &types = items(doc, "stream.events.types");
        BOOST_TEST_REQUIRE(!types.empty());
        BOOST_TEST(types.back() == "response.completed");
        BOOST_TEST(text(doc, "stream.metadata.suite") == "responses-client");
        BOOST_TEST_CONTEXT("previous_response_id: " << show(doc, "stateful")) {
            BOOST_TEST(is_true(doc, "stateful.raised"));
            BOOST_TEST(text(doc, "stateful.class") == "BadRequestError");
            BOOST_TEST(number_at(doc, "stateful.status") == 400);
            BOOST_TEST(text(doc, "stateful.param") == "previous_response_id");
            BOOST_TEST(text(doc, "stateful.type") == "invalid_request_error");
        }
        BOOST_TEST(mock.chat_requests().size() == 2u, "the refused request must not reach the vendor");
    }

    // --- a function call, created and streamed ---
    mock.set_reply_fixture(c.tool_reply);
    mock.set_stream_fixture(c.tool_stream);
    const auto tool_reply = parse_json(read_fixture_file(mock.reply_fixture()));
    const auto tool_lines = read_fixture_lines(mock.stream_fixture());
    {
        json::value doc = run_client(h, c, "tools");
        check_response(doc, "plain", reply_usage(c.dialect, tool_reply));
        check_calls(doc, "plain", vendor_expect::reply_tool_calls(c.dialect, tool_reply));
        BOOST_TEST(text(doc, "plain.output_text") == vendor_expect::reply_text(c.dialect, tool_reply));
        check_response(doc, "stream", stream_usage(c.dialect, tool_lines));
        const auto stream_calls = vendor_expect::stream_tool_calls(c.dialect, tool_lines);
        check_calls(doc, "stream", stream_calls);
        BOOST_TEST(text(doc, "stream.output_text") == vendor_expect::stream_text(c.dialect, tool_lines));
        BOOST_TEST(is_true(doc, "stream.events.sequence_rising"), show(doc, "stream.events"));
        BOOST_TEST(same_json(text(doc, "stream.events.argument_deltas"), stream_calls.at(0).arguments));
        // Reasoning text, when the vendor streams some, arrives as summary deltas.
        const std::string reasoning = text(doc, "stream.events.reasoning_deltas");
        if (!reasoning.empty()) BOOST_TEST(text(doc, "stream.reasoning.0") == reasoning);
        // The unified request the vendor got carried the tool and the instructions.
        auto sent = mock.last_chat_request();
        BOOST_REQUIRE(sent.has_value());
        BOOST_TEST(sent->body.find("get_weather") != std::string::npos);
        BOOST_TEST(sent->body.find("Use the tools.") != std::string::npos);
    }

    // --- the Vercel AI SDK, one streamed tool call ---
    {
        const auto expected = vendor_expect::stream_tool_calls(c.dialect, tool_lines);
        BOOST_REQUIRE(!expected.empty());
        // The tool the SDK declares is the one the fixture calls: the SDK
        // refuses a call to a tool it does not know.
        json::value doc = run_client(h, c, "ai", {"--tool-name", expected.front().name});
        BOOST_TEST_CONTEXT("ai: " << show(doc, "ai")) {
            BOOST_TEST(array_size(doc, "ai.errors") == 0);
            for (const auto &part : items(doc, "ai.parts")) BOOST_TEST(part != "tool-error");
            BOOST_TEST(json::serialize(items(doc, "ai.parts")).find("tool-call") != std::string::npos);
            BOOST_TEST(text(doc, "ai.finish_reason") == "tool-calls");
            BOOST_TEST(text(doc, "ai.text") == vendor_expect::stream_text(c.dialect, tool_lines));
            const auto &calls = items(doc, "ai.tool_calls");
            BOOST_TEST_REQUIRE(calls.size() == expected.size());
            for (std::size_t i = 0; i < calls.size(); ++i) {
                BOOST_TEST(text(calls[i], "id") == expected[i].id);
                BOOST_TEST(text(calls[i], "name") == expected[i].name);
                BOOST_TEST(same_json(json::serialize(*find(calls[i], "input")), expected[i].arguments));
            }
            const Usage usage = stream_usage(c.dialect, tool_lines);
            BOOST_TEST(number_at(doc, "ai.usage.input") == usage.input);
            BOOST_TEST(number_at(doc, "ai.usage.output") == usage.output);
        }
    }
    BOOST_TEST(h.log_text().find(c.id + "-npm-secret-key") == std::string::npos, "the API key is in the daemon log");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(responses_client)

BOOST_AUTO_TEST_CASE(together, *utf::timeout(300)) { run_provider(together_case); }
BOOST_AUTO_TEST_CASE(anthropic, *utf::timeout(300)) { run_provider(anthropic_case); }

BOOST_AUTO_TEST_SUITE_END()
