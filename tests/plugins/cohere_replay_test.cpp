// Every recorded Cohere chat exchange (tests/fixtures/recorded/cohere/)
// replayed through the plugin: what the vendor sent must be in the
// OpenAI-format answer. The expectations are read from Cohere's own JSON
// (content blocks, tool_plan, tool_calls, citations, finish_reason, usage),
// never written by hand. Usage figures with no OpenAI place are named in
// kDroppedUsage (and in docs/providers.md).
#define BOOST_TEST_MODULE cohere_replay
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <map>

#include "replay_checks.hpp"

namespace bdata = boost::unit_test::data;
using namespace sbtest;

namespace {

const std::string kKey = "cohere-replay-0123456789";

// Cohere's finish reasons; ERROR, TIMEOUT and USER_CANCEL are errors.
const std::map<std::string, std::string> kFinish = {
    {"COMPLETE", "stop"},         {"STOP_SEQUENCE", "stop"},  {"MAX_TOKENS", "length"},
    {"ERROR_LIMIT", "length"},    {"TOOL_CALL", "tool_calls"}, {"ERROR_TOXIC", "content_filter"}};

// Billed units are what Cohere charges, not what the model saw; OpenAI's
// usage has no place for them.
const std::set<std::string> kDroppedUsage = {"billed_units.input_tokens", "billed_units.output_tokens",
                                             "billed_units.search_units", "billed_units.classifications",
                                             "billed_units.image_tokens"};

std::string openai_usage_path(const std::string &p) {
    if (p == "tokens.input_tokens") return "prompt_tokens";
    if (p == "tokens.output_tokens") return "completion_tokens";
    if (p == "cached_tokens") return "prompt_tokens_details.cached_tokens";
    return {};
}

int64_t count_chars(const std::string &s) {
    int64_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// What Cohere answered, in the Answers shape: the tool plan is the content
// before the text (they are joined by a blank line when both are present),
// citations are annotations of type "citation" with Cohere's offsets.
Answers vendor_answers(const json::object &o) {
    Answers out;
    out.id = str(o, "id");
    Answer &a = out.choices[0];
    const json::object &m = o.at("message").as_object();
    std::string text;
    if (const json::value *content = m.if_contains("content"))
        for (const auto &bv : content->as_array()) {
            const json::object &b = bv.as_object();
            const std::string type = str(b, "type");
            if (type == "text") text += str(b, "text");
            else if (type == "thinking") a.reasoning += str(b, "thinking");
            else BOOST_ERROR("content block type " << type << " is not carried");
        }
    const std::string plan = str(m, "tool_plan");
    a.content = plan.empty() ? text : text.empty() ? plan : plan + "\n\n" + text;
    const int64_t shift = plan.empty() || text.empty() ? 0 : count_chars(plan + "\n\n");
    if (const json::value *calls = m.if_contains("tool_calls"))
        for (const auto &cv : calls->as_array()) {
            const json::object &c = cv.as_object();
            const json::object &f = c.at("function").as_object();
            a.tool_calls.push_back({str(c, "id"), str(f, "name"), str(f, "arguments"), nullptr});
        }
    if (const json::value *cites = m.if_contains("citations"))
        for (const auto &cv : cites->as_array()) {
            json::object cite;
            for (const auto &kv : cv.as_object())
                if (kv.key() != "start" && kv.key() != "end") cite[kv.key()] = kv.value();
            cite["start_index"] = cv.at("start").to_number<int64_t>() + shift;
            cite["end_index"] = cv.at("end").to_number<int64_t>() + shift;
            a.annotations.push_back(json::object{{"type", "citation"}, {"citation", std::move(cite)}});
        }
    const std::string finish = str(o, "finish_reason");
    BOOST_TEST_REQUIRE(kFinish.count(finish), "finish reason " << finish << " has no mapping");
    a.finish_reason = kFinish.at(finish);
    a.has_finish = true;
    return out;
}

}  // namespace

BOOST_DATA_TEST_CASE(answer_carries_what_the_vendor_sent, bdata::make(recordings("cohere")), name) {
    const Exchange x = exchange("cohere", name);
    const int status = x.status;
    const std::string &body = x.body;
    Config c(kKey, "https://api.cohere.com", x.model);
    BOOST_TEST_REQUIRE(!x.stream, "no Cohere stream is recorded; add its replay when one is");

    if (status != 200) {
        json::object o = json::parse(body).as_object();
        check_error(replayed_plugin().parse_chat(c, status, body), status, kind_for(status, ""), str(o, "message"));
        return;
    }
    json::object o = json::parse(body).as_object();
    auto r = replayed_plugin().parse_chat(c, status, body);
    const std::string finish = str(o, "finish_reason");
    if (finish == "ERROR" || finish == "TIMEOUT" || finish == "USER_CANCEL") {
        BOOST_TEST(r.status == SB_ERR_UPSTREAM);
        return;
    }
    BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
    Answers want = vendor_answers(o), got = read_completion(r.body);
    check_choices(want, got);
    check_usage(o.at("usage").as_object(), got, openai_usage_path, kDroppedUsage);
    BOOST_TEST(got.id == want.id);
}

namespace {

// The OpenAI request a client writes for what pydantic-ai sent Cohere.
json::value openai_request(json::value cohere) {
    json::object &o = cohere.as_object();
    if (json::value *stop = o.if_contains("stop_sequences")) {
        json::value v = *stop;
        o.erase("stop_sequences");
        o["stop"] = std::move(v);
    }
    if (json::value *tc = o.if_contains("tool_choice"); tc && tc->is_string())
        *tc = json::string(tc->get_string() == "REQUIRED" ? "required" : "none");
    for (json::value &m : o["messages"].as_array()) {
        json::object &mo = m.as_object();
        if (json::value *plan = mo.if_contains("tool_plan")) {
            json::value v = *plan;
            mo.erase("tool_plan");
            mo["content"] = std::move(v);
        }
    }
    return cohere;
}

}  // namespace

BOOST_DATA_TEST_CASE(request_goes_out_as_recorded, bdata::make(recordings("cohere")), name) {
    const Exchange x = exchange("cohere", name);
    const json::value &sent = x.request;
    Config c(kKey, "https://api.cohere.com", x.model);
    auto r = replayed_plugin().build_chat(c, json::serialize(openai_request(sent)), x.stream);
    BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == "https://api.cohere.com/v2/chat");
    BOOST_TEST(canonical_request(json::parse(r.request.body)) == canonical_request(sent), r.request.body);
}
