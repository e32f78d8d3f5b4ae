#include "core/keys/key_service.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>

#include "core/errors.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "core/rfc3339.hpp"

namespace sb::core {
namespace {

std::string random_hex(std::size_t bytes) {
    std::string raw(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(raw.data()), static_cast<int>(bytes)) != 1)
        throw std::runtime_error("no random bytes for a new key");
    std::string out;
    out.reserve(2 * bytes);
    for (char c : raw) append_hex(out, static_cast<unsigned char>(c));
    return out;
}

// The start of the period after the one that began at start.
std::int64_t next_period_start(BudgetPeriod period, std::int64_t now) {
    using namespace std::chrono;
    const sys_days day = floor<days>(sys_seconds{seconds(now)});
    if (period == BudgetPeriod::daily)
        return duration_cast<seconds>((day + days(1)).time_since_epoch()).count();
    const year_month_day ymd{day};
    const sys_days next{(ymd.year() / ymd.month() / 1) + months(1)};
    return duration_cast<seconds>(next.time_since_epoch()).count();
}

// A price missing for a model is logged once per model, not per request
// (bounded: client-given names cannot grow it without end).
void warn_price_unknown(std::string_view provider, std::string_view model) {
    static std::mutex mutex;
    static std::set<std::string, std::less<>> warned;
    std::string name = std::string(provider) + "/" + std::string(model);
    {
        std::lock_guard lock(mutex);
        if (warned.size() >= 1024 || !warned.insert(name).second) return;
    }
    log_event(
        LogLevel::warn, "price_unknown",
        {{"model", name},
         {"effect", "cost unknown: not added to spend; add it to \"prices\" in the config file"}});
}

}  // namespace

std::int64_t KeyService::system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

KeyService::Created KeyService::create(VirtualKey spec) {
    Created created;
    created.key = "sk-sb-" + random_hex(24);
    spec.id = "vk-" + random_hex(8);
    spec.key_hash = hash_virtual_key(created.key);
    spec.created_at = now_();
    spec.revoked_at.reset();
    store_.create(spec);
    created.record = std::move(spec);
    return created;
}

std::optional<VirtualKey> KeyService::authenticate(std::string_view key_text) const {
    auto key = store_.find_by_hash(hash_virtual_key(key_text));
    if (!key) return std::nullopt;
    if (key->revoked_at)
        throw GatewayError(ErrorCode::invalid_api_key, "virtual key " + key->id + " was revoked");
    if (key->expires_at && *key->expires_at <= now_())
        throw GatewayError(ErrorCode::invalid_api_key, "virtual key " + key->id + " expired at " +
                                                           format_rfc3339(*key->expires_at));
    return key;
}

bool KeyService::allows(const VirtualKey &key, const Destination &to) {
    if (key.models.empty()) return true;
    return std::any_of(key.models.begin(), key.models.end(), [&](const std::string &entry) {
        if (entry == to.requested) return true;
        const auto slash = entry.find('/');
        if (slash == std::string::npos || entry.compare(0, slash, to.provider) != 0 ||
            slash != to.provider.size())
            return false;
        const std::string_view rest = std::string_view(entry).substr(slash + 1);
        return rest == "*" || rest == to.model;
    });
}

std::int64_t KeyService::current_spend(const VirtualKey &key) const {
    return store_.spend(key.id, budget_period_start(key.budget_period, now_()));
}

void KeyService::admit(const VirtualKey &key, const std::optional<Destination> &to) {
    if (to && !allows(key, *to))
        throw GatewayError(
            ErrorCode::permission_denied,
            "virtual key " + key.id + " may not use model '" + std::string(to->requested) + "'",
            "model");
    const std::int64_t now = now_();
    if (key.budget_nusd) {
        if (to && !prices_.current()->find(to->provider, to->model))
            throw GatewayError(
                ErrorCode::permission_denied,
                "virtual key " + key.id + " has a budget, and model '" + std::string(to->provider) +
                    "/" + std::string(to->model) +
                    "' has no price to count it with (add it to \"prices\" in the config file)",
                "model");
        const std::int64_t spent =
            store_.spend(key.id, budget_period_start(key.budget_period, now));
        if (spent >= *key.budget_nusd) {
            std::string message = "budget exceeded: virtual key " + key.id + " has spent $" +
                                  format_usd(spent) + " of its " +
                                  std::string(budget_period_name(key.budget_period)) +
                                  " budget of $" + format_usd(*key.budget_nusd);
            if (key.budget_period != BudgetPeriod::total)
                message +=
                    "; it resets at " + format_rfc3339(next_period_start(key.budget_period, now));
            throw GatewayError(ErrorCode::budget_exceeded, message, "budget_usd");
        }
    }
    const std::int64_t window = now - now % kRateWindowSeconds;
    const int retry_after = static_cast<int>(window + kRateWindowSeconds - now);
    if (key.tpm_limit && counters_.add(key.id, "tpm", window, 0) >= *key.tpm_limit)
        throw GatewayError(ErrorCode::rate_limit_exceeded,
                           "virtual key " + key.id + " reached its limit of " +
                               std::to_string(*key.tpm_limit) + " tokens per minute; retry in " +
                               std::to_string(retry_after) + " s")
            .with_retry_after(retry_after);
    if (key.rpm_limit && counters_.add(key.id, "rpm", window, 1) > *key.rpm_limit) {
        counters_.add(key.id, "rpm", window, -1);  // a refused request is not counted
        throw GatewayError(ErrorCode::rate_limit_exceeded,
                           "virtual key " + key.id + " reached its limit of " +
                               std::to_string(*key.rpm_limit) + " requests per minute; retry in " +
                               std::to_string(retry_after) + " s")
            .with_retry_after(retry_after);
    }
}

std::optional<std::int64_t> KeyService::charge(std::string_view key_id, std::string_view provider,
                                               std::string_view model, const TokenCounts &tokens) {
    const bool usage_known = tokens.prompt >= 0 || tokens.completion >= 0;
    auto cost = prices_.cost_nusd(provider, model, tokens);
    if (!cost && usage_known && !provider.empty()) warn_price_unknown(provider, model);
    if (key_id.empty()) return cost;
    auto key = store_.get(key_id);
    if (!key) return cost;
    const std::int64_t now = now_();
    if (cost && *cost > 0)
        store_.add_spend(key->id, budget_period_start(key->budget_period, now), *cost);
    if (key->tpm_limit && usage_known) {
        const std::int64_t used =
            std::max<std::int64_t>(tokens.prompt, 0) + std::max<std::int64_t>(tokens.completion, 0);
        counters_.add(key->id, "tpm", now - now % kRateWindowSeconds, used);
    }
    return cost;
}

}  // namespace sb::core
