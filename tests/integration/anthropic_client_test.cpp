// POST /v1/messages as the official Anthropic clients see it: the real daemon
// with every plugin and client keys set, a provider configured against a
// loopback mock speaking its vendor's dialect, and
// tests/anthropic-client/run.mjs driving the daemon with @anthropic-ai/sdk
// (messages.create, messages.stream with a tool and thinking) and the Vercel
// AI SDK (@ai-sdk/anthropic, a streamed tool call). Every provider is reached
// through the translation for now. The checks compare what the clients report
// with the vendor fixtures read in the vendor's own dialect (vendor_expect).
#include "integration/client_output.hpp"
#include "integration/integration_fixture.hpp"
#include "support/mock_vendor_upstreams.hpp"
#include "support/node_runner.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const fs::path client_dir{SB_ANTHROPIC_CLIENT_DIR};
const std::string client_key = "sb-client-key-anthropic-npm-0123456789";

fs::path own_fixture(const char *name) { return fs::path(SB_ANTHROPIC_CLIENT_FIXTURES) / name; }
std::string fixture_in(VendorDialect dialect, const char *name) {
    return (vendor_fixture_dir(dialect) / name).string();
}

struct ClientCase {
    VendorDialect dialect;
    std::string id;     // provider id
    std::string env;    // env var prefix
    std::string model;  // the model the tests ask for
    std::string tool_reply;
    std::string tool_stream;  // a tool call, with thinking where the vendor sends it
    bool thinking = false;    // the tool stream carries thinking the client must see
    std::string key() const { return id + "-vendor-secret-key-0123456789abcdef"; }
};

const ClientCase openai_case{VendorDialect::openai,
                             "openai",
                             "OPENAI",
                             "gpt-4.1-nano",
                             fixture_in(VendorDialect::together, "tool_call.json"),
                             fixture_in(VendorDialect::openai, "xai-tool-call.chunks.txt"),
                             true};
const ClientCase google_case{VendorDialect::gemini,
                             "google",
                             "GOOGLE",
                             "gemini-1.5-pro",
                             fixture_in(VendorDialect::gemini, "google-tool-call.json"),
                             fixture_in(VendorDialect::gemini, "google-tool-call.chunks.txt"),
                             false};
const ClientCase anthropic_case{VendorDialect::anthropic,
                                "anthropic",
                                "ANTHROPIC",
                                "claude-sonnet-4-5",
                                fixture_in(VendorDialect::anthropic, "anthropic-json-tool.1.json"),
                                own_fixture("thinking-tool.chunks.txt").string(),
                                true};

std::vector<std::string> plugins() {
    return {"switchboard-openai.so", "switchboard-anthropic.so", "switchboard-google.so"};
}

// Runs run.mjs against the daemon and returns its JSON line; the test fails
// (not skips) on a timeout, a non-zero exit or output that is not JSON.
json::value run_client(Harness &h, const ClientCase &c, std::string_view mode) {
    const std::vector<std::string> args{
        "run.mjs", "--base",         "http://127.0.0.1:" + std::to_string(h.daemon().port()),
        "--key",   client_key,       "--provider",
        c.id,      "--model",        c.model,
        "--mode",  std::string(mode)};
    NodeResult r = run_node(SB_NODE_EXECUTABLE, client_dir, args, std::chrono::seconds{60});
    BOOST_TEST_MESSAGE(c.id << " " << mode << ": exit " << r.exit_code << "\n" << r.out << r.err);
    BOOST_REQUIRE_MESSAGE(!r.timed_out, c.id << " " << mode << ": run.mjs timed out\nstderr: "
                                             << r.err << "\ndaemon log:\n"
                                             << h.log_text());
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, c.id << " " << mode << ": run.mjs exited "
                                                 << r.exit_code << "\nstderr: " << r.err
                                                 << "\nstdout: " << r.out << "\ndaemon log:\n"
                                                 << h.log_text());
    json::value doc;
    try {
        doc = parse_json(r.out);
    } catch (const std::exception &e) {
        BOOST_FAIL(c.id << " " << mode << ": run.mjs printed no JSON (" << e.what()
                        << "): " << r.out);
    }
    BOOST_REQUIRE(doc.is_object());
    return doc;
}

void check_error(const json::value &doc, std::string_view where, std::string_view cls, long status,
                 std::string_view type) {
    BOOST_TEST_CONTEXT(where << ": " << show(doc, where)) {
        BOOST_TEST(is_true(doc, std::string(where) + ".raised"), "the client raised no error");
        BOOST_TEST(is_true(doc, std::string(where) + ".api_error"));
        BOOST_TEST(text(doc, std::string(where) + ".class") == cls);
        BOOST_TEST(number_at(doc, std::string(where) + ".status") == status);
        BOOST_TEST(text(doc, std::string(where) + ".type") == "error",
                   "Anthropic's error envelope");
        BOOST_TEST(text(doc, std::string(where) + ".error_type") == type);
    }
}

