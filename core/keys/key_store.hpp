#pragma once
// Virtual keys and their counters, behind two interfaces so that one daemon
// keeps them in its state dir and several share them through Redis.
//
// A virtual key is stored only as the hex SHA-256 of its text
// (hash_virtual_key); the text is shown once, when it is created. Money is
// counted in nano-USD (1e-9 USD) as integers, so that a shared store can add
// it atomically (INCRBY) and a request of a few tokens is not rounded away.
//
// Thread safety: every member of both interfaces may be called from any
// thread at the same time. Errors: a store that cannot do what is asked
// throws std::runtime_error (the admin API answers 500, the data plane 503);
// "not found" is not an error and comes back as nullopt / false.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

enum class BudgetPeriod { daily, monthly, total };

// "daily" | "monthly" | "total"; parse returns nullopt on anything else.
std::string_view budget_period_name(BudgetPeriod period) noexcept;
std::optional<BudgetPeriod> parse_budget_period(std::string_view text) noexcept;

// Unix seconds (UTC) at which the period holding `now` began: midnight UTC
// for daily, the 1st at midnight UTC for monthly, 0 for total. Spend is
// kept per (key id, period start), so a new period starts at zero.
std::int64_t budget_period_start(BudgetPeriod period, std::int64_t now_unix) noexcept;

struct VirtualKey {
    std::string id;        // "vk-" + 16 hex digits: public, used in URLs, logs, metrics
    std::string name;      // the operator's label
    std::string key_hash;  // hash_virtual_key(key text); never the key itself
    // Empty: every model. Else aliases, "provider/model" or "provider/*".
    std::vector<std::string> models;
    std::optional<std::int64_t> rpm_limit;  // requests per minute window
    std::optional<std::int64_t> tpm_limit;  // tokens (prompt + completion) per minute window
    std::optional<std::int64_t> budget_nusd;  // budget in nano-USD per budget_period
    BudgetPeriod budget_period = BudgetPeriod::total;
    std::optional<std::int64_t> expires_at;  // unix seconds
    std::int64_t created_at = 0;             // unix seconds
    std::optional<std::int64_t> revoked_at;  // unix seconds; a revoked key stays listed
};

// The hex SHA-256 of a key's text (64 lower-case digits): what is stored
// and looked up.
std::string hash_virtual_key(std::string_view key_text);

// One record as a JSON object text, and back (throws std::runtime_error on
// a malformed one). The form every store writes; it holds no key material.
std::string serialize_virtual_key(const VirtualKey &key);
VirtualKey parse_virtual_key(std::string_view json_text);

class KeyStore {
public:
    virtual ~KeyStore() = default;

    // Stores a new record (id and key_hash filled by the caller). Throws
    // std::runtime_error when the id or the hash is already taken.
    virtual void create(const VirtualKey &key) = 0;
    // Every record, revoked ones included, ordered by created_at then id.
    virtual std::vector<VirtualKey> list() const = 0;
    virtual std::optional<VirtualKey> get(std::string_view id) const = 0;
    // Applies change to the current record and stores the result atomically
    // (id, key_hash and created_at are kept whatever change does); nullopt
    // when there is no such id.
    virtual std::optional<VirtualKey> patch(std::string_view id,
                                            const std::function<void(VirtualKey &)> &change) = 0;
    // Sets revoked_at (once; a second revoke keeps the first time). False
    // when there is no such id.
    virtual bool revoke(std::string_view id, std::int64_t now_unix) = 0;
    // The record whose key_hash is hash (revoked and expired ones too: the
    // caller tells the client why it is refused).
    virtual std::optional<VirtualKey> find_by_hash(std::string_view hash) const = 0;
    // Whether any record was ever created (revoked ones count): from then on
    // the data plane requires a key. Called on every request: keep it cheap.
    virtual bool has_keys() const = 0;

    // Adds amount_nusd to the key's spend in the period that began at
    // period_start (budget_period_start) and returns the new total.
    virtual std::int64_t add_spend(std::string_view id, std::int64_t period_start,
                                   std::int64_t amount_nusd) = 0;
    // The key's spend in that period; 0 when nothing was spent.
    virtual std::int64_t spend(std::string_view id, std::int64_t period_start) const = 0;
};

// Fixed one-minute windows: a window starts at a multiple of 60 unix seconds.
inline constexpr std::int64_t kRateWindowSeconds = 60;

class RateCounters {
public:
    virtual ~RateCounters() = default;

    // Atomically adds amount (0 reads) to the counter of (key id, metric,
    // window start) and returns the new total. metric is "rpm" or "tpm".
    // A counter may be forgotten once its window has ended (Redis: EXPIRE
    // at window_start + kRateWindowSeconds plus a margin).
    virtual std::int64_t add(std::string_view key_id, std::string_view metric,
                             std::int64_t window_start, std::int64_t amount) = 0;
};

}  // namespace sb::core
