// Several daemons sharing config, keys, spend and rate counters through a
// real redis-server (Debian's) started on loopback by each case.
#define BOOST_TEST_MODULE switchboard_shared_store
#include <boost/test/results_collector.hpp>
#include <cmath>
#include <thread>

#include "integration/integration_fixture.hpp"
#include "support/child_command.hpp"
#include "support/redis_server.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;
using namespace std::chrono_literals;

namespace {

const std::string kSecretKeyHex =
    "8f3a0c5e7b9d1f2a4c6e8a0b2d4f6a8c0e2a4c6e8b0d2f4a6c8e0a2c4e6a8c0e";
const std::string kVendorKey = "sk-vendor-SECRET-shared-9876";

// One Redis, one mock vendor, and daemons started against them, each with
// its own state dir (nothing shared but Redis).
struct Cluster {
    TempDir tmp{"sb-redis"};
    MockOpenAiUpstream mock;
    RedisServer redis{tmp.path() / "redis"};
    fs::path plugins_dir = make_plugins_dir(tmp.path() / "plugins", standard_plugins());
    std::vector<std::unique_ptr<DaemonProcess>> daemons;

    DaemonProcess &start_daemon(Env env = {}) {
        DaemonOptions options;
        options.plugins_dir = plugins_dir;
        const std::string name = "d" + std::to_string(daemons.size());
        options.state_dir = tmp.subdir(name + "-state");
        options.home_dir = tmp.path() / (name + "-home");
        env.emplace("SWITCHBOARD_SECRET_KEY", kSecretKeyHex);
        options.env = std::move(env);
        options.extra_args = {"--store", redis.url()};
        daemons.push_back(std::make_unique<DaemonProcess>(std::move(options)));
        return *daemons.back();
    }

