// GET /api/backdoor/llm/models through the real daemon: the static list,
// the live list from the vendor, the provider filter.
#include "integration/integration_fixture.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

std::vector<std::string> strings(const json::value &v, std::string_view dotted) {
    std::vector<std::string> out;
    for (const auto &item : items(v, dotted))
        out.push_back(item.is_string() ? std::string(item.get_string()) : "<not a string>");
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(models)

BOOST_AUTO_TEST_CASE(static_list_without_a_key, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_BASE", h.mock.base_url()}});
    auto r = h.get(std::string(models_path) + "?provider=openai");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST_REQUIRE(array_size(doc, "providers") == 1, r.body);
    BOOST_TEST(text(doc, "providers.0.provider") == "openai");
    BOOST_TEST(text(doc, "providers.0.source") == "static");
    BOOST_TEST(text(doc, "providers.0.default_model") == "gpt-3.5-turbo");
    auto models = strings(doc, "providers.0.models");
    BOOST_TEST(!models.empty(), r.body);
    for (const auto &m : models) BOOST_TEST(m.rfind("<", 0) != 0);
    BOOST_TEST(h.mock.model_list_requests().empty(), "no live call without a key");
}

BOOST_AUTO_TEST_CASE(live_list_from_the_vendor_with_a_key, *utf::timeout(60)) {
    const std::string key = "sk-test-live-models-key-9876";
    Harness h;
    h.start({{"OPENAI_API_KEY", key}, {"OPENAI_API_BASE", h.mock.base_url()}});
    auto r = h.get(std::string(models_path) + "?provider=openai");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST_REQUIRE(array_size(doc, "providers") == 1, r.body);
    BOOST_TEST(text(doc, "providers.0.source") == "live", r.body);
    BOOST_TEST((strings(doc, "providers.0.models") == std::vector<std::string>{"gpt-4o-mini", "mock-model"}),
               r.body);
    BOOST_TEST(is_null_at(doc, "providers.0.live_error"), r.body);

    auto sent = h.mock.model_list_requests();
    BOOST_TEST_REQUIRE(sent.size() >= 1u);
    BOOST_TEST(sent.back().method == "GET");
    BOOST_TEST(sent.back().target == "/v1/models");
    BOOST_TEST(sent.back().header("Authorization") == "Bearer " + key);
}

BOOST_AUTO_TEST_CASE(live_failure_falls_back_to_static_with_live_error, *utf::timeout(60)) {
    const std::string key = "sk-bad-models-key-abcdefgh5555";
    Harness h;
    h.start({{"OPENAI_API_KEY", key}, {"OPENAI_API_BASE", h.mock.base_url()}});
    auto r = h.get(std::string(models_path) + "?provider=openai");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    auto doc = r.json();
    BOOST_TEST(text(doc, "providers.0.source") == "static", r.body);
    BOOST_TEST(!strings(doc, "providers.0.models").empty());
    const json::value *live_error = find(doc, "providers.0.live_error");
    BOOST_TEST((live_error && !live_error->is_null()), "live_error says why: " << r.body);
    BOOST_TEST(r.body.find(key) == std::string::npos, "key leaked: " << r.body);
    BOOST_TEST(r.body.find("models-key-abcdefgh") == std::string::npos, "key middle leaked: " << r.body);
}

BOOST_AUTO_TEST_CASE(lists_every_provider_and_filters_by_provider, *utf::timeout(60)) {
    Harness h;
    h.start({{"CECHO_API_BASE", h.mock.base_url()}, {"CECHO_MODEL", "mock-model"}});
    auto all = h.get(models_path);
    BOOST_TEST_REQUIRE(all.status == 200u, all.body);
    auto doc = all.json();
    BOOST_TEST(array_size(doc, "providers") == 3, all.body);
    for (const char *id : {"openai", "custom", "cecho"})
        BOOST_TEST(find_in(find(doc, "providers"), "provider", id) != nullptr, id << " in " << all.body);

    auto one = h.get(std::string(models_path) + "?provider=cecho");
    BOOST_TEST_REQUIRE(one.status == 200u, one.body);
    auto only = one.json();
    BOOST_TEST_REQUIRE(array_size(only, "providers") == 1, one.body);
    BOOST_TEST(text(only, "providers.0.provider") == "cecho");
    // cecho is configured (no key needed) and the mock answers: live list.
    BOOST_TEST(text(only, "providers.0.source") == "live", one.body);
    BOOST_TEST((strings(only, "providers.0.models") == std::vector<std::string>{"gpt-4o-mini", "mock-model"}));
}

BOOST_AUTO_TEST_CASE(unknown_provider_is_400, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto r = h.get(std::string(models_path) + "?provider=nope");
    check_error(r, 400, "invalid_request_error", "unknown_provider");
}

BOOST_AUTO_TEST_SUITE_END()
