#pragma once
// The rules of virtual keys, on top of a KeyStore and RateCounters: making
// a key, telling whether one may be used, admitting a request against the
// key's models, budget and rate limits, and charging what it cost.
//
// Limits count in fixed one-minute windows (kRateWindowSeconds): rpm counts
// admitted requests, tpm the prompt + completion tokens of finished ones. A
// request is refused when its window's tpm is already at the limit (the
// tokens of a request are only known after it). Budgets are checked before
// a request and charged after it, so the request that crosses the budget
// completes and the next is refused.
//
// Errors are GatewayErrors: invalid_api_key (401) for an unknown, revoked or
// expired key; permission_denied (403) for a model the key may not use;
// rate_limit_exceeded (429, retry_after set) over rpm/tpm; budget_exceeded
// (402) over budget. Thread safety: as the stores it uses.
#include "core/keys/key_store.hpp"
#include "core/keys/price_table.hpp"

#include <functional>

namespace sb::core {

class KeyService {
public:
    using Clock = std::function<std::int64_t()>;  // unix seconds
    static std::int64_t system_now();

    KeyService(KeyStore &store, RateCounters &counters, PriceTable &prices, Clock now = system_now)
        : store_(store), counters_(counters), prices_(prices), now_(std::move(now)) {}

    struct Created {
        VirtualKey record;
        std::string key;  // "sk-sb-" + 48 hex digits: shown once, never stored
    };
    // Fills id, key_hash and created_at of spec and stores it.
    Created create(VirtualKey spec);

    // Whether the data plane needs a key (one was ever created).
    bool required() const { return store_.has_keys(); }
    // The record of key_text, or nullopt when it is no virtual key. Throws
    // invalid_api_key when it is one but revoked or expired.
    std::optional<VirtualKey> authenticate(std::string_view key_text) const;

    // Where a request goes, for the models check: the "model" the client
    // wrote, and the provider and model it was routed to.
    struct Destination {
        std::string_view requested;
        std::string_view provider;
        std::string_view model;
    };
    // Whether key may send a request there (empty models: everywhere).
    static bool allows(const VirtualKey &key, const Destination &to);
    // Admits one request of key to `to` (nullopt: a request naming no model,
    // such as the model list): the models check, the budget (a key with a
    // budget may only use priced models), then rpm and tpm. Counts the
    // request in rpm once admitted. Throws GatewayError as above.
    void admit(const VirtualKey &key, const std::optional<Destination> &to);

    // What a finished request cost (nullopt: unknown price or usage): added
    // to the key's spend when key_id is not empty, and its tokens to tpm.
    std::optional<std::int64_t> charge(std::string_view key_id, std::string_view provider,
                                       std::string_view model, const TokenCounts &tokens);

    // The key's spend in its current budget period.
    std::int64_t current_spend(const VirtualKey &key) const;
    std::int64_t now() const { return now_(); }

    KeyStore &store() { return store_; }
    PriceTable &prices() { return prices_; }

private:
    KeyStore &store_;
    RateCounters &counters_;
    PriceTable &prices_;
    Clock now_;
};

}  // namespace sb::core
