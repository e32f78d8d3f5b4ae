// The daemon's OpenAI-compatible API as the official `openai` npm client sees
// it, for every provider: the real daemon with every plugin, the provider
// configured against a loopback mock speaking its vendor's dialect
// (tests/support/mock_vendor_upstreams.hpp; openai and custom share the
// OpenAI dialect), and tests/openai-client/run.mjs driving /v1 with the
// client. run.mjs prints one JSON line of what the client saw; the checks
// here compare it with the vendor fixtures read in the vendor's own dialect
// (vendor_expect), so a translation bug shows as a mismatch.
#include "integration/client_report.hpp"
#include "integration/integration_fixture.hpp"
#include "support/mock_vendor_upstreams.hpp"

using namespace sb::test;
using namespace sb::test::it;
using namespace sb::test::it::report;
namespace utf = boost::unit_test;

namespace {

const fs::path client_dir{SB_OPENAI_CLIENT_DIR};

struct ClientCase {
    VendorDialect dialect;
    std::string id;     // provider id
    std::string env;    // env var prefix
    std::string model;  // the model the tests ask for
    std::string tool_reply;   // plain tool-call fixture (absolute or in the dialect's dir)
    std::string tool_stream;  // tool-call stream fixture
    std::string key() const { return id + "-npm-secret-key-0123456789abcdef"; }
};

std::string together_fixture(const char *name) {
    return (vendor_fixture_dir(VendorDialect::together) / name).string();
}

const ClientCase openai_case{VendorDialect::openai, "openai", "OPENAI", "gpt-4.1-nano",
                             together_fixture("tool_call.json"), "xai-tool-call.chunks.txt"};
const ClientCase custom_case{VendorDialect::openai, "custom", "CUSTOM", "mock-model",
                             together_fixture("tool_call.json"), together_fixture("tool-call.chunks.txt")};
const ClientCase anthropic_case{VendorDialect::anthropic, "anthropic", "ANTHROPIC", "claude-3-haiku-20240307",
                                "anthropic-json-tool.1.json", "anthropic-json-tool.1.chunks.txt"};
const ClientCase google_case{VendorDialect::gemini, "google", "GOOGLE", "gemini-1.5-pro", "google-tool-call.json",
                             "google-tool-call.chunks.txt"};
const ClientCase cohere_case{VendorDialect::cohere, "cohere", "COHERE", "command-a-03-2025", "cohere-tool-call.json",
                             "cohere-tool-call.chunks.txt"};
const ClientCase mistral_case{VendorDialect::mistral, "mistral", "MISTRAL", "mistral-small-latest",
                              "mistral-tool-call.json", "mistral-tool-call.chunks.txt"};
const ClientCase together_case{VendorDialect::together, "together", "TOGETHER",
                               "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free", "tool_call.json", "tool-call.chunks.txt"};

std::vector<std::string> all_plugins() {
    return {"switchboard-openai.so",  "switchboard-custom.so",  "switchboard-anthropic.so", "switchboard-google.so",
            "switchboard-cohere.so",  "switchboard-mistral.so", "switchboard-together.so"};
}

// Runs run.mjs against the daemon and returns its JSON line; the test fails
// (not skips) on a timeout, a non-zero exit or output that is not one JSON
// object.
json::value run_client(Harness &h, const ClientCase &c, std::string_view mode,
                       std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run.mjs",
                                  "--base",
                                  "http://127.0.0.1:" + std::to_string(h.daemon().port()) + "/v1",
                                  "--provider",
                                  c.id,
                                  "--model",
                                  c.model,
                                  "--mode",
                                  std::string(mode)};
    args.insert(args.end(), extra.begin(), extra.end());
    NodeResult r = run_node(SB_NODE_EXECUTABLE, client_dir, args, std::chrono::seconds{60});
    return report::parse_client_output(r, c.id + " " + std::string(mode), h.log_text());
}

void check_error(const json::value &doc, std::string_view where, std::string_view cls, long status,
                 std::string_view code = {}) {
    BOOST_TEST_CONTEXT(where << ": " << show(doc, where)) {
        BOOST_TEST(is_true(doc, std::string(where) + ".raised"), "the client raised no error");
        BOOST_TEST(is_true(doc, std::string(where) + ".api_error"), "not an APIError");
        BOOST_TEST(text(doc, std::string(where) + ".class") == cls);
        BOOST_TEST(number_at(doc, std::string(where) + ".status") == status);
        if (!code.empty()) BOOST_TEST(text(doc, std::string(where) + ".code") == code);
    }
}

