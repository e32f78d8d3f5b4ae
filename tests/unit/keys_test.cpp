#define BOOST_TEST_MODULE keys
#include <sys/stat.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"
#include "core/keys/key_service.hpp"
#include "core/keys/local_key_store.hpp"
#include "core/keys/price_table.hpp"
#include "core/rfc3339.hpp"
#include "support/daemon_process.hpp"

using namespace sb::core;
namespace fs = std::filesystem;
namespace json = boost::json;
BOOST_TEST_DONT_PRINT_LOG_VALUE(sb::core::ErrorCode)
BOOST_TEST_DONT_PRINT_LOG_VALUE(sb::core::BudgetPeriod)

namespace {

std::string slurp(const fs::path &p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// 2026-12-07T10:00:30Z
constexpr std::int64_t kMonday = 1796637630;

struct Fixture {
    sb::test::TempDir dir{"sb-keys-test"};
    LocalKeyStore store{dir.path()};
    LocalRateCounters counters;
    PriceTable prices{
        json::parse(R"({"openai/gpt-4o-mini":{"input":1,"cached_input":0.5,"output":2}})")
            .as_object()};
    std::int64_t now = kMonday;
    KeyService keys{store, counters, prices, [this] { return now; }};

    VirtualKey spec() {
        VirtualKey k;
        k.name = "app";
        return k;
    }
};

ErrorCode refusal(const std::function<void()> &f, int *retry_after = nullptr) {
    try {
        f();
    } catch (const GatewayError &e) {
        if (retry_after) *retry_after = e.retry_after_seconds();
        return e.code();
    }
    BOOST_FAIL("expected a GatewayError");
    return ErrorCode::internal_error;
}

const KeyService::Destination kMini{"gpt-4o-mini", "openai", "gpt-4o-mini"};

}  // namespace

BOOST_AUTO_TEST_CASE(hash_is_the_hex_sha256_of_the_key) {
    // printf %s abc | sha256sum
    BOOST_TEST(hash_virtual_key("abc") ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(budget_periods_start_at_utc_midnight_and_the_first_of_the_month) {
    BOOST_TEST(budget_period_start(BudgetPeriod::daily, kMonday) ==
               1796601600);  // 2026-12-07T00:00:00Z
    BOOST_TEST(budget_period_start(BudgetPeriod::monthly, kMonday) ==
               1796083200);  // 2026-12-01T00:00:00Z
    BOOST_TEST(budget_period_start(BudgetPeriod::total, kMonday) == 0);
    BOOST_TEST((parse_budget_period("monthly") == BudgetPeriod::monthly));
    BOOST_TEST(!parse_budget_period("weekly"));
}

BOOST_AUTO_TEST_CASE(record_survives_serialization) {
    VirtualKey k;
    k.id = "vk-1";
    k.name = "n";
    k.key_hash = "h";
    k.models = {"openai/*", "fast"};
    k.rpm_limit = 5;
    k.budget_nusd = 123;
    k.budget_period = BudgetPeriod::daily;
    k.expires_at = 99;
    k.created_at = 7;
    VirtualKey back = parse_virtual_key(serialize_virtual_key(k));
    BOOST_TEST(back.id == "vk-1");
    BOOST_TEST(back.models == k.models);
    BOOST_TEST(*back.rpm_limit == 5);
    BOOST_TEST(!back.tpm_limit);
    BOOST_TEST(*back.budget_nusd == 123);
    BOOST_TEST((back.budget_period == BudgetPeriod::daily));
    BOOST_TEST(*back.expires_at == 99);
    BOOST_TEST(!back.revoked_at);
    BOOST_CHECK_THROW(parse_virtual_key(R"({"id":"x"})"), std::runtime_error);
}

BOOST_FIXTURE_TEST_CASE(store_keeps_hashes_only_and_survives_a_restart, Fixture) {
    auto created = keys.create(spec());
    BOOST_TEST(created.key.starts_with("sk-sb-"));
    BOOST_TEST(created.key.size() == 6 + 48);
    BOOST_TEST(created.record.id.starts_with("vk-"));
    const std::string file = slurp(dir.path() / "keys.json");
    BOOST_TEST(file.find(created.key) == std::string::npos);
    BOOST_TEST(file.find(created.key.substr(6)) == std::string::npos);
    BOOST_TEST(file.find(hash_virtual_key(created.key)) != std::string::npos);
    struct stat st {};
    BOOST_TEST(::stat((dir.path() / "keys.json").c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);

    store.add_spend(created.record.id, 0, 42);
    store.flush();
    LocalKeyStore reopened(dir.path());
    BOOST_TEST(reopened.has_keys());
    auto found = reopened.find_by_hash(hash_virtual_key(created.key));
    BOOST_TEST_REQUIRE(found.has_value());
    BOOST_TEST(found->name == "app");
    BOOST_TEST(reopened.spend(created.record.id, 0) == 42);
}

BOOST_FIXTURE_TEST_CASE(corrupt_keys_file_is_moved_aside, Fixture) {
    { std::ofstream(dir.path() / "keys.json") << "{not json"; }
    LocalKeyStore reopened(dir.path());
    BOOST_TEST(!reopened.has_keys());
    int aside = 0;
    for (const auto &entry : fs::directory_iterator(dir.path()))
        aside += entry.path().filename().string().starts_with("keys.json.corrupt-");
    BOOST_TEST(aside == 1);
}

BOOST_FIXTURE_TEST_CASE(patch_keeps_identity_and_revoke_refuses_the_key, Fixture) {
    auto created = keys.create(spec());
    auto patched = store.patch(created.record.id, [](VirtualKey &k) {
        k.name = "renamed";
        k.key_hash = "forged";
        k.id = "other";
    });
    BOOST_TEST_REQUIRE(patched.has_value());
    BOOST_TEST(patched->name == "renamed");
    BOOST_TEST(patched->key_hash == hash_virtual_key(created.key));
    BOOST_TEST(!store.patch("vk-missing", [](VirtualKey &) {}));
    BOOST_TEST(keys.authenticate(created.key).has_value());
    BOOST_TEST(!keys.authenticate("sk-sb-unknown").has_value());
    BOOST_TEST(store.revoke(created.record.id, now));
    BOOST_TEST((refusal([&] { keys.authenticate(created.key); }) == ErrorCode::invalid_api_key));
    BOOST_TEST(store.has_keys());  // a revoked key still keeps the data plane closed
}

BOOST_FIXTURE_TEST_CASE(expired_key_is_refused, Fixture) {
    auto s = spec();
    s.expires_at = now + 10;
    auto created = keys.create(s);
    BOOST_TEST(keys.authenticate(created.key).has_value());
    now += 10;
    BOOST_TEST((refusal([&] { keys.authenticate(created.key); }) == ErrorCode::invalid_api_key));
}

BOOST_AUTO_TEST_CASE(models_match_aliases_provider_models_and_wildcards) {
    VirtualKey k;
    k.models = {"fast", "anthropic/*", "openai/gpt-4o"};
    BOOST_TEST(KeyService::allows(k, {"fast", "together", "llama"}));
    BOOST_TEST(KeyService::allows(k, {"claude-x", "anthropic", "claude-x"}));
    BOOST_TEST(KeyService::allows(k, {"gpt-4o", "openai", "gpt-4o"}));
    BOOST_TEST(!KeyService::allows(k, {"gpt-4o-mini", "openai", "gpt-4o-mini"}));
    BOOST_TEST(
        !KeyService::allows(k, {"x", "anthropicx", "x"}));  // the prefix is a whole provider id
    k.models.clear();
    BOOST_TEST(KeyService::allows(k, {"anything", "openai", "anything"}));
}

BOOST_FIXTURE_TEST_CASE(rpm_refuses_past_the_limit_until_the_window_ends, Fixture) {
    auto s = spec();
    s.rpm_limit = 2;
    auto key = keys.create(s).record;
    keys.admit(key, kMini);
    keys.admit(key, kMini);
    int retry_after = 0;
    BOOST_TEST(
        (refusal([&] { keys.admit(key, kMini); }, &retry_after) == ErrorCode::rate_limit_exceeded));
    BOOST_TEST(retry_after == 30);  // 10:00:30 -> the window ends at 10:01:00
    now += 29;
    BOOST_TEST(
        (refusal([&] { keys.admit(key, kMini); }, &retry_after) == ErrorCode::rate_limit_exceeded));
    BOOST_TEST(retry_after == 1);
    now += 1;  // a new window
    keys.admit(key, kMini);
    keys.admit(key, kMini);
    BOOST_TEST((refusal([&] { keys.admit(key, kMini); }) == ErrorCode::rate_limit_exceeded));
}

BOOST_FIXTURE_TEST_CASE(tpm_refuses_once_the_window_is_used_up, Fixture) {
    auto s = spec();
    s.tpm_limit = 100;
    auto key = keys.create(s).record;
    keys.admit(key, kMini);
    keys.charge(key.id, "openai", "gpt-4o-mini", {60, 0, 30});
    keys.admit(key, kMini);  // 90 < 100: the window is not used up yet
    keys.charge(key.id, "openai", "gpt-4o-mini", {10, 0, 5});
    BOOST_TEST((refusal([&] { keys.admit(key, kMini); }) == ErrorCode::rate_limit_exceeded));
    now += 30;
    keys.admit(key, kMini);
}

BOOST_FIXTURE_TEST_CASE(budget_stops_the_key_and_a_new_day_restores_it, Fixture) {
    auto s = spec();
    s.budget_nusd = usd_to_nusd(0.001);
    s.budget_period = BudgetPeriod::daily;
    auto key = keys.create(s).record;
    keys.admit(key, kMini);
    // 600 prompt tokens (200 cached) and 100 completion: 400*1 + 200*0.5 + 100*2 = 700 USD/M ->
    // 0.0007 USD
    auto cost = keys.charge(key.id, "openai", "gpt-4o-mini", {600, 200, 100});
    BOOST_TEST_REQUIRE(cost.has_value());
    BOOST_TEST(*cost == 700'000);
    keys.admit(key, kMini);
    keys.charge(key.id, "openai", "gpt-4o-mini", {600, 200, 100});
    BOOST_TEST(keys.current_spend(key) == 1'400'000);
    BOOST_TEST((refusal([&] { keys.admit(key, kMini); }) == ErrorCode::budget_exceeded));
    now += 86400;
    BOOST_TEST(keys.current_spend(key) == 0);
    keys.admit(key, kMini);
}

BOOST_FIXTURE_TEST_CASE(budgeted_key_refuses_models_without_a_price, Fixture) {
    auto s = spec();
    s.budget_nusd = 1;
    auto key = keys.create(s).record;
    BOOST_TEST((refusal([&] {
                    keys.admit(key, KeyService::Destination{"m", "openai", "m"});
                }) == ErrorCode::permission_denied));
    auto free = keys.create(spec()).record;
    keys.admit(free, KeyService::Destination{"m", "openai", "m"});  // no budget: nothing to count
}

BOOST_FIXTURE_TEST_CASE(unknown_price_is_no_cost_not_zero, Fixture) {
    auto key = keys.create(spec()).record;
    BOOST_TEST(!keys.charge(key.id, "openai", "no-such-model", {10, 0, 10}).has_value());
    BOOST_TEST(store.spend(key.id, 0) == 0);
    BOOST_TEST(
        !keys.charge(key.id, "openai", "gpt-4o-mini", {-1, -1, -1}).has_value());  // no usage
}

BOOST_FIXTURE_TEST_CASE(model_outside_the_list_is_forbidden, Fixture) {
    auto s = spec();
    s.models = {"openai/gpt-4o"};
    auto key = keys.create(s).record;
    BOOST_TEST((refusal([&] { keys.admit(key, kMini); }) == ErrorCode::permission_denied));
    keys.admit(key, std::nullopt);  // the model list names no model
}

BOOST_AUTO_TEST_CASE(shipped_prices_have_sources_and_dates) {
    const PriceTable table = PriceTable::shipped();
    const auto prices = table.current();
    const ModelPrice *mini = prices->find("openai", "gpt-4o-mini");
    BOOST_TEST_REQUIRE(mini != nullptr);
    BOOST_TEST(mini->input == 0.15);
    BOOST_TEST(!mini->sources.empty());
    BOOST_TEST(!mini->as_of.empty());
    // A dated id uses the entry without the date.
    BOOST_TEST(prices->find("anthropic", "claude-sonnet-4-20250514") ==
               prices->find("anthropic", "claude-sonnet-4"));
    BOOST_TEST(prices->find("anthropic", "claude-sonnet-4-20250514") != nullptr);
    BOOST_TEST(prices->find("openai", "gpt-4o-2024-08-06") != nullptr);
    BOOST_TEST(prices->find("openai", "gpt-unknown") == nullptr);
    // The provider and the model are matched apart, not as one joined name.
    BOOST_TEST(prices->find("openai/gpt-4o", "mini") == nullptr);
    BOOST_TEST(prices->find("", "openai/gpt-4o-mini") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_held_snapshot_keeps_its_prices_across_a_change) {
    PriceTable table = PriceTable::shipped();
    const auto before = table.current();
    const ModelPrice *mini = before->find("openai", "gpt-4o-mini");
    BOOST_TEST_REQUIRE(mini != nullptr);
    table.override_from(json::parse(R"({"openai/gpt-4o-mini":{"input":9,"output":9}})").as_object());
    BOOST_TEST(mini->input == 0.15);  // still the old snapshot's entry
    BOOST_TEST(table.current() != before);
    BOOST_TEST(table.current()->find("openai", "gpt-4o-mini")->input == 9);
    BOOST_TEST(*table.cost_nusd("openai", "gpt-4o-mini", TokenCounts{1000, -1, 1000}) ==
               18'000'000);
}

BOOST_AUTO_TEST_CASE(override_replaces_and_adds_all_or_nothing) {
    PriceTable table = PriceTable::shipped();
    auto price = [&](std::string_view provider, std::string_view model) {
        return table.current()->find(provider, model);
    };
    table.override_from(json::parse(R"({"openai/gpt-4o-mini":{"input":9,"output":9},
                                        "acme/m1":{"input":1,"cached_input":0.1,"output":3}})")
                            .as_object());
    BOOST_TEST(price("openai", "gpt-4o-mini")->input == 9);
    BOOST_TEST(price("openai", "gpt-4o-mini")->cached_input == 9);  // defaults to input
    BOOST_TEST(price("acme", "m1")->output == 3);
    BOOST_CHECK_THROW(table.override_from(json::parse(R"({"acme/m1":{"input":2,"output":2},
                                                          "bad":{"input":1,"output":1}})")
                                              .as_object()),
                      std::runtime_error);
    BOOST_TEST(price("acme", "m1")->input == 1);  // nothing changed
    BOOST_CHECK_THROW(
        table.override_from(json::parse(R"({"acme/m2":{"input":-1,"output":1}})").as_object()),
        std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_reloaded_override_replaces_the_previous_one_whole) {
    const PriceTable shipped = PriceTable::shipped();
    const double mini_input = shipped.current()->find("openai", "gpt-4o-mini")->input;
    PriceTable table = shipped;
    auto price = [&](std::string_view provider, std::string_view model) {
        return table.current()->find(provider, model);
    };
    table.rebase(shipped, json::parse(R"({"openai/gpt-4o-mini":{"input":9,"output":9},
                                          "acme/m1":{"input":1,"output":3}})")
                              .as_object());
    BOOST_TEST(price("openai", "gpt-4o-mini")->input == 9);
    BOOST_TEST(price("acme", "m1") != nullptr);
    // The file now names only acme/m1: gpt-4o-mini is back at its shipped price.
    table.rebase(shipped, json::parse(R"({"acme/m1":{"input":2,"output":3}})").as_object());
    BOOST_TEST(price("openai", "gpt-4o-mini")->input == mini_input);
    BOOST_TEST(price("acme", "m1")->input == 2);
    BOOST_CHECK_THROW(table.rebase(shipped, json::parse(R"({"bad":{"input":1,"output":1}})").as_object()),
                      std::runtime_error);
    BOOST_TEST(price("acme", "m1")->input == 2);  // nothing changed
    BOOST_TEST(shipped.current()->find("acme", "m1") == nullptr);  // the base is untouched
}

BOOST_AUTO_TEST_CASE(usd_text_is_exact) {
    BOOST_TEST(format_usd(0) == "0");
    BOOST_TEST(format_usd(700'000) == "0.0007");
    BOOST_TEST(format_usd(12'500'000'001) == "12.500000001");
    BOOST_TEST(usd_to_nusd(0.001) == 1'000'000);
    BOOST_CHECK_THROW(usd_to_nusd(-1), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(rfc3339_times_read_with_offsets_and_fractions) {
    BOOST_TEST(*parse_rfc3339("2026-12-07T10:00:30Z") == kMonday);
    BOOST_TEST(*parse_rfc3339("2026-12-07T12:00:30.250+02:00") == kMonday);
    BOOST_TEST(*parse_rfc3339("2026-12-07t05:30:30-04:30") == kMonday);
    BOOST_TEST(format_rfc3339(kMonday) == "2026-12-07T10:00:30Z");
    for (const char *bad :
         {"tomorrow", "2026-12-07", "2026-02-30T00:00:00Z", "2026-12-07T10:00:30",
          "2026-12-07T25:00:00Z", "2026-12-07T10:00:30+0200", "2026-12-07T10:00:30.Z"})
        BOOST_TEST(!parse_rfc3339(bad).has_value(), bad);
}
