#pragma once
// Virtual keys, spend and rate counters kept in Redis for every daemon that
// shares it (the KeyStore and RateCounters of core/keys).
//
// Reads on the request path come from a local copy of the records, which
// the RedisWatcher refreshes when another daemon publishes "keys" and every
// half second anyway; a key hash not in the copy is looked up in Redis once.
// Writes go to Redis first, then to the copy.
//
// When Redis is unreachable:
//  - records: the last known copy answers (a daemon that never reached
//    Redis answers has_keys() true: it fails closed, refusing unknown keys
//    instead of opening /v1);
//  - spend: additions are queued with an id each and added when Redis
//    returns (reconcile()); an addition whose answer was lost is retried
//    with the same id and counted once (Redis remembers applied ids for
//    kAppliedOpSeconds);
//  - rate counters: per-daemon counters, with a warning once per outage.
// After Redis lost its data (restore()): this daemon writes back the records
// it knows and the spend it added since it started.
//
// Thread safety: every member may be called from any thread at once.
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "core/keys/key_store.hpp"
#include "core/keys/local_key_store.hpp"
#include "core/store/redis_client.hpp"

namespace sb::core {

inline constexpr std::int64_t kAppliedOpSeconds = 3600;

class RedisKeyStore final : public KeyStore {
public:
    explicit RedisKeyStore(RedisClient &client);

    void create(const VirtualKey &key) override;
    std::vector<VirtualKey> list() const override;
    std::optional<VirtualKey> get(std::string_view id) const override;
    std::optional<VirtualKey> patch(std::string_view id,
                                    const std::function<void(VirtualKey &)> &change) override;
    bool revoke(std::string_view id, std::int64_t now_unix) override;
    std::optional<VirtualKey> find_by_hash(std::string_view hash) const override;
    bool has_keys() const override;
    std::int64_t add_spend(std::string_view id, std::int64_t period_start,
                           std::int64_t amount_nusd) override;
    std::int64_t spend(std::string_view id, std::int64_t period_start) const override;

    // Re-reads every record (the watcher: "keys" published, or periodic).
    void refresh();
    // Adds the queued spend (the watcher, when Redis is back). Stops at the
    // first failure; what is left stays queued.
    void reconcile();
    // After Redis lost its data: writes back records and this daemon's spend.
    void restore();
    // Spend additions waiting for Redis.
    std::size_t pending_spend() const;

private:
    struct PendingSpend {
        std::string op_id;
        std::string counter;  // redis_schema::spend
        std::int64_t amount;
    };

    std::int64_t apply(const std::string &op_id, const std::string &counter, std::int64_t amount);
    void store_record(const VirtualKey &key);
    void remember(const VirtualKey &key) const;
    std::int64_t pending_for(const std::string &counter) const;  // mutex_ held
    std::string next_op_id();

    RedisClient &client_;
    const std::string daemon_id_;
    std::atomic<std::uint64_t> next_op_{0};
    mutable std::mutex mutex_;
    mutable std::map<std::string, VirtualKey, std::less<>> records_;  // by id
    mutable std::map<std::string, std::string, std::less<>> ids_by_hash_;
    bool loaded_ = false;                                // one refresh succeeded
    mutable std::map<std::string, std::int64_t> known_;  // counter -> last total seen in Redis
    std::map<std::string, std::int64_t> contributed_;    // counter -> what this daemon added
    std::deque<PendingSpend> pending_;
    bool warned_ = false;
};

class RedisRateCounters final : public RateCounters {
public:
    explicit RedisRateCounters(RedisClient &client);
    std::int64_t add(std::string_view key_id, std::string_view metric, std::int64_t window_start,
                     std::int64_t amount) override;

private:
    RedisClient &client_;
    std::mutex mutex_;
    // While Redis is down: this daemon's counters, fresh for each outage.
    std::unique_ptr<LocalRateCounters> local_;
    bool warned_ = false;
};

}  // namespace sb::core
