#include "core/store/redis_key_store.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "core/store/redis_schema.hpp"
#include "core/store/secret_box.hpp"

namespace sb::core {
namespace {

// KEYS[1] the spend counter, KEYS[2] the op's marker; ARGV[1] the amount,
// ARGV[2] the marker's lifetime. Adds once per op id.
constexpr const char *kAddOnce = R"(
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return tonumber(redis.call('GET', KEYS[1]) or '0'))";

// KEYS[1] the window's counter; ARGV[1] the amount, ARGV[2] its lifetime.
constexpr const char *kRateAdd = R"(
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return v)";

// KEYS[1] records, KEYS[2] hashes; ARGV id, hash, record. 0 when taken.
constexpr const char *kCreate = R"(
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1)";

std::int64_t as_count(const RedisReply &reply) {
    if (reply.type == RedisReply::Type::integer) return reply.integer;
    if (reply.is_nil() || reply.text.empty()) return 0;
    return std::stoll(reply.text);
}

void publish_keys(RedisClient &client) {
    client.command({"PUBLISH", std::string(redis_schema::changed_channel),
                    std::string(redis_schema::topic_keys)});
}

}  // namespace

RedisKeyStore::RedisKeyStore(RedisClient &client) : client_(client), daemon_id_(random_hex(8)) {
    try {
        refresh();
    } catch (const RedisUnavailable &) {
        // Fails closed (has_keys) until the watcher's refresh succeeds.
    }
}

std::string RedisKeyStore::next_op_id() { return daemon_id_ + ":" + std::to_string(next_op_++); }

void RedisKeyStore::remember(const VirtualKey &key) const {
    ids_by_hash_[key.key_hash] = key.id;
    records_[key.id] = key;
}

void RedisKeyStore::refresh() {
    RedisReply all = client_.command({"HGETALL", std::string(redis_schema::keys)});
    std::map<std::string, VirtualKey, std::less<>> records;
    std::map<std::string, std::string, std::less<>> hashes;
    for (std::size_t i = 0; i + 1 < all.elements.size(); i += 2) {
        try {
            VirtualKey key = parse_virtual_key(all.elements[i + 1].text);
            hashes[key.key_hash] = key.id;
            records[key.id] = std::move(key);
        } catch (const std::exception &e) {
            log_event(LogLevel::error, "key_record_unreadable",
                      {{"id", all.elements[i].text}, {"reason", e.what()}});
        }
    }
    std::lock_guard lock(mutex_);
    records_ = std::move(records);
    ids_by_hash_ = std::move(hashes);
    loaded_ = true;
}

void RedisKeyStore::create(const VirtualKey &key) {
    RedisReply created = client_.command({"EVAL", kCreate, "2", std::string(redis_schema::keys),
                                          std::string(redis_schema::key_hashes), key.id,
                                          key.key_hash, serialize_virtual_key(key)});
    if (created.integer != 1) throw std::runtime_error("virtual key id or key already exists");
    {
        std::lock_guard lock(mutex_);
        remember(key);
    }
    publish_keys(client_);
}

