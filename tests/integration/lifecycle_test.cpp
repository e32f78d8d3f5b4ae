// Model lifecycle through the real daemon: what each plugin declares of its
// vendor's retired and deprecated models (sb.model_lifecycle/1) shows in
// GET /providers and the model lists, /test explains a vendor's refusal of a
// retired model with the successor and the setting that switches to it, and
// /test passes for every
// successor against vendor mocks that enforce today's request rules.
#define BOOST_TEST_MODULE switchboard_lifecycle
#include "integration/integration_fixture.hpp"
#include "support/mock_vendor_upstreams.hpp"

#include <fstream>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

struct Seed {
    VendorDialect dialect;
    std::string id;
    std::string env;
    std::string default_model;
    std::string status;     // on this date: the dates are all before 2026-12-07
    std::string successor;  // suggested_model
};

const std::vector<Seed> seeds{
    {VendorDialect::openai, "openai", "OPENAI", "gpt-3.5-turbo", "retired", "gpt-5.6-terra"},
    {VendorDialect::anthropic, "anthropic", "ANTHROPIC", "claude-3-haiku-20240307", "retired",
     "claude-haiku-4-5-20251001"},
    {VendorDialect::gemini, "google", "GOOGLE", "gemini-pro", "retired", "gemini-3.5-flash"},
    {VendorDialect::cohere, "cohere", "COHERE", "command", "deprecated", "command-a-03-2025"},
    {VendorDialect::mistral, "mistral", "MISTRAL", "mistral-small", "deprecated", "mistral-small-latest"},
    {VendorDialect::together, "together", "TOGETHER", "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free", "retired",
     "meta-llama/Llama-3.3-70B-Instruct-Turbo"},
};

std::vector<std::string> vendor_plugins() {
    return {"switchboard-openai.so", "switchboard-custom.so",  "switchboard-anthropic.so", "switchboard-google.so",
            "switchboard-cohere.so", "switchboard-mistral.so", "switchboard-together.so"};
}

