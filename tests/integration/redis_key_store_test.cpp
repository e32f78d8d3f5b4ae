// The Redis KeyStore and RateCounters as two daemons use them: two stores,
// each with its own connection and watcher, on one real redis-server.
#include "core/store/redis_key_store.hpp"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <thread>

#include "core/store/redis_store.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

using namespace sb::core;
using namespace sb::test;
namespace utf = boost::unit_test;
using namespace std::chrono_literals;

namespace {

const SecretKey kKey =
    parse_secret_key("8f3a0c5e7b9d1f2a4c6e8a0b2d4f6a8c0e2a4c6e8b0d2f4a6c8e0a2c4e6a8c0e");

// What one daemon holds of the shared store.
struct Node {
    RedisStore redis;
    std::unique_ptr<RedisKeyStore> keys;
    std::unique_ptr<RedisRateCounters> counters;

    explicit Node(const RedisServer &server)
        : redis({"127.0.0.1", server.port()}, kKey),
          keys(redis.key_store()),
          counters(redis.rate_counters()) {
        redis.start_watching();
    }
    ~Node() { redis.stop_watching(); }
};

VirtualKey record(std::string id, std::string text) {
    VirtualKey k;
    k.id = std::move(id);
    k.name = "team " + k.id;
    k.key_hash = hash_virtual_key(text);
    k.created_at = 1'700'000'000;
    return k;
}

template <class F>
bool eventually(F ready, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (ready()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return ready();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(redis_key_store)

BOOST_AUTO_TEST_CASE(rpm_limit_holds_across_two_daemons, *utf::timeout(60)) {
    TempDir tmp{"sb-redis-rate"};
    RedisServer server(tmp.path());
    Node a(server), b(server);
    constexpr std::int64_t limit = 10;
    const std::int64_t window = 1'700'000'040;
    std::atomic<int> accepted{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 6; ++t)
        clients.emplace_back([&, t] {
            RateCounters &counters = t % 2 ? *a.counters : *b.counters;
            for (int i = 0; i < 8; ++i)
                if (counters.add("vk-rate", "rpm", window, 1) <= limit) ++accepted;
        });
    for (auto &c : clients) c.join();
    BOOST_TEST(accepted.load() == limit);
    BOOST_TEST(server.command({"GET", "sb:rate:vk-rate:rpm:" + std::to_string(window)}) == "48");
    const long ttl =
        std::stol(server.command({"TTL", "sb:rate:vk-rate:rpm:" + std::to_string(window)}));
    BOOST_TEST(ttl > 0);
    BOOST_TEST(ttl <= 2 * kRateWindowSeconds);
    // Another window starts from zero.
    BOOST_TEST(a.counters->add("vk-rate", "rpm", window + 60, 1) == 1);
}

BOOST_AUTO_TEST_CASE(keys_and_spend_are_shared_and_stored_only_as_hashes, *utf::timeout(60)) {
    TempDir tmp{"sb-redis-keys"};
    RedisServer server(tmp.path());
    Node a(server), b(server);
    BOOST_TEST(a.keys->has_keys() == false);
    const std::string text = "sk-sb-0123456789abcdef0123456789abcdef";
    a.keys->create(record("vk-0000000000000001", text));
    BOOST_CHECK_THROW(b.keys->create(record("vk-0000000000000002", text)),
                      std::runtime_error);  // same key
    // B finds it at once (looked up on a miss) and lists it within a second.
    auto found = b.keys->find_by_hash(hash_virtual_key(text));
    BOOST_TEST_REQUIRE(found.has_value());
    BOOST_TEST(found->id == "vk-0000000000000001");
    BOOST_TEST(
        eventually([&] { return b.keys->list().size() == 1 && b.keys->has_keys(); }, 1'000ms));
    BOOST_TEST(server.command({"HGET", "sb:keys", "vk-0000000000000001"}).find(text) ==
               std::string::npos);

    // A revoke on B reaches A within a second.
    BOOST_TEST(b.keys->revoke("vk-0000000000000001", 1'700'000'100));
    BOOST_TEST(eventually(
        [&] { return a.keys->get("vk-0000000000000001")->revoked_at.has_value(); }, 1'000ms));
    BOOST_TEST(!b.keys->revoke("vk-missing", 1));

    // Spend adds up across both: the budget check on either sees the sum.
    const std::int64_t period = 1'700'000'000;
    a.keys->add_spend("vk-0000000000000001", period, 700);
    BOOST_TEST(b.keys->add_spend("vk-0000000000000001", period, 300) == 1'000);
    BOOST_TEST(a.keys->spend("vk-0000000000000001", period) == 1'000);
    BOOST_TEST(a.keys->spend("vk-0000000000000001", period + 86'400) == 0);
}

BOOST_AUTO_TEST_CASE(redis_killed_and_restarted_loses_no_spend_and_no_key, *utf::timeout(120)) {
    TempDir tmp{"sb-redis-restart"};
    RedisServer server(tmp.path());
    Node a(server), b(server);
    const std::string id = "vk-00000000000000aa";
    a.keys->create(record(id, "sk-sb-restart-test-key"));
    const std::int64_t period = 1'700'000'000;
    a.keys->add_spend(id, period, 100);
    b.keys->add_spend(id, period, 200);
    BOOST_TEST_REQUIRE(eventually([&] { return b.keys->get(id).has_value(); }, 1'000ms));

    server.kill();
    // Down: every call answers at once from what the daemon holds.
    for (Node *n : {&a, &b}) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 10; ++i) n->keys->add_spend(id, period, 10);
        BOOST_TEST(n->keys->find_by_hash(hash_virtual_key("sk-sb-restart-test-key")).has_value());
        BOOST_TEST(n->keys->has_keys());
        BOOST_TEST(n->counters->add(id, "rpm", 60, 1) == 1);  // per-daemon fallback
        BOOST_TEST(n->counters->add(id, "rpm", 60, 1) == 2);
        BOOST_TEST((std::chrono::steady_clock::now() - start < 1'000ms));
    }
    BOOST_TEST(a.keys->pending_spend() + b.keys->pending_spend() == 20u);
    BOOST_TEST(a.keys->spend(id, period) >= 200);  // its own view: last seen plus queued

    // Back, empty (no persistence): the records and every addition return,
    // each counted once.
    server.start();
    BOOST_TEST(eventually([&] { return a.keys->pending_spend() + b.keys->pending_spend() == 0; },
                          5'000ms));
    BOOST_TEST(eventually(
                   [&] {
                       return server.command({"GET", "sb:spend:" + id + ":" +
                                                         std::to_string(period)}) == "500";
                   },
                   3'000ms),
               server.command({"GET", "sb:spend:" + id + ":" + std::to_string(period)}));
    BOOST_TEST(a.keys->spend(id, period) == 500);
    BOOST_TEST(b.keys->spend(id, period) == 500);
    BOOST_TEST(!server.command({"HGET", "sb:keys", id}).empty());
    // Stays exact afterwards: no second restore, no second reconcile.
    std::this_thread::sleep_for(1'200ms);
    BOOST_TEST(a.keys->spend(id, period) == 500);
}

BOOST_AUTO_TEST_SUITE_END()