void check_tool_calls(const json::value &doc, std::string_view where,
                      const std::vector<vendor_expect::ToolCall> &expected) {
    const auto &got = items(doc, std::string(where) + ".tool_calls");
    BOOST_TEST_CONTEXT(where << ".tool_calls: " << json::serialize(got)) {
        BOOST_TEST_REQUIRE(!expected.empty(), "the fixture has no tool call");
        BOOST_TEST(got.size() == expected.size());
        for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
            if (!expected[i].id.empty())
                BOOST_TEST(text(got[i], "id") == expected[i].id);
            else
                BOOST_TEST(!text(got[i], "id").empty(), "tool call " << i << " has no id");
            BOOST_TEST(text(got[i], "name") == expected[i].name);
            BOOST_TEST(same_json(text(got[i], "arguments"), expected[i].arguments),
                       "arguments " << text(got[i], "arguments") << " != fixture's "
                                    << expected[i].arguments);
        }
    }
}

// The reasoning text an OpenAI-dialect stream fixture carries.
std::string openai_reasoning(const std::vector<std::string> &payloads) {
    std::string text;
    for (const auto &line : payloads) {
        if (line == "[DONE]") continue;
        const json::value chunk = parse_json(line);
        for (const auto &choice : items(chunk, "choices"))
            if (const json::value *r = find(choice, "delta.reasoning_content"); r && r->is_string())
                text += r->get_string();
    }
    return text;
}