std::string key_of(const Seed &s) { return s.id + "-lifecycle-key-0123456789abcdef"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_CASE(providers_say_which_seed_defaults_the_vendors_retired, *utf::timeout(120)) {
    Harness h(vendor_plugins());
    h.start();
    const json::value doc = h.get(providers_path).json();
    for (const Seed &s : seeds) {
        const json::object *p = find_in(find(doc, "providers"), "id", s.id);
        BOOST_TEST_REQUIRE(p, s.id << " is not listed");
        BOOST_TEST_CONTEXT(s.id << ": " << json::serialize(*p)) {
            BOOST_TEST(text(*p, "default_model") == s.default_model);  // the contract stays
            BOOST_TEST(text(*p, "default_model_status") == s.status);
            BOOST_TEST(text(*p, "suggested_model") == s.successor);
            BOOST_TEST(text(*p, "default_model_lifecycle.status") == s.status);
            BOOST_TEST(text(*p, "default_model_lifecycle.source").starts_with("https://"));
        }
    }
    const json::object *custom = find_in(find(doc, "providers"), "id", "custom");
    BOOST_TEST_REQUIRE(custom);
    BOOST_TEST(text(*custom, "default_model_status") == "available");
    BOOST_TEST(is_null_at(*custom, "default_model_lifecycle"));
}

BOOST_AUTO_TEST_CASE(test_on_a_retired_model_names_date_successor_and_setting, *utf::timeout(120)) {
    for (const Seed &s : seeds) {
        if (s.status != "retired") continue;
        MockVendorUpstream mock(s.dialect);
        mock.set_retired_models({s.default_model});  // as the vendor answers today
        Harness h(vendor_plugins());
        h.start({{s.env + "_API_KEY", key_of(s)}, {s.env + "_API_BASE", mock.base_url()}});
        const auto r = h.post_json(test_path, json::object{{"provider", s.id}});
        BOOST_TEST_CONTEXT(s.id << ": " << r.body) {
            BOOST_TEST(r.status == 200u);
            const json::value doc = r.json();
            BOOST_TEST(is_false(doc, "ok"));
            BOOST_TEST(text(doc, "error.type") == "model_not_found");
            const std::string hint = text(doc, "error.hint");
            BOOST_TEST(hint.find(s.successor) != std::string::npos);
            BOOST_TEST(hint.find(s.env + "_MODEL=" + s.successor) != std::string::npos);
            BOOST_TEST(hint.find("POST /api/backdoor/llm/config") != std::string::npos);
            BOOST_TEST(hint.find("retired " + s.default_model + " on 20") != std::string::npos);
            BOOST_TEST(r.body.find(key_of(s)) == std::string::npos);
        }
        BOOST_TEST(mock.chat_requests().size() == 1u, s.id << ": the vendor decides, once");
    }
}

// The successors pass /test against mocks that refuse what current models
// refuse (max_tokens on OpenAI reasoning models, temperature with top_p on
// Claude), and the listed models carry their lifecycle.
BOOST_AUTO_TEST_CASE(test_passes_for_every_successor, *utf::timeout(180)) {
    for (const Seed &s : seeds) {
        MockVendorUpstream mock(s.dialect);
        Harness h(vendor_plugins());
        h.start({{s.env + "_API_KEY", key_of(s)}, {s.env + "_API_BASE", mock.base_url()}});
        const auto r = h.post_json(test_path, json::object{{"provider", s.id}, {"model", s.successor}});
        BOOST_TEST_CONTEXT(s.id << " " << s.successor << ": " << r.body) {
            BOOST_TEST(r.status == 200u);
            BOOST_TEST(is_true(r.json(), "ok"));
            BOOST_TEST(!text(r.json(), "reply").empty());
            BOOST_TEST(mock.chat_requests().size() == 1u);
        }
        if (s.status == "deprecated") {
            const auto d = h.post_json(test_path, json::object{{"provider", s.id}});
            BOOST_TEST(text(d.json(), "warning").find(s.successor) != std::string::npos, d.body);
        }
    }
}

// The notices explain; the vendor decides: a retired model a vendor (or a
// compatible server) still answers passes, with a warning.
BOOST_AUTO_TEST_CASE(a_retired_model_the_vendor_still_serves_passes_with_a_warning, *utf::timeout(60)) {
    MockVendorUpstream mock(VendorDialect::openai);
    Harness h(vendor_plugins());
    h.start({{"OPENAI_API_KEY", "sk-still-serves-0123456789"}, {"OPENAI_API_BASE", mock.base_url()}});
    const auto r = h.post_json(test_path, json::object{{"provider", "openai"}});
    BOOST_TEST(is_true(r.json(), "ok"), r.body);
    BOOST_TEST(text(r.json(), "warning") == "the vendor retired gpt-3.5-turbo on 2026-10-23", r.body);
}

BOOST_AUTO_TEST_CASE(the_rules_mock_refuses_what_vendors_refuse, *utf::timeout(60)) {
    // The mock is only a proof if it says no: a reasoning model given
    // max_tokens directly (not through the daemon) is refused.
    MockVendorUpstream mock(VendorDialect::openai);
    const TestHttpClient client("127.0.0.1", mock.port(), std::chrono::milliseconds{5'000});
    const auto r = client.post("/v1/chat/completions",
                               R"({"model":"gpt-5.6-terra","max_tokens":16,"messages":[{"role":"user","content":"x"}]})",
                               {{"Authorization", "Bearer " + std::string("sk-x")}, {"Content-Type", "application/json"}});
    BOOST_TEST(r.status == 400u, r.body);
    BOOST_TEST(r.body.find("unsupported_parameter") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(test_never_reports_ok_on_an_empty_reply, *utf::timeout(60)) {
    MockVendorUpstream mock(VendorDialect::openai);
    Harness h(vendor_plugins());
    const fs::path empty = h.tmp.path() / "empty-reply.json";
    std::ofstream(empty) << R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-5.6-terra",)"
                         << R"("choices":[{"index":0,"message":{"role":"assistant","content":""},)"
                         << R"("finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":1024,)"
                         << R"("total_tokens":1029}})";
    mock.set_reply_fixture(empty.string());
    h.start({{"OPENAI_API_KEY", "sk-empty-0123456789"}, {"OPENAI_API_BASE", mock.base_url()}});
    const auto r = h.post_json(test_path, json::object{{"provider", "openai"}, {"model", "gpt-5.6-terra"}});
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(is_false(r.json(), "ok"), r.body);
    BOOST_TEST(text(r.json(), "error.message").find("empty reply") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(model_lists_carry_the_lifecycle, *utf::timeout(60)) {
    Harness h(vendor_plugins());
    // openai configured against a base that refuses connections: both lists
    // fall back to the plugins' static ones, which name retired models.
    ClosedPort closed;
    h.start({{"OPENAI_API_KEY", "sk-lists-0123456789"}, {"OPENAI_API_BASE", closed.base_url()}});
    const json::value admin = h.get(std::string(models_path) + "?provider=anthropic").json();
    const json::value *entry = find(admin, "providers.0");
    BOOST_TEST_REQUIRE(entry);
    BOOST_TEST(text(*entry, "lifecycle.claude-3-haiku-20240307.status") == "retired", json::serialize(*entry));
    BOOST_TEST(text(*entry, "lifecycle.claude-3-haiku-20240307.retired_on") == "2026-04-20");

    const json::value v1 = h.get(v1_models_path).json();
    const json::object *retired = find_in(find(v1, "data"), "id", "openai/gpt-3.5-turbo");
    BOOST_TEST_REQUIRE(retired, json::serialize(v1));
    BOOST_TEST(is_true(*retired, "retired"));
    const json::object *current = find_in(find(v1, "data"), "id", "anthropic/claude-sonnet-4-6");
    if (current) BOOST_TEST(!current->contains("retired"));
}

BOOST_AUTO_TEST_SUITE_END()
