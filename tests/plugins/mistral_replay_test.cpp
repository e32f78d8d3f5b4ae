// Every recorded Mistral chat exchange (tests/fixtures/recorded/mistral/)
// replayed through the plugin: what the vendor sent must be in the
// OpenAI-format answer. The expectations are read from Mistral's own JSON
// (content strings or chunk arrays with text and thinking parts, tool calls,
// finish_reason, usage), never written by hand.
#define BOOST_TEST_MODULE mistral_replay
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <map>

#include "replay_checks.hpp"

namespace bdata = boost::unit_test::data;
using namespace sbtest;

namespace {

const std::string kKey = "mistral-replay-0123456789";

// Mistral's finish reasons; "error" is an error, not a finish reason.
const std::map<std::string, std::string> kFinish = {
    {"stop", "stop"}, {"length", "length"}, {"model_length", "length"}, {"tool_calls", "tool_calls"}};

// The text and thinking of a Mistral content value (string or chunk array).
void add_content(Answer &a, const json::value &content) {
    if (content.is_string()) {
        a.content += content.get_string();
        return;
    }
    if (!content.is_array()) return;
    for (const auto &pv : content.get_array()) {
        const json::object &p = pv.as_object();
        const std::string type = str(p, "type");
        if (type == "text") {
            a.content += str(p, "text");
        } else if (type == "thinking") {
            const json::value &t = p.at("thinking");
            if (t.is_string()) a.reasoning += t.get_string();
            else
                for (const auto &tp : t.as_array()) a.reasoning += str(tp.as_object(), "text");
        } else {
            BOOST_ERROR("content chunk type " << type << " is not carried");
        }
    }
}

void add_calls(Answer &a, const json::value *calls, std::map<std::string, size_t> &by_id) {
    if (!calls || !calls->is_array()) return;
    for (const auto &cv : calls->get_array()) {
        const json::object &c = cv.as_object();
        const std::string id = str(c, "id");
        auto [it, fresh] = by_id.emplace(id, a.tool_calls.size());
        if (fresh) a.tool_calls.emplace_back();
        Answer::Call &call = a.tool_calls[it->second];
        call.id = id;
        const json::object &f = c.at("function").as_object();
        call.name += str(f, "name");
        const json::value &args = f.at("arguments");
        call.arguments += args.is_string() ? std::string(args.get_string()) : json::serialize(args);
    }
}

void set_finish(Answer &a, const json::value *fr) {
    if (!fr || !fr->is_string()) return;
    const std::string r(fr->get_string());
    BOOST_TEST_REQUIRE(kFinish.count(r), "finish reason " << r << " has no mapping");
    a.finish_reason = kFinish.at(r);
    a.has_finish = true;
}

// What the vendor sent, whole or as stream payloads, in the Answers shape.
Answers vendor_answers(const std::vector<json::object> &payloads, bool delta) {
    Answers out;
    std::map<int64_t, std::map<std::string, size_t>> ids;
    for (const auto &o : payloads) {
        for (const auto &cv : o.at("choices").as_array()) {
            const json::object &c = cv.as_object();
            const int64_t index = c.at("index").to_number<int64_t>();
            Answer &a = out.choices[index];
            const json::object &m = c.at(delta ? "delta" : "message").as_object();
            if (const json::value *content = m.if_contains("content")) add_content(a, *content);
            add_calls(a, m.if_contains("tool_calls"), ids[index]);
            set_finish(a, c.if_contains("finish_reason"));
        }
        if (const json::value *u = o.if_contains("usage"); u && u->is_object()) {
            out.usage = u->get_object();
            out.has_usage = true;
        }
    }
    return out;
}

// Mistral usage paths in OpenAI's usage.
std::string openai_usage_path(const std::string &p) {
    if (p == "num_cached_tokens") return "prompt_tokens_details.cached_tokens";
    return p;  // prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details.cached_tokens
}

bool finished_with_error(const std::vector<json::object> &payloads) {
    for (const auto &o : payloads)
        for (const auto &c : o.at("choices").as_array())
            if (const json::value *fr = c.as_object().if_contains("finish_reason"); fr && fr->is_string() &&
                                                                                     fr->get_string() == "error")
                return true;
    return false;
}

}  // namespace