void run_provider(const ClientCase &c) {
    BOOST_REQUIRE_MESSAGE(
        fs::exists(client_dir / "node_modules" / "@anthropic-ai" / "sdk" / "package.json"),
        "the Anthropic npm clients are not installed; run: npm ci --prefix tests/anthropic-client "
        "--no-audit --no-fund");
    Harness h(plugins());
    MockVendorUpstream mock(c.dialect);
    h.start(Env{{c.env + "_API_KEY", c.key()},
                {c.env + "_API_BASE", mock.base_url()},
                {c.env + "_MODEL", c.model},
                {"LLM_PROVIDER", c.id},
                {"SWITCHBOARD_CLIENT_KEYS", client_key}});

    // --- text, plain and streamed; errors in Anthropic's shape ---
    {
        json::value doc = run_client(h, c, "text");
        const auto reply = parse_json(read_fixture_file(mock.reply_fixture()));
        BOOST_TEST_CONTEXT("plain: " << show(doc, "plain")) {
            BOOST_TEST(text(doc, "plain.type") == "message");
            BOOST_TEST(text(doc, "plain.role") == "assistant");
            BOOST_TEST(text(doc, "plain.id").starts_with("msg_"));
            BOOST_TEST(text(doc, "plain.text") == vendor_expect::reply_text(c.dialect, reply));
            BOOST_TEST(text(doc, "plain.stop_reason") == "end_turn");
            BOOST_TEST(text(doc, "plain.provider_header") == c.id);
            BOOST_TEST(number_at(doc, "plain.usage.input_tokens") > 0);
            BOOST_TEST(number_at(doc, "plain.usage.output_tokens") > 0);
        }
        BOOST_TEST(text(doc, "bearer.text") == vendor_expect::reply_text(c.dialect, reply),
                   show(doc, "bearer"));
        const auto lines = read_fixture_lines(mock.stream_fixture());
        BOOST_TEST_CONTEXT("stream: " << show(doc, "stream")) {
            BOOST_TEST(text(doc, "stream.text") == vendor_expect::stream_text(c.dialect, lines));
            BOOST_TEST(text(doc, "stream.deltas") == text(doc, "stream.text"));
            BOOST_TEST(text(doc, "stream.stop_reason") == "end_turn");
            BOOST_TEST(text(doc, "stream.events.0") == "message_start");
            BOOST_TEST(text(doc, "stream.events." +
                                     std::to_string(array_size(doc, "stream.events") - 1)) ==
                       "message_stop");
            BOOST_TEST(number_at(doc, "stream.usage.input_tokens") > 0);
            BOOST_TEST(number_at(doc, "stream.usage.output_tokens") > 0);
        }
        // The streamed request's system prompt arrived translated.
        const auto requests = mock.chat_requests();
        BOOST_TEST(std::any_of(
                       requests.begin(), requests.end(),
                       [](const auto &r) { return r.body.find("Be brief.") != std::string::npos; }),
                   "the system prompt did not reach the vendor");
        check_error(doc, "errors.bad_key", "AuthenticationError", 401, "authentication_error");
        check_error(doc, "errors.missing_model", "NotFoundError", 404, "not_found_error");
        check_error(doc, "errors.no_max_tokens", "BadRequestError", 400, "invalid_request_error");
        if (c.dialect == VendorDialect::anthropic) {
            // Counted by the vendor itself: the native pass-through.
            BOOST_TEST(!is_true(doc, "errors.count_tokens.raised"), show(doc, "errors.count_tokens"));
            BOOST_TEST(text(doc, "errors.count_tokens.result") == R"({"input_tokens":11})");
        } else {
            check_error(doc, "errors.count_tokens", "InternalServerError", 501, "api_error");
        }
        BOOST_TEST(json::serialize(doc).find(c.key()) == std::string::npos,
                   "the vendor key reached the client");
    }

    // --- a tool call, plain, and streamed with thinking ---
    {
        mock.set_reply_fixture(c.tool_reply);
        mock.set_stream_fixture(c.tool_stream);
        json::value doc = run_client(h, c, "tools");
        const auto reply = parse_json(read_fixture_file(mock.reply_fixture()));
        BOOST_TEST(text(doc, "plain.stop_reason") == "tool_use", show(doc, "plain"));
        check_tool_calls(doc, "plain", vendor_expect::reply_tool_calls(c.dialect, reply));
        const auto lines = read_fixture_lines(mock.stream_fixture());
        BOOST_TEST_CONTEXT("stream: " << show(doc, "stream")) {
            BOOST_TEST(text(doc, "stream.stop_reason") == "tool_use");
            check_tool_calls(doc, "stream", vendor_expect::stream_tool_calls(c.dialect, lines));
            BOOST_TEST(number_at(doc, "stream.input_json_deltas") > 0);
            BOOST_TEST(number_at(doc, "stream.usage.output_tokens") > 0);
            if (c.dialect == VendorDialect::anthropic) {
                BOOST_TEST(text(doc, "stream.thinking") ==
                           "The user wants the weather in San Francisco; I will call get_weather.");
                BOOST_TEST(text(doc, "stream.signatures.0") ==
                           "EqQBCkgIARABGAIiQMockSignatureForTheThinkingBlock0123456789abcdef==");
                BOOST_TEST(text(doc, "stream.text") == "Let me check the weather.");
                BOOST_TEST(number_at(doc, "stream.usage.input_tokens") == 412);
                BOOST_TEST(number_at(doc, "stream.usage.output_tokens") == 96);
            } else if (c.thinking) {
                BOOST_TEST(text(doc, "stream.thinking") == openai_reasoning(lines));
                BOOST_TEST(text(doc, "stream.block_types.0") == "thinking");
            }
        }
        // Thinking asked for: the anthropic plugin got Anthropic's own
        // object, the others a reasoning_effort.
        const auto last = mock.last_chat_request();
        BOOST_TEST_REQUIRE(last.has_value());
        if (c.dialect == VendorDialect::anthropic)
            BOOST_TEST(last->body.find(R"("budget_tokens":2048)") != std::string::npos, last->body);
        if (c.dialect == VendorDialect::openai)
            BOOST_TEST(last->body.find(R"("reasoning_effort":"low")") != std::string::npos,
                       last->body);

        // --- the Vercel AI SDK: one streamed tool call ---
        json::value v = run_client(h, c, "vercel");
        BOOST_TEST_CONTEXT("vercel: " << show(v, "vercel")) {
            BOOST_TEST(array_size(v, "vercel.errors") == 0);
            BOOST_TEST(text(v, "vercel.finish_reason") == "tool-calls");
            check_tool_calls(v, "vercel", vendor_expect::stream_tool_calls(c.dialect, lines));
            BOOST_TEST(number_at(v, "vercel.usage.inputTokens") > 0);
            BOOST_TEST(number_at(v, "vercel.usage.outputTokens") > 0);
        }
    }
    // --- a stream the vendor breaks off: the text so far, then an error event ---
    {
        mock.set_stream_fixture("stream-error.chunks.txt");
        json::value doc = run_client(h, c, "stream-error");
        BOOST_TEST_CONTEXT("stream_error: " << show(doc, "stream_error")) {
            BOOST_TEST(is_true(doc, "stream_error.raised"),
                       "the client did not see the error event");
            // Natively the vendor's own error event arrives as it was sent.
            BOOST_TEST(text(doc, "stream_error.error_type") ==
                       (c.dialect == VendorDialect::anthropic ? "overloaded_error" : "api_error"));
            BOOST_TEST(
                text(doc, "stream_error.text") ==
                vendor_expect::stream_text(c.dialect, read_fixture_lines(mock.stream_fixture())));
        }
    }
    BOOST_TEST(h.log_text().find(c.key()) == std::string::npos,
               "the vendor key is in the daemon log");
    BOOST_TEST(h.log_text().find(client_key) == std::string::npos,
               "the client key is in the daemon log");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(anthropic_client)

BOOST_AUTO_TEST_CASE(openai, *utf::timeout(300)) { run_provider(openai_case); }
BOOST_AUTO_TEST_CASE(google, *utf::timeout(300)) { run_provider(google_case); }
BOOST_AUTO_TEST_CASE(anthropic, *utf::timeout(300)) { run_provider(anthropic_case); }

BOOST_AUTO_TEST_SUITE_END()
