// The host's side of native pass-through on its own: the client's raw body
// with only the model replaced, and what each dialect's watcher reads off a
// relayed answer (usage, the last event, the error event it writes).
#define BOOST_TEST_MODULE native_passthrough
#include <boost/test/unit_test.hpp>

#include "host/native_passthrough.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

using namespace sb;
namespace json = boost::json;

namespace {

std::string fixture(const std::string &name) {
    std::ifstream in(std::string(SB_TEST_FIXTURES_DIR) + "/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Feeds an SSE body's events to the watcher; returns whether one was the last.
bool watch(core::NativeWatcher &w, const std::string &sse, core::TokenUsage &usage) {
    bool last = false;
    std::size_t at = 0;
    while (at < sse.size()) {
        auto end = sse.find("\n\n", at);
        if (end == std::string::npos) end = sse.size();
        const std::string event = sse.substr(at, end - at);
        at = end + 2;
        std::string name, data;
        std::istringstream lines(event);
        for (std::string line; std::getline(lines, line);) {
            if (line.starts_with("event: ")) name = line.substr(7);
            if (line.starts_with("data: ")) data = line.substr(6);
        }
        if (w.event(name, data, usage)) last = true;
    }
    return last;
}

}  // namespace

BOOST_AUTO_TEST_CASE(only_the_model_changes) {
    BOOST_TEST(host::with_model(R"({"model":"anthropic/claude-x","max_tokens":1.0E0})", "claude-x") ==
               R"({"model":"claude-x","max_tokens":1.0E0})");
    // Spacing, key order, escapes and number spelling stay the client's.
    const std::string body = "{ \"messages\" : [{\"content\":\"a \\\"model\\\": \\u00e9\"}],\n \"model\" : \"x\" , \"n\": 1e2 }";
    BOOST_TEST(host::with_model(body, "m\"1") ==
               "{ \"messages\" : [{\"content\":\"a \\\"model\\\": \\u00e9\"}],\n \"model\" : \"m\\\"1\" , \"n\": 1e2 }");
    // A nested "model" is not the request's.
    BOOST_TEST(host::with_model(R"({"metadata":{"model":"no"},"model":"yes"})", "m") ==
               R"({"metadata":{"model":"no"},"model":"m"})");
    // Absent: the routed model goes first.
    BOOST_TEST(host::with_model(R"({"input":"hi"})", "gpt-5") == R"({"model":"gpt-5","input":"hi"})");
    BOOST_TEST(host::with_model("{}", "gpt-5") == R"({"model":"gpt-5"})");
    BOOST_CHECK_THROW(host::with_model(R"({"model":42})", "m"), core::GatewayError);
}

BOOST_AUTO_TEST_CASE(anthropic_usage_and_last_event) {
    auto w = host::anthropic_messages_watcher();
    core::TokenUsage usage;
    BOOST_TEST(watch(*w, fixture("anthropic-native/tricky-stream.sse"), usage));
    BOOST_TEST(usage.prompt_tokens == 35);  // 25 + 10 read from the cache
    BOOST_TEST(usage.cached_tokens == 10);
    BOOST_TEST(usage.completion_tokens == 57);

    // The recorded stream of a real exchange.
    const json::value rec = json::parse(fixture("recorded/anthropic/test_anthropic_model_thinking_part_stream__0.json"));
    core::TokenUsage real;
    BOOST_TEST(watch(*host::anthropic_messages_watcher(), std::string(rec.at("response").at("body").as_string()), real));
    BOOST_TEST(real.prompt_tokens == 43);
    BOOST_TEST(real.completion_tokens > 0);

    core::TokenUsage whole;
    w->answer(R"({"type":"message","usage":{"input_tokens":7,"cache_creation_input_tokens":3,"output_tokens":2}})",
              whole);
    BOOST_TEST(whole.prompt_tokens == 10);
    BOOST_TEST(whole.completion_tokens == 2);

    std::string out;
    w->failure(out, core::GatewayError(core::ErrorCode::rate_limit_exceeded, "slow down"));
    BOOST_TEST(out ==
               "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n");
}

BOOST_AUTO_TEST_CASE(responses_usage_last_event_and_error_sequence) {
    const json::value rec = json::parse(fixture("recorded/openai-responses/test_openai_responses_stream__0.json"));
    const std::string body(rec.at("response").at("body").as_string());
    auto w = host::openai_responses_watcher();
    core::TokenUsage usage;
    BOOST_TEST(watch(*w, body, usage));
    BOOST_TEST(usage.prompt_tokens > 0);
    BOOST_TEST(usage.completion_tokens > 0);

    auto cut = host::openai_responses_watcher();
    core::TokenUsage none;
    BOOST_TEST(!cut->event("response.output_text.delta", R"({"type":"response.output_text.delta","sequence_number":41})", none));
    std::string out;
    cut->failure(out, core::GatewayError(core::ErrorCode::upstream_error, "gone"));
    BOOST_TEST(out.starts_with("event: error\ndata: {\"type\":\"error\""));
    BOOST_TEST(out.find("\"sequence_number\":42") != std::string::npos, out);
}
