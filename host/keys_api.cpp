#include "host/keys_api.hpp"

#include "core/errors.hpp"
#include "core/log.hpp"
#include "core/rfc3339.hpp"
#include "host/json_body.hpp"

#include <boost/json.hpp>

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;
using core::VirtualKey;

namespace {

constexpr std::string_view kCollection = "/api/backdoor/keys";
constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxModels = 256;

[[noreturn]] void invalid(std::string_view field, const std::string &message) {
    throw GatewayError(ErrorCode::invalid_request, std::string(field) + ": " + message, std::string(field));
}

// The field's value, or nullptr when absent; `present` says whether it was
// given at all (null included), as PATCH clears a setting with null.
const json::value *field(const json::object &body, std::string_view name, bool &present) {
    const json::value *v = body.if_contains(name);
    present = v != nullptr;
    return v && !v->is_null() ? v : nullptr;
}

std::optional<std::int64_t> limit_field(const json::value &v, std::string_view name) {
    if (v.is_int64() && v.get_int64() >= 0) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.get_uint64());
    invalid(name, "must be a whole number of 0 or more, or null for no limit");
}

// Applies the fields of body to key; on POST, name is required.
void apply_fields(const json::object &body, VirtualKey &key, bool creating) {
    reject_unknown_fields(body, {"name", "models", "rpm_limit", "tpm_limit", "budget_usd", "budget_period",
                                 "expires_at"});
    bool present = false;
    if (const auto *v = field(body, "name", present)) {
        if (!v->is_string() || v->get_string().empty() || v->get_string().size() > kMaxNameBytes)
            invalid("name", "must be a non-empty string of at most 200 bytes");
        key.name = std::string(v->get_string());
    } else if (creating || present) {
        invalid("name", "field required (a label for the key)");
    }
    if (const auto *v = field(body, "models", present)) {
        if (!v->is_array() || v->get_array().size() > kMaxModels)
            invalid("models", "must be an array of at most 256 model names, or null for every model");
        std::vector<std::string> models;
        for (const auto &m : v->get_array()) {
            if (!m.is_string() || m.get_string().empty() || m.get_string().size() > 256)
                invalid("models", "entries must be non-empty strings: an alias, provider/model or provider/*");
            models.emplace_back(m.get_string());
        }
        key.models = std::move(models);
    } else if (present) {
        key.models.clear();
    }
    for (auto [name, target] : {std::pair{"rpm_limit", &key.rpm_limit}, std::pair{"tpm_limit", &key.tpm_limit}}) {
        if (const auto *v = field(body, name, present))
            *target = limit_field(*v, name);
        else if (present)
            target->reset();
    }
    if (const auto *v = field(body, "budget_usd", present)) {
        if (!v->is_number() || v->to_number<double>() < 0 || v->to_number<double>() > 1e9)
            invalid("budget_usd", "must be a number of USD between 0 and 1000000000, or null for no budget");
        key.budget_nusd = core::usd_to_nusd(v->to_number<double>());
    } else if (present) {
        key.budget_nusd.reset();
    }
    if (const auto *v = field(body, "budget_period", present)) {
        auto period = v->is_string() ? core::parse_budget_period(v->get_string()) : std::nullopt;
        if (!period) invalid("budget_period", "must be \"daily\", \"monthly\" or \"total\"");
        key.budget_period = *period;
    } else if (present) {
        key.budget_period = core::BudgetPeriod::total;
    }
    if (const auto *v = field(body, "expires_at", present)) {
        auto when = v->is_string() ? core::parse_rfc3339(v->get_string()) : std::nullopt;
        if (!when) invalid("expires_at", "must be an RFC 3339 time such as \"2027-01-31T00:00:00Z\", or null");
        key.expires_at = *when;
    } else if (present) {
        key.expires_at.reset();
    }
}

json::value optional_number(const std::optional<std::int64_t> &v) {
    return v ? json::value(*v) : json::value(nullptr);
}

double usd(std::int64_t nusd) { return static_cast<double>(nusd) / 1e9; }

std::string_view id_in(std::string_view path) {
    return path.size() > kCollection.size() + 1 ? path.substr(kCollection.size() + 1) : std::string_view{};
}

[[noreturn]] void no_such_key(std::string_view id) {
    throw GatewayError(ErrorCode::not_found, "no virtual key with id '" + std::string(id.substr(0, 64)) + "'");
}

}  // namespace

bool KeysApi::handles(std::string_view path) noexcept {
    return path == kCollection || (path.starts_with(kCollection) && path.size() > kCollection.size() &&
                                   path[kCollection.size()] == '/');
}

Response KeysApi::handle(const Request &request, std::string_view path) {
    const auto method = request.method();
    if (path == kCollection) {
        if (method == http::verb::post) return create(request);
        if (method == http::verb::get) return list(request);
        throw GatewayError(ErrorCode::method_not_allowed, "method not allowed on " + std::string(path));
    }
    const std::string_view id = id_in(path);
    if (id.empty() || id.find('/') != std::string_view::npos) no_such_key(id);
    if (method == http::verb::get) return get(request, id);
    if (method == http::verb::patch) return patch(request, id);
    if (method == http::verb::delete_) return revoke(request, id);
    throw GatewayError(ErrorCode::method_not_allowed, "method not allowed on " + std::string(path));
}