std::vector<VirtualKey> RedisKeyStore::list() const {
    std::vector<VirtualKey> out;
    {
        std::lock_guard lock(mutex_);
        for (const auto &entry : records_) out.push_back(entry.second);
    }
    std::sort(out.begin(), out.end(), [](const VirtualKey &a, const VirtualKey &b) {
        return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
    return out;
}

std::optional<VirtualKey> RedisKeyStore::get(std::string_view id) const {
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it == records_.end()) return std::nullopt;
    return it->second;
}

void RedisKeyStore::store_record(const VirtualKey &key) {
    client_.command({"HSET", std::string(redis_schema::keys), key.id, serialize_virtual_key(key)});
    {
        std::lock_guard lock(mutex_);
        remember(key);
    }
    publish_keys(client_);
}

std::optional<VirtualKey> RedisKeyStore::patch(std::string_view id,
                                               const std::function<void(VirtualKey &)> &change) {
    // The latest from Redis, not the copy: another daemon may have changed it.
    RedisReply current =
        client_.command({"HGET", std::string(redis_schema::keys), std::string(id)});
    if (current.is_nil()) return std::nullopt;
    const VirtualKey before = parse_virtual_key(current.text);
    VirtualKey after = before;
    change(after);
    after.id = before.id;
    after.key_hash = before.key_hash;
    after.created_at = before.created_at;
    store_record(after);
    return after;
}

bool RedisKeyStore::revoke(std::string_view id, std::int64_t now_unix) {
    return patch(id,
                 [now_unix](VirtualKey &key) {
                     if (!key.revoked_at) key.revoked_at = now_unix;
                 })
        .has_value();
}

std::optional<VirtualKey> RedisKeyStore::find_by_hash(std::string_view hash) const {
    {
        std::lock_guard lock(mutex_);
        if (auto it = ids_by_hash_.find(hash); it != ids_by_hash_.end()) {
            if (auto record = records_.find(it->second); record != records_.end())
                return record->second;
        }
    }
    // Created on another daemon a moment ago, perhaps.
    try {
        RedisReply id =
            client_.command({"HGET", std::string(redis_schema::key_hashes), std::string(hash)});
        if (id.is_nil()) return std::nullopt;
        RedisReply record = client_.command({"HGET", std::string(redis_schema::keys), id.text});
        if (record.is_nil()) return std::nullopt;
        VirtualKey key = parse_virtual_key(record.text);
        std::lock_guard lock(mutex_);
        remember(key);
        return key;
    } catch (const RedisUnavailable &) {
        return std::nullopt;
    }
}

bool RedisKeyStore::has_keys() const {
    {
        std::lock_guard lock(mutex_);
        if (!loaded_ || !records_.empty()) return true;
    }
    // None known here yet: ask, or a key made on another daemon a moment ago
    // would leave /v1 open here until the next refresh (which then fills the
    // copy: records are never deleted, so this stops being asked).
    try {
        return client_.command({"EXISTS", std::string(redis_schema::keys)}).integer != 0;
    } catch (const RedisUnavailable &) {
        return false;  // the last known answer
    }
}

std::int64_t RedisKeyStore::pending_for(const std::string &counter) const {
    std::int64_t sum = 0;
    for (const auto &p : pending_)
        if (p.counter == counter) sum += p.amount;
    return sum;
}

std::int64_t RedisKeyStore::apply(const std::string &op_id, const std::string &counter,
                                  std::int64_t amount) {
    RedisReply total =
        client_.command({"EVAL", kAddOnce, "2", counter, redis_schema::applied_op(op_id),
                         std::to_string(amount), std::to_string(kAppliedOpSeconds)});
    return as_count(total);
}

std::int64_t RedisKeyStore::add_spend(std::string_view id, std::int64_t period_start,
                                      std::int64_t amount_nusd) {
    const std::string counter = redis_schema::spend(id, period_start);
    const std::string op_id = next_op_id();
    try {
        std::int64_t total = apply(op_id, counter, amount_nusd);
        std::lock_guard lock(mutex_);
        known_[counter] = total;
        contributed_[counter] += amount_nusd;
        return total + pending_for(counter);
    } catch (const RedisUnavailable &) {
        std::lock_guard lock(mutex_);
        pending_.push_back({op_id, counter, amount_nusd});
        if (!warned_) {
            warned_ = true;
            log_event(LogLevel::warn, "spend_counted_locally",
                      {{"note",
                        "the shared store is unavailable: spend is kept here and added when it "
                        "returns"}});
        }
        return known_[counter] + pending_for(counter);
    }
}

std::int64_t RedisKeyStore::spend(std::string_view id, std::int64_t period_start) const {
    const std::string counter = redis_schema::spend(id, period_start);
    try {
        std::int64_t total = as_count(client_.command({"GET", counter}));
        std::lock_guard lock(mutex_);
        known_[counter] = total;
        return total + pending_for(counter);
    } catch (const RedisUnavailable &) {
        std::lock_guard lock(mutex_);
        return known_[counter] + pending_for(counter);
    }
}

std::size_t RedisKeyStore::pending_spend() const {
    std::lock_guard lock(mutex_);
    return pending_.size();
}

void RedisKeyStore::reconcile() {
    std::size_t added = 0;
    for (;;) {
        PendingSpend next;
        {
            std::lock_guard lock(mutex_);
            if (pending_.empty()) break;
            next = pending_.front();
        }
        std::int64_t total = apply(next.op_id, next.counter, next.amount);  // throws: stays queued
        std::lock_guard lock(mutex_);
        pending_.pop_front();
        known_[next.counter] = total;
        contributed_[next.counter] += next.amount;
        ++added;
    }
    std::lock_guard lock(mutex_);
    warned_ = false;
    if (added > 0)
        log_event(LogLevel::info, "spend_reconciled", {{"additions", std::to_string(added)}});
}

void RedisKeyStore::restore() {
    std::vector<VirtualKey> records = list();
    for (const auto &key : records) {
        client_.command(
            {"HSETNX", std::string(redis_schema::keys), key.id, serialize_virtual_key(key)});
        client_.command({"HSETNX", std::string(redis_schema::key_hashes), key.key_hash, key.id});
    }
    std::map<std::string, std::int64_t> mine;
    {
        std::lock_guard lock(mutex_);
        mine = contributed_;
        known_.clear();
    }
    // The old op markers went with the data: fresh ids, each added once.
    for (const auto &[counter, amount] : mine) apply(next_op_id(), counter, amount);
    log_event(LogLevel::warn, "store_keys_restored",
              {{"records", std::to_string(records.size())},
               {"spend_counters", std::to_string(mine.size())}});
    if (!records.empty()) publish_keys(client_);
}

RedisRateCounters::RedisRateCounters(RedisClient &client) : client_(client) {}

std::int64_t RedisRateCounters::add(std::string_view key_id, std::string_view metric,
                                    std::int64_t window_start, std::int64_t amount) {
    const std::string counter = redis_schema::rate(key_id, metric, window_start);
    try {
        std::int64_t total =
            as_count(client_.command({"EVAL", kRateAdd, "1", counter, std::to_string(amount),
                                      std::to_string(kRateWindowSeconds * 2)}));
        std::lock_guard lock(mutex_);
        if (warned_) {
            warned_ = false;
            local_.reset();
        }
        return total;
    } catch (const RedisUnavailable &) {
        std::lock_guard lock(mutex_);
        if (!warned_) {
            warned_ = true;
            local_ = std::make_unique<LocalRateCounters>();
            log_event(LogLevel::warn, "rate_limits_local",
                      {{"note",
                        "the shared store is unavailable: rate limits are counted per daemon until "
                        "it returns"}});
        }
        return local_->add(key_id, metric, window_start, amount);
    }
}

}  // namespace sb::core
