#include "core/keys/key_store.hpp"

#include <openssl/sha.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "core/hex.hpp"

namespace sb::core {
namespace {

namespace json = boost::json;

std::optional<std::int64_t> optional_int(const json::object &o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_int64())
        throw std::runtime_error("'" + std::string(name) + "' is not an integer");
    return it->value().get_int64();
}

std::string required_string(const json::object &o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string())
        throw std::runtime_error("'" + std::string(name) + "' is missing or not a string");
    return std::string(it->value().get_string());
}

void put_optional(json::object &o, std::string_view name,
                  const std::optional<std::int64_t> &value) {
    if (value) o[name] = *value;
}

}  // namespace

std::string_view budget_period_name(BudgetPeriod period) noexcept {
    switch (period) {
        case BudgetPeriod::daily:
            return "daily";
        case BudgetPeriod::monthly:
            return "monthly";
        case BudgetPeriod::total:
            return "total";
    }
    return "total";
}

std::optional<BudgetPeriod> parse_budget_period(std::string_view text) noexcept {
    for (auto p : {BudgetPeriod::daily, BudgetPeriod::monthly, BudgetPeriod::total})
        if (text == budget_period_name(p)) return p;
    return std::nullopt;
}

std::int64_t budget_period_start(BudgetPeriod period, std::int64_t now_unix) noexcept {
    using namespace std::chrono;
    const sys_seconds now{seconds(now_unix)};
    const sys_days day = floor<days>(now);
    switch (period) {
        case BudgetPeriod::daily:
            return duration_cast<seconds>(day.time_since_epoch()).count();
        case BudgetPeriod::monthly: {
            const year_month_day ymd{day};
            const sys_days first{ymd.year() / ymd.month() / 1};
            return duration_cast<seconds>(first.time_since_epoch()).count();
        }
        case BudgetPeriod::total:
            return 0;
    }
    return 0;
}

std::string hash_virtual_key(std::string_view key_text) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(key_text.data()), key_text.size(), d);
    std::string out;
    out.reserve(2 * sizeof d);
    for (unsigned char byte : d) append_hex(out, byte);
    return out;
}

std::string serialize_virtual_key(const VirtualKey &key) {
    json::object o;
    o["id"] = key.id;
    o["name"] = key.name;
    o["key_hash"] = key.key_hash;
    json::array models;
    for (const auto &m : key.models) models.emplace_back(m);
    o["models"] = std::move(models);
    put_optional(o, "rpm_limit", key.rpm_limit);
    put_optional(o, "tpm_limit", key.tpm_limit);
    put_optional(o, "budget_nusd", key.budget_nusd);
    o["budget_period"] = budget_period_name(key.budget_period);
    put_optional(o, "expires_at", key.expires_at);
    o["created_at"] = key.created_at;
    put_optional(o, "revoked_at", key.revoked_at);
    return json::serialize(o);
}

VirtualKey parse_virtual_key(std::string_view json_text) {
    json::error_code ec;
    json::value doc = json::parse(json_text, ec);
    if (ec) throw std::runtime_error("invalid JSON: " + ec.message());
    if (!doc.is_object()) throw std::runtime_error("a key record is not an object");
    const auto &o = doc.get_object();
    VirtualKey key;
    key.id = required_string(o, "id");
    key.name = required_string(o, "name");
    key.key_hash = required_string(o, "key_hash");
    if (auto it = o.find("models"); it != o.end() && !it->value().is_null()) {
        if (!it->value().is_array()) throw std::runtime_error("'models' is not an array");
        for (const auto &m : it->value().get_array()) {
            if (!m.is_string()) throw std::runtime_error("'models' entries must be strings");
            key.models.emplace_back(m.get_string());
        }
    }
    key.rpm_limit = optional_int(o, "rpm_limit");
    key.tpm_limit = optional_int(o, "tpm_limit");
    key.budget_nusd = optional_int(o, "budget_nusd");
    auto period = parse_budget_period(required_string(o, "budget_period"));
    if (!period) throw std::runtime_error("'budget_period' is not daily, monthly or total");
    key.budget_period = *period;
    key.expires_at = optional_int(o, "expires_at");
    key.created_at = optional_int(o, "created_at").value_or(0);
    key.revoked_at = optional_int(o, "revoked_at");
    return key;
}

}  // namespace sb::core