void check_tool_calls(const json::value &doc, std::string_view where,
                      const std::vector<vendor_expect::ToolCall> &expected) {
    const auto &got = items(doc, std::string(where) + ".tool_calls");
    BOOST_TEST_CONTEXT(where << ".tool_calls: " << json::serialize(got)) {
        BOOST_TEST_REQUIRE(!expected.empty(), "the fixture has no tool call");
        BOOST_TEST(got.size() == expected.size());
        for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
            const json::value &tc = got[i];
            const auto &want = expected[i];
            if (!want.id.empty())
                BOOST_TEST(text(tc, "id") == want.id);
            else
                BOOST_TEST(!text(tc, "id").empty(), "tool call " << i << " has no id");
            BOOST_TEST(text(tc, "type") == "function");
            BOOST_TEST(text(tc, "name") == want.name);
            BOOST_TEST(is_null_at(tc, "arguments_parse_error"), "arguments are not JSON: " << text(tc, "arguments"));
            BOOST_TEST(same_json(text(tc, "arguments"), want.arguments),
                       "arguments " << text(tc, "arguments") << " != fixture's " << want.arguments);
        }
    }
}

void run_provider(const ClientCase &c) {
    BOOST_REQUIRE_MESSAGE(fs::exists(client_dir / "node_modules" / "openai" / "package.json"),
                          "the openai npm client is not installed in " << client_dir.string()
                                                                       << "/node_modules; run: npm ci --prefix "
                                                                          "tests/openai-client --no-audit --no-fund");
    Harness h(all_plugins());
    MockVendorUpstream mock(c.dialect);
    auto env_for = [&](const std::string &key) {
        return Env{{c.env + "_API_KEY", key},
                   {c.env + "_API_BASE", mock.base_url()},
                   {c.env + "_MODEL", c.model},
                   {"LLM_PROVIDER", c.id}};
    };
    h.start(env_for(c.key()));

    // --- plain, streaming, models, error classes ---
    {
        json::value doc = run_client(h, c, "chat");
        const auto reply = parse_json(read_fixture_file(mock.reply_fixture()));
        BOOST_TEST_CONTEXT("plain: " << show(doc, "plain")) {
            BOOST_TEST(text(doc, "plain.object") == "chat.completion");
            BOOST_TEST(text(doc, "plain.role") == "assistant");
            BOOST_TEST(text(doc, "plain.content") == vendor_expect::reply_text(c.dialect, reply));
            BOOST_TEST(text(doc, "plain.finish_reason") == "stop");
            BOOST_TEST(number_at(doc, "plain.choices") == 1);
            BOOST_TEST(text(doc, "plain.provider_header") == c.id);
            BOOST_TEST(number_at(doc, "plain.usage.total_tokens") > 0);
        }
        const auto lines = read_fixture_lines(mock.stream_fixture());
        BOOST_TEST_CONTEXT("stream: " << show(doc, "stream")) {
            BOOST_TEST(text(doc, "stream.content") == vendor_expect::stream_text(c.dialect, lines));
            BOOST_TEST(text(doc, "stream.role") == "assistant");
            BOOST_TEST(array_size(doc, "stream.finish_reasons") == 1, "exactly one chunk carries a finish_reason");
            BOOST_TEST(text(doc, "stream.finish_reasons.0") == "stop");
            BOOST_TEST(array_size(doc, "stream.objects") == 1);
            BOOST_TEST(text(doc, "stream.objects.0") == "chat.completion.chunk");
            BOOST_TEST(array_size(doc, "stream.ids") == 1, "every chunk carries the same id");
            BOOST_TEST(number_at(doc, "stream.usage_chunks") == 1, "include_usage: one usage chunk");
            BOOST_TEST(number_at(doc, "stream.usage_chunk_choices") == 0, "the usage chunk has empty choices");
            BOOST_TEST(number_at(doc, "stream.after_usage") == 0, "the usage chunk is the last one");
            BOOST_TEST(number_at(doc, "stream.usage.total_tokens") > 0);
            BOOST_TEST(number_at(doc, "stream.usage.total_tokens") ==
                       number_at(doc, "stream.usage.prompt_tokens") + number_at(doc, "stream.usage.completion_tokens"));
        }
        BOOST_TEST_CONTEXT("models: " << show(doc, "models")) {
            const auto &ids = items(doc, "models");
            BOOST_TEST(!ids.empty());
            for (const auto &id : ids)
                BOOST_TEST((id.is_string() && id.get_string().starts_with(c.id + "/")),
                           "model id " << json::serialize(id) << " is not " << c.id << "/<model>");
            BOOST_TEST(!mock.model_list_requests().empty(), "the daemon never asked the vendor for its models");
        }
        check_error(doc, "errors.missing_model", "NotFoundError", 404, "model_not_found");
        check_error(doc, "errors.missing_model_stream", "NotFoundError", 404, "model_not_found");
        check_error(doc, "errors.rate_limited", "RateLimitError", 429);
        check_error(doc, "errors.unknown_provider", "BadRequestError", 400, "unknown_provider");
        BOOST_TEST(json::serialize(doc).find(c.key()) == std::string::npos, "the API key reached the client");
    }

    // --- the same answers from a server that ends them by closing the
    //     connection (HTTP/1.0 framing): complete, and nothing raised
    //     (run.mjs exits non-zero when the client raises) ---
    {
        mock.set_close_delimited(true);
        json::value doc = run_client(h, c, "chat");
        mock.set_close_delimited(false);
        const auto reply = parse_json(read_fixture_file(mock.reply_fixture()));
        BOOST_TEST_CONTEXT("close-delimited plain: " << show(doc, "plain")) {
            BOOST_TEST(text(doc, "plain.content") == vendor_expect::reply_text(c.dialect, reply));
            BOOST_TEST(number_at(doc, "plain.usage.total_tokens") > 0);
        }
        const auto lines = read_fixture_lines(mock.stream_fixture());
        BOOST_TEST_CONTEXT("close-delimited stream: " << show(doc, "stream")) {
            BOOST_TEST(text(doc, "stream.content") == vendor_expect::stream_text(c.dialect, lines));
            BOOST_TEST(array_size(doc, "stream.finish_reasons") == 1);
            BOOST_TEST(number_at(doc, "stream.usage_chunks") == 1, "include_usage: one usage chunk");
            BOOST_TEST(number_at(doc, "stream.after_usage") == 0, "the usage chunk is the last one");
        }
    }

    // --- tool calls, plain and streamed ---
    {
        mock.set_reply_fixture(c.tool_reply);
        mock.set_stream_fixture(c.tool_stream);
        json::value doc = run_client(h, c, "tools", {"--tool-stream"});
        const auto reply = parse_json(read_fixture_file(mock.reply_fixture()));
        BOOST_TEST(text(doc, "plain.finish_reason") == "tool_calls", show(doc, "plain"));
        check_tool_calls(doc, "plain", vendor_expect::reply_tool_calls(c.dialect, reply));
        const auto lines = read_fixture_lines(mock.stream_fixture());
        BOOST_TEST(text(doc, "stream.finish_reason") == "tool_calls", show(doc, "stream"));
        BOOST_TEST(text(doc, "stream.final_finish_reason") == "tool_calls");
        check_tool_calls(doc, "stream", vendor_expect::stream_tool_calls(c.dialect, lines));
    }

    // --- a key the vendor refuses ---
    {
        h.start(env_for("bad-key"));
        json::value doc = run_client(h, c, "badkey");
        check_error(doc, "errors.bad_key", "AuthenticationError", 401);
        check_error(doc, "errors.bad_key_stream", "AuthenticationError", 401);
    }
    BOOST_TEST(h.log_text().find(c.key()) == std::string::npos, c.id << ": the API key is in the daemon log");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(openai_client)

BOOST_AUTO_TEST_CASE(openai, *utf::timeout(300)) { run_provider(openai_case); }
BOOST_AUTO_TEST_CASE(custom, *utf::timeout(300)) { run_provider(custom_case); }
BOOST_AUTO_TEST_CASE(anthropic, *utf::timeout(300)) { run_provider(anthropic_case); }
BOOST_AUTO_TEST_CASE(google, *utf::timeout(300)) { run_provider(google_case); }
BOOST_AUTO_TEST_CASE(cohere, *utf::timeout(300)) { run_provider(cohere_case); }
BOOST_AUTO_TEST_CASE(mistral, *utf::timeout(300)) { run_provider(mistral_case); }
BOOST_AUTO_TEST_CASE(together, *utf::timeout(300)) { run_provider(together_case); }

BOOST_AUTO_TEST_SUITE_END()