    ~Cluster() {
        try {
            auto id = boost::unit_test::framework::current_test_case().p_id;
            if (!boost::unit_test::results_collector.results(id).passed())
                for (auto &d : daemons)
                    std::cerr << "---- daemon log ----\n" << tail_of(d->log_text()) << "\n";
        } catch (...) {
        }
    }
};

TestHttpClient client_of(const DaemonProcess &d) {
    return TestHttpClient("127.0.0.1", d.port(), 5'000ms);
}

json::object vendor_config(const Cluster &c) {
    return json::object{
        {"provider", "openai"}, {"api_key", kVendorKey}, {"api_base", c.mock.base_url()}};
}

bool chat_answers(const DaemonProcess &d) {
    auto r = client_of(d).post_json(chat_path, chat_body());
    return r.status == 200u && text(r.json(), "choices.0.message.content") == "pong";
}

// Polls `ready` every 20 ms until it holds or `limit` passes; the time it took.
template <class F>
std::optional<std::chrono::milliseconds> time_until(F ready, std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
        if (ready())
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start);
        std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
}

// Two daemons, the vendor config set through the first and served by the
// second.
std::pair<DaemonProcess &, DaemonProcess &> configured_pair(Cluster &c) {
    auto &a = c.start_daemon();
    auto &b = c.start_daemon();
    BOOST_TEST_REQUIRE(client_of(a).post_json(config_path, vendor_config(c)).status == 200u);
    BOOST_TEST_REQUIRE(time_until([&] { return chat_answers(b); }, 3'000ms).has_value());
    return {a, b};
}

// Fails the case unless `took` says the change arrived within a second.
void check_within_a_second(const std::optional<std::chrono::milliseconds> &took) {
    BOOST_TEST_REQUIRE(took.has_value(), "never seen");
    BOOST_TEST(took->count() < 1'000, "seen after " << took->count() << " ms");
}

// How long until daemon d's config shows `model`, checked for up to 3 s.
std::optional<std::chrono::milliseconds> time_until_model(const DaemonProcess &d,
                                                          std::string_view model) {
    return time_until([&] { return text(client_of(d).get(config_path).json(), "model") == model; },
                      3'000ms);
}

// The mock vendor's model and key, from the environment of each daemon.
Env openai_env(const Cluster &c) {
    return Env{{"OPENAI_API_KEY", kVendorKey},
               {"OPENAI_API_BASE", c.mock.base_url()},
               {"OPENAI_MODEL", "gpt-4o-mini"},
               {"LLM_PROVIDER", "openai"}};
}

// A virtual key made through daemon d: {id, key}.
std::pair<std::string, std::string> create_key(const DaemonProcess &d, const json::object &fields) {
    auto r = client_of(d).post_json("/api/backdoor/keys", fields);
    BOOST_TEST_REQUIRE(r.status == 201u, r.body);
    return {text(r.json(), "id"), text(r.json(), "key")};
}

unsigned chat_status(const DaemonProcess &d, const std::string &key) {
    return client_of(d)
        .post(chat_path, json::serialize(chat_body()), {{"Authorization", "Bearer " + key}})
        .status;
}

// The key's spend in USD as daemon d reports it; -1 when it cannot say.
double spend_on(const DaemonProcess &d, const std::string &id) {
    auto r = client_of(d).get("/api/backdoor/keys/" + id);
    if (r.status != 200u) return -1;
    const json::value *v = find(r.json(), "spend_usd");
    return v && v->is_number() ? v->to_number<double>() : -1;
}

// gpt-4o-mini: 5 prompt tokens at 0.15 and 1 completion token at 0.60 USD
// per million, what the mock reports for every chat.
constexpr double kCostOfOneChat = 0.00000135;

}  // namespace

BOOST_AUTO_TEST_SUITE(shared_store)

BOOST_AUTO_TEST_CASE(redis_store_is_refused_without_a_secret_key, *utf::timeout(60)) {
    TempDir tmp{"sb-redis-nokey"};
    fs::path plugins = make_plugins_dir(tmp.path() / "plugins", standard_plugins());
    const std::string bad_key = "not-a-real-key-0123";
    for (const Env &env : {Env{}, Env{{"SWITCHBOARD_SECRET_KEY", bad_key}}}) {
        Env full = env;
        full.emplace("HOME", tmp.path().string());
        CommandResult r = run_command(
            {SB_DAEMON_PATH, "--listen", "127.0.0.1:0", "--plugins-dir", plugins.string(),
             "--state-dir", tmp.subdir("state").string(), "--store", "redis://127.0.0.1:1"},
            full, tmp.path() / "daemon.log", 20s);
        BOOST_TEST(!r.timed_out);
        BOOST_TEST(r.exit_code == 2, r.output);
        BOOST_TEST(r.output.find("store_refused") != std::string::npos, r.output);
        BOOST_TEST(r.output.find("SWITCHBOARD_SECRET_KEY") != std::string::npos, r.output);
        BOOST_TEST(r.output.find("listening") == std::string::npos, r.output);
        BOOST_TEST(r.output.find(bad_key) == std::string::npos, r.output);
    }
}

BOOST_AUTO_TEST_CASE(config_change_on_one_daemon_serves_on_the_other_within_a_second,
                     *utf::timeout(120)) {
    Cluster c;
    auto &a = c.start_daemon();
    auto &b = c.start_daemon();
    BOOST_TEST_REQUIRE(!chat_answers(b));  // nothing configured yet

    auto r = client_of(a).post_json(config_path, vendor_config(c));
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    check_within_a_second(time_until([&] { return chat_answers(b); }, 3'000ms));
    auto sent = c.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->header("authorization") == "Bearer " + kVendorKey);

    // Stored sealed: the vendor key is not in Redis in clear.
    std::string stored = c.redis.command({"GET", "sb:config"});
    BOOST_TEST(stored.find("sb1.") != std::string::npos, stored);
    BOOST_TEST(stored.find(kVendorKey) == std::string::npos, stored);
    BOOST_TEST(stored.find("SECRET") == std::string::npos, stored);

    // And back the other way: a change on B (a model) reaches A.
    r = client_of(b).post_json(config_path,
                               json::object{{"provider", "openai"}, {"model", "mock-model"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    check_within_a_second(time_until_model(a, "mock-model"));
    // B's change kept A's key (B read the latest before changing it).
    BOOST_TEST(chat_answers(a));
}

BOOST_AUTO_TEST_CASE(a_missed_message_is_caught_by_the_periodic_read, *utf::timeout(120)) {
    Cluster c;
    auto daemons = configured_pair(c);
    DaemonProcess &a = daemons.first;
    // Written behind the daemons' backs, with no publish: only the periodic
    // re-read can see it.
    json::value doc = json::parse(c.redis.command({"GET", "sb:config"}));
    doc.as_object()["providers"].as_object()["openai"].as_object()["model"] = "mock-model";
    BOOST_TEST_REQUIRE(c.redis.command({"SET", "sb:config", json::serialize(doc)}) == "OK");
    check_within_a_second(time_until_model(a, "mock-model"));
}

BOOST_AUTO_TEST_CASE(chat_keeps_serving_while_redis_is_down_and_state_comes_back,
                     *utf::timeout(180)) {
    Cluster c;
    auto daemons = configured_pair(c);
    DaemonProcess &a = daemons.first, &b = daemons.second;
    BOOST_TEST(is_true(client_of(a).get("/readyz").json(), "store_reachable"));

    c.redis.kill();
    for (auto *d : {&a, &b}) {
        for (int i = 0; i < 5; ++i) {
            const auto start = std::chrono::steady_clock::now();
            BOOST_TEST(chat_answers(*d));
            BOOST_TEST((std::chrono::steady_clock::now() - start < 1'500ms));
        }
        auto ready = time_until(
            [&] { return is_false(client_of(*d).get("/readyz").json(), "store_reachable"); },
            3'000ms);
        BOOST_TEST(ready.has_value(), "readyz never reported the store down");
        auto r = client_of(*d).get("/readyz");
        BOOST_TEST(r.status == 200u, r.body);  // still serving: still ready
        BOOST_TEST(text(r.json(), "store") == "redis");
    }
    // A config change cannot be shared now: refused, nothing changed.
    auto r = client_of(a).post_json(config_path,
                                    json::object{{"provider", "openai"}, {"model", "mock-model"}});
    BOOST_TEST(r.status >= 500u, r.body);

    // Redis comes back empty (no persistence): the daemons write back what
    // they know, and stay in step.
    c.redis.start();
    BOOST_TEST(time_until(
                   [&] {
                       return !c.redis.command({"GET", "sb:config"}).empty();
                   },
                   3'000ms)
                   .has_value());
    for (auto *d : {&a, &b})
        BOOST_TEST(
            time_until(
                [&] { return is_true(client_of(*d).get("/readyz").json(), "store_reachable"); },
                3'000ms)
                .has_value());
    BOOST_TEST(c.redis.command({"GET", "sb:config"}).find(kVendorKey) == std::string::npos);
    BOOST_TEST(chat_answers(a));
    BOOST_TEST(chat_answers(b));
    r = client_of(a).post_json(config_path,
                               json::object{{"provider", "openai"}, {"model", "mock-model"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    check_within_a_second(time_until_model(b, "mock-model"));
}

BOOST_AUTO_TEST_CASE(a_keys_rpm_limit_holds_across_two_daemons, *utf::timeout(180)) {
    Cluster c;
    auto &a = c.start_daemon(openai_env(c));
    auto &b = c.start_daemon(openai_env(c));
    // All in one minute window (the limit is per window).
    const auto into = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count() %
                      60;
    if (into > 45) std::this_thread::sleep_for(std::chrono::seconds(61 - into));
    auto [id, key] = create_key(a, {{"name", "shared-rpm"}, {"rpm_limit", 5}});
    int accepted = 0, limited = 0;
    for (int i = 0; i < 14; ++i) {
        unsigned status = chat_status(i % 2 ? a : b, key);
        accepted += status == 200u;
        limited += status == 429u;
    }
    BOOST_TEST(accepted == 5);
    BOOST_TEST(limited == 9);
    BOOST_TEST(c.redis.command({"EXISTS", "sb:keys"}) == "1");
    BOOST_TEST(c.redis.command({"HGET", "sb:keys", id}).find(key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_budget_stops_a_key_on_both_daemons, *utf::timeout(120)) {
    Cluster c;
    auto &a = c.start_daemon(openai_env(c));
    auto &b = c.start_daemon(openai_env(c));
    // The budget holds two chats.
    auto [id, key] = create_key(
        b, {{"name", "shared-budget"}, {"budget_usd", 0.000002}, {"budget_period", "daily"}});
    BOOST_TEST(chat_status(a, key) == 200u);
    BOOST_TEST(chat_status(b, key) == 200u);
    BOOST_TEST(chat_status(a, key) == 402u);
    BOOST_TEST(chat_status(b, key) == 402u);
    BOOST_TEST(std::abs(spend_on(a, id) - 2 * kCostOfOneChat) < 1e-12);
    BOOST_TEST(std::abs(spend_on(b, id) - 2 * kCostOfOneChat) < 1e-12);
}

BOOST_AUTO_TEST_CASE(killing_and_restarting_redis_loses_no_spend_and_keeps_chat_serving,
                     *utf::timeout(180)) {
    Cluster c;
    auto &a = c.start_daemon(openai_env(c));
    auto &b = c.start_daemon(openai_env(c));
    auto [id, key] = create_key(a, {{"name", "survives"}});
    BOOST_TEST_REQUIRE(time_until([&] { return spend_on(b, id) == 0.0; }, 3'000ms).has_value());
    BOOST_TEST(chat_status(a, key) == 200u);
    BOOST_TEST(chat_status(b, key) == 200u);

    c.redis.kill();
    for (auto *d : {&a, &b})
        for (int i = 0; i < 2; ++i) BOOST_TEST(chat_status(*d, key) == 200u);
    // Refused keys stay refused meanwhile.
    BOOST_TEST(chat_status(a, "sk-sb-not-a-key") == 401u);

    c.redis.start();  // empty: no persistence
    for (auto *d : {&a, &b})
        BOOST_TEST(
            time_until([&] { return std::abs(spend_on(*d, id) - 6 * kCostOfOneChat) < 1e-12; },
                       5'000ms)
                .has_value(),
            "spend seen: " << spend_on(*d, id));
    BOOST_TEST(chat_status(b, key) == 200u);
    // Spend is recorded after the answer is out, so the other daemon sees it a moment later.
    BOOST_TEST(
        time_until([&] { return std::abs(spend_on(a, id) - 7 * kCostOfOneChat) < 1e-12; }, 3'000ms)
            .has_value(),
        "spend seen: " << spend_on(a, id));
}

BOOST_AUTO_TEST_SUITE_END()