BOOST_DATA_TEST_CASE(answer_carries_what_the_vendor_sent, bdata::make(recordings("mistral")), name) {
    const Exchange x = exchange("mistral", name);
    Config c(kKey, "https://api.mistral.ai/v1", x.model);
    BOOST_TEST_REQUIRE(x.status == 200, "no Mistral error is recorded; add its check when one is");

    // The vendor's payloads (one answer, or the stream's events) and the plugin's output.
    std::vector<json::object> payloads;
    sb_status status;
    std::string message;
    Answers got;
    if (x.stream) {
        std::vector<std::string> events = sse_data(x.body);
        BOOST_TEST_REQUIRE(!events.empty());
        BOOST_TEST(events.back() == "[DONE]");
        for (size_t i = 0; i + 1 < events.size(); ++i) payloads.push_back(json::parse(events[i]).as_object());
        auto r = replayed_plugin().stream(c, json::serialize(x.request), events);
        status = r.status;
        message = r.error.message;
        if (status == SB_STREAM_END) got = read_chunks(r.chunks);
    } else {
        payloads.push_back(json::parse(x.body).as_object());
        auto r = replayed_plugin().parse_chat(c, x.status, x.body);
        status = r.status;
        message = r.error.message;
        if (status == SB_OK) got = read_completion(r.body);
    }
    if (finished_with_error(payloads)) {
        BOOST_TEST(status == SB_ERR_UPSTREAM);
        return;
    }
    BOOST_TEST_REQUIRE(status == (x.stream ? SB_STREAM_END : SB_OK), message);
    Answers want = vendor_answers(payloads, x.stream);
    check_choices(want, got);
    BOOST_TEST_REQUIRE(want.has_usage);
    check_usage(want.usage, got, openai_usage_path);
    BOOST_TEST(got.id == str(payloads[0], "id"));
}

namespace {

// The OpenAI request a client writes for what pydantic-ai sent Mistral:
// tools typed "function" (Mistral's default, OpenAI's requirement) and
// Mistral's "any" spelled "required".
json::value openai_request(json::value mistral) {
    json::object &o = mistral.as_object();
    if (json::value *tools = o.if_contains("tools"))
        for (json::value &t : tools->as_array())
            if (!t.as_object().contains("type")) t.as_object()["type"] = "function";
    if (json::value *tc = o.if_contains("tool_choice"); tc && tc->is_string() && tc->get_string() == "any")
        *tc = "required";
    return mistral;
}

// The sent request compared without what carries no meaning for Mistral:
// tool messages may name their function (the plugin adds it from the call).
json::value comparable(json::value body) {
    body = canonical_request(std::move(body));
    for (json::value &m : body.as_object()["messages"].as_array())
        if (m.as_object().at("role") == "tool") m.as_object().erase("name");
    if (json::value *tools = body.as_object().if_contains("tools"))
        for (json::value &t : tools->as_array())
            if (!t.as_object().contains("type")) t.as_object()["type"] = "function";
    return body;
}

}  // namespace

BOOST_DATA_TEST_CASE(request_goes_out_as_recorded, bdata::make(recordings("mistral")), name) {
    const Exchange x = exchange("mistral", name);
    const json::value &sent = x.request;
    Config c(kKey, "https://api.mistral.ai/v1", x.model);
    auto r = replayed_plugin().build_chat(c, json::serialize(openai_request(sent)), x.stream);
    BOOST_TEST_REQUIRE(r.status == SB_OK, r.error.message);
    BOOST_TEST(r.request.url == "https://api.mistral.ai/v1/chat/completions");
    BOOST_TEST(comparable(json::parse(r.request.body)) == comparable(sent), r.request.body);
}
