// Every recorded OpenAI chat exchange (tests/fixtures/recorded/openai/)
// replayed through the plugin. The vendor already speaks the OpenAI format,
// so the expectations are the vendor's own answer read the same way as the
// plugin's: nothing may be lost or changed, and the recorded request (an
// OpenAI request) must go out as the vendor received it.
#define BOOST_TEST_MODULE openai_replay
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "replay_checks.hpp"

namespace bdata = boost::unit_test::data;
using namespace sbtest;

namespace {

const std::string kKey = "sk-replay-0123456789";

std::string vendor_error_message(const std::string &body, std::string &code) {
    json::object o = json::parse(body).as_object();
    const json::object &e = o.at("error").as_object();
    code = str(e, "code");
    return str(e, "message");
}

}  // namespace

BOOST_DATA_TEST_CASE(answer_carries_what_the_vendor_sent, bdata::make(recordings("openai")), name) {
    const Exchange x = exchange("openai", name);
    const int status = x.status;
    const std::string &body = x.body;
    const std::string request = json::serialize(x.request);
    Config c(kKey, "https://api.openai.com/v1", x.model);

    if (status != 200) {
        std::string code;
        std::string message = vendor_error_message(body, code);
        check_error(replayed_plugin().parse_chat(c, status, body), status, kind_for(status, code), message);
        return;
    }
    if (!x.stream) {
        auto r = replayed_plugin().parse_chat(c, status, body);
        BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
        check_choices(read_completion(body), read_completion(r.body));
        Answers got = read_completion(r.body);
        check_usage(json::parse(body).at("usage").as_object(), got, [](const std::string &p) { return p; });
        // Passed through whole: annotations, refusal, service tier and all.
        BOOST_TEST(json::parse(r.body) == json::parse(body));
        return;
    }
    std::vector<std::string> events = sse_data(body);
    BOOST_TEST_REQUIRE(!events.empty());
    BOOST_TEST(events.back() == "[DONE]");
    auto r = replayed_plugin().stream(c, request, events);
    BOOST_TEST_REQUIRE(r.status == SB_STREAM_END, r.error.message);
    std::vector<std::string> vendor_chunks(events.begin(), events.end() - 1);
    Answers want = read_chunks(vendor_chunks), got = read_chunks(r.chunks);
    check_choices(want, got);
    BOOST_TEST_REQUIRE(want.has_usage, "every recorded stream asked for usage");
    check_usage(want.usage, got, [](const std::string &p) { return p; });
    // The typed report the host bills from says the same as the usage chunk.
    BOOST_TEST_REQUIRE(!r.usage_reports.empty(), "the plugin never reported usage through the sink");
    const sb_usage &reported = r.usage_reports.back();
    BOOST_TEST(reported.prompt_tokens == usage_figure(want.usage, "prompt_tokens"));
    BOOST_TEST(reported.completion_tokens == usage_figure(want.usage, "completion_tokens"));
    // Chunk for chunk, unchanged.
    BOOST_TEST_REQUIRE(r.chunks.size() == vendor_chunks.size());
    for (size_t i = 0; i < vendor_chunks.size(); ++i)
        BOOST_TEST(json::parse(r.chunks[i]) == json::parse(vendor_chunks[i]), "chunk " << i);
}

// The recorded request is what an OpenAI client sends; the plugin must send
// the vendor the same fields (max_tokens would be renamed, but no recording
// has one).
BOOST_DATA_TEST_CASE(request_goes_out_as_recorded, bdata::make(recordings("openai")), name) {
    const Exchange x = exchange("openai", name);
    const json::value &sent = x.request;
    const bool stream = x.stream;
    Config c(kKey, "https://api.openai.com/v1", x.model);
    auto r = replayed_plugin().build_chat(c, json::serialize(sent), stream);
    BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == "https://api.openai.com/v1/chat/completions");
    BOOST_TEST(canonical_request(json::parse(r.request.body)) == canonical_request(sent), r.request.body);
}