std::string KeysApi::view_json(const VirtualKey &key) const {
    const std::int64_t now = keys_.now();
    const std::int64_t spent = keys_.current_spend(key);
    json::array models;
    for (const auto &m : key.models) models.emplace_back(m);
    json::object o;
    o["id"] = key.id;
    o["name"] = key.name;
    o["models"] = std::move(models);
    o["rpm_limit"] = optional_number(key.rpm_limit);
    o["tpm_limit"] = optional_number(key.tpm_limit);
    o["budget_usd"] = key.budget_nusd ? json::value(usd(*key.budget_nusd)) : json::value(nullptr);
    o["budget_period"] = core::budget_period_name(key.budget_period);
    o["expires_at"] = key.expires_at ? json::value(core::format_rfc3339(*key.expires_at)) : json::value(nullptr);
    o["created_at"] = core::format_rfc3339(key.created_at);
    o["revoked_at"] = key.revoked_at ? json::value(core::format_rfc3339(*key.revoked_at)) : json::value(nullptr);
    o["status"] = key.revoked_at                                   ? "revoked"
                  : key.expires_at && *key.expires_at <= now ? "expired"
                                                                 : "active";
    o["spend_usd"] = usd(spent);
    o["budget_remaining_usd"] =
        key.budget_nusd ? json::value(usd(std::max<std::int64_t>(*key.budget_nusd - spent, 0))) : json::value(nullptr);
    o["period_start"] = core::format_rfc3339(core::budget_period_start(key.budget_period, now));
    return json::serialize(o);
}

Response KeysApi::create(const Request &request) {
    const json::object body = parse_json_object(request.body());
    VirtualKey spec;
    apply_fields(body, spec, true);
    auto created = keys_.create(std::move(spec));
    // The one answer that holds the key: spliced in, not kept anywhere.
    json::object view = json::parse(view_json(created.record)).as_object();
    view["key"] = created.key;
    core::log_event(core::LogLevel::info, "virtual_key_created",
                    {{"key_id", created.record.id}, {"name", created.record.name}});
    return json_response(http::status::created, json::serialize(view), request.version());
}

Response KeysApi::list(const Request &request) {
    std::string data = "[";
    for (const auto &key : keys_.store().list()) {
        if (data.size() > 1) data += ",";
        data += view_json(key);
    }
    return json_response(http::status::ok, R"({"object":"list","data":)" + data + "]}", request.version());
}

Response KeysApi::get(const Request &request, std::string_view id) {
    auto key = keys_.store().get(id);
    if (!key) no_such_key(id);
    return json_response(http::status::ok, view_json(*key), request.version());
}

Response KeysApi::patch(const Request &request, std::string_view id) {
    const json::object body = parse_json_object(request.body());
    VirtualKey checked;
    apply_fields(body, checked, false);  // refuses a bad body before the store is touched
    auto key = keys_.store().patch(id, [&](VirtualKey &k) { apply_fields(body, k, false); });
    if (!key) no_such_key(id);
    core::log_event(core::LogLevel::info, "virtual_key_changed", {{"key_id", key->id}});
    return json_response(http::status::ok, view_json(*key), request.version());
}

Response KeysApi::revoke(const Request &request, std::string_view id) {
    if (!keys_.store().revoke(id, keys_.now())) no_such_key(id);
    auto key = keys_.store().get(id);
    if (!key) no_such_key(id);
    core::log_event(core::LogLevel::info, "virtual_key_revoked", {{"key_id", key->id}});
    return json_response(http::status::ok, view_json(*key), request.version());
}

bool KeyGate::required() const { return keys_.required(); }

void KeyGate::authorize(std::string_view authorization, std::string_view api_key) const {
    const std::string_view given = AccessControl::credential(authorization, api_key);
    if (given.empty())
        throw GatewayError(ErrorCode::invalid_api_key,
                           "this gateway requires Authorization: Bearer <key> (or x-api-key on /v1/messages)");
    if (access_.is_client_key(authorization, api_key)) return;
    if (!keys_.authenticate(given)) throw GatewayError(ErrorCode::invalid_api_key, "invalid key");
}

void KeyGate::admit(const Request &request, std::string_view api_key, core::RequestContext &context) {
    const std::string_view authorization = request[http::field::authorization];
    if (access_.is_client_key(authorization, api_key)) return;
    auto key = keys_.authenticate(AccessControl::credential(authorization, api_key));
    if (!key) throw GatewayError(ErrorCode::invalid_api_key, "invalid key");
    context.virtual_key_id = key->id;
    // Where the request goes matters only to a key limited to some models
    // or holding a budget (which needs a price); else the body is not read
    // twice.
    std::optional<core::KeyService::Destination> to;
    std::string requested;
    core::ChatTarget target;
    if ((!key->models.empty() || key->budget_nusd) && request.method() == http::verb::post) {
        try {
            const json::object body = parse_json_object(request.body());
            if (const auto *model = body.if_contains("model"); model && model->is_string())
                requested = std::string(model->get_string());
        } catch (const GatewayError &) {
            // A malformed body: the handler says what is wrong with it.
        }
        if (!requested.empty()) {
            target = gateway_.route(requested);
            to = core::KeyService::Destination{requested, target.config.provider, target.config.model.value};
        }
    }
    keys_.admit(*key, to);
}

std::optional<std::int64_t> KeyGate::charge(const core::RequestContext &context, core::Metrics &metrics) noexcept {
    try {
        const core::TokenCounts tokens{context.prompt_tokens, context.cached_tokens, context.completion_tokens};
        if (tokens.prompt < 0 && tokens.completion < 0) return std::nullopt;  // no vendor usage: nothing to price
        auto cost = keys_.charge(context.virtual_key_id, context.provider, context.model, tokens);
        metrics.record_spend(context.virtual_key_id.empty() ? "none" : context.virtual_key_id, context.provider,
                             cost);
        return cost;
    } catch (const std::exception &e) {
        core::log_event(core::LogLevel::error, "key_charge_failed",
                        {{"key_id", context.virtual_key_id}, {"reason", e.what()}});
        return std::nullopt;
    }
}

}  // namespace sb::host
