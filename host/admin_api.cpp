#include "host/admin_api.hpp"

#include "core/gateway/embeddings.hpp"
#include "host/error_presentation.hpp"

#include "core/errors.hpp"
#include "core/log.hpp"
#include "host/http_responses.hpp"
#include "host/json_body.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <chrono>

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;

namespace {

std::string iso_time(std::chrono::system_clock::time_point tp) {
    std::time_t t = std::chrono::system_clock::to_time_t(tp);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

json::value masked_config(const core::ResolvedProviderConfig &c) {
    json::object o;
    o["provider"] = c.provider;
    o["model"] = c.model.value;
    o["api_base"] = c.api_base.value;
    o["api_key_set"] = !c.api_key.value.empty();
    if (c.api_key.value.empty())
        o["api_key_hint"] = nullptr;
    else
        o["api_key_hint"] = core::mask_api_key(c.api_key.value);
    o["source"] = {{"api_key", core::value_source_name(c.api_key.source)},
                   {"model", core::value_source_name(c.model.source)},
                   {"api_base", core::value_source_name(c.api_base.source)}};
    return o;
}

core::ConfigOverrides read_overrides(const json::object &body, const core::ApiBasePolicy &policy) {
    core::ConfigOverrides o;
    o.api_key = optional_string(body, "api_key");
    o.api_base = optional_string(body, "api_base");
    o.model = optional_string(body, "model");
    if (o.api_base && !o.api_base->empty())
        if (auto refused = policy.refusal(*o.api_base))
            throw GatewayError(ErrorCode::invalid_request, *refused, "api_base");
    return o;
}

// "fallback": ["provider/model", ...]; every entry must name a loaded provider.
std::optional<std::vector<std::string>> read_fallback(const json::object &body, core::ChatGateway &gateway) {
    auto it = body.find("fallback");
    if (it == body.end()) return std::nullopt;
    if (!it->value().is_array())
        throw GatewayError(ErrorCode::invalid_request, "field 'fallback' must be an array of \"provider/model\" strings",
                           "fallback");
    std::vector<std::string> entries;
    for (const auto &entry : it->value().get_array()) {
        if (!entry.is_string())
            throw GatewayError(ErrorCode::invalid_request, "each 'fallback' entry must be a \"provider/model\" string",
                               "fallback");
        std::string text(entry.get_string());
        if (text.find('/') == std::string::npos)
            throw GatewayError(ErrorCode::invalid_request, "fallback entry '" + text + "' must be \"provider/model\"",
                               "fallback");
        gateway.route(text);  // throws unknown_provider naming the entry
        entries.push_back(std::move(text));
    }
    return entries;
}

void save_config(core::ConfigStore &store, const std::function<void(core::StoredConfig &)> &change) {
    try {
        store.update(change);
    } catch (const std::runtime_error &e) {
        core::log_event(core::LogLevel::error, "config_save_failed", {{"reason", e.what()}});
        throw GatewayError(ErrorCode::internal_error, std::string("could not save the config: ") + e.what());
    }
}

std::string query_param(const Request &request, std::string_view name) {
    auto url = boost::urls::parse_origin_form(request.target());
    if (!url) return {};
    auto params = url->params();
    auto it = params.find(name);
    return it == params.end() ? std::string() : std::string((*it).value);
}

}  // namespace

namespace {

// What to do about a retired model: the vendor's date and successor, and the
// exact setting that switches to it.
std::string retirement_hint(const core::ProviderInfo &info, const core::ModelLifecycle &retired,
                            const std::string &suggested) {
    std::string hint = "The vendor retired " + retired.model + " on " + retired.retired_on;
    if (!retired.source.empty()) hint += " (" + retired.source + ")";
    if (suggested.empty()) return hint + "; choose a current model from GET /api/backdoor/llm/models?provider=" + info.id + ".";
    hint += "; its successor is " + suggested + ". Switch with ";
    if (!info.env_model.empty()) hint += info.env_model + "=" + suggested + " or ";
    return hint + "POST /api/backdoor/llm/config {\"provider\":\"" + info.id + "\",\"model\":\"" + suggested + "\"}.";
}

std::string deprecation_warning(const core::ModelLifecycle &m) {
    std::string text = "the vendor deprecated " + m.model + " on " + m.deprecated_on;
    if (!m.retired_on.empty()) text += "; requests fail from " + m.retired_on;
    if (!m.successor.empty()) text += "; its successor is " + m.successor;
    return text;
}

// {"status", "deprecated_on", "retired_on", "successor", "source"} of a
// model the vendor announced something for; null otherwise.
json::value lifecycle_json(const core::ModelLifecycles &lifecycle, std::string_view model, std::string_view today) {
    const core::ModelLifecycle *m = lifecycle.find(model);
    if (!m) return nullptr;
    auto or_null = [](const std::string &v) -> json::value { return v.empty() ? json::value(nullptr) : json::value(v); };
    return {{"status", core::model_status_name(lifecycle.status(model, today))},
            {"deprecated_on", or_null(m->deprecated_on)},
            {"retired_on", or_null(m->retired_on)},
            {"successor", or_null(m->successor)},
            {"source", or_null(m->source)}};
}

}  // namespace

// What a provider's plugin offers through sb.embeddings/1; null without it.
json::value embeddings_json(const core::EmbeddingSupport &e) {
    if (!e.supported) return nullptr;
    json::array models;
    for (const auto &m : e.models) models.push_back(json::string(m));
    return {{"models", std::move(models)},
            {"default_model", e.default_model},
            {"max_batch", e.max_batch},
            {"token_input", e.has(SB_EMBED_TOKEN_INPUT)},
            {"dimensions", e.has(SB_EMBED_DIMENSIONS)}};
}

Response AdminApi::providers(const Request &request) {
    auto set = registry_.current();
    core::StoredConfig stored = store_.snapshot();
    std::string active = core::resolve_active_provider(*set, stored, env_);
    json::array list;
    const std::string today = core::utc_today();
    for (const auto &p : set->providers) {
        const auto &info = p->info();
        auto resolved = core::resolve_provider_config(info, stored, env_);
        json::object o;
        o["id"] = info.id;
        o["name"] = info.display_name;
        o["version"] = info.plugin_version;
        o["abi_version"] = p->library().abi_version();
        o["file"] = p->library().file().string();
        o["loaded_at"] = iso_time(p->library().load_time());
        o["isolation"] = core::isolation_name(p->library().isolation());
        o["helper_restarts"] = p->library().helper_restarts();
        o["default_model"] = info.default_model;
        // The seed's default stays the contract; these say whether the vendor still serves it.
        o["default_model_status"] = core::model_status_name(info.lifecycle.status(info.default_model, today));
        o["suggested_model"] = info.lifecycle.suggested(info.default_model, today);
        o["default_model_lifecycle"] = lifecycle_json(info.lifecycle, info.default_model, today);
        o["api_base"] = info.default_api_base;
        // What requests use: <ID>_API_BASE or the runtime config over the default.
        o["effective_api_base"] = resolved.api_base.value;
        o["effective_api_base_source"] = core::value_source_name(resolved.api_base.source);
        o["env"] = {{"api_key", info.env_api_key}, {"model", info.env_model}, {"api_base", info.env_api_base}};
        o["capabilities"] = {{"streaming", info.has(SB_CAP_STREAMING)},
                             {"tools", info.has(SB_CAP_TOOLS)},
                             {"vision", info.has(SB_CAP_VISION)},
                             {"model_listing", info.has(SB_CAP_MODEL_LISTING)},
                             {"embeddings", info.embeddings.supported}};
        o["embeddings"] = embeddings_json(info.embeddings);
        o["stream_framing"] = info.stream_framing == SB_FRAMING_NDJSON ? "ndjson" : "sse";
        o["requires_api_key"] = info.has(SB_CAP_REQUIRES_API_KEY);
        o["api_key_set"] = !resolved.api_key.value.empty();
        o["configured"] = !core::missing_configuration(info, resolved).has_value();
        o["active"] = info.id == active;
        list.push_back(std::move(o));
    }
    json::array refused;
    for (const auto &r : set->refused) refused.push_back({{"file", r.file.string()}, {"reason", r.reason}});
    json::object doc;
    if (active.empty())
        doc["active_provider"] = nullptr;
    else
        doc["active_provider"] = active;
    doc["providers"] = std::move(list);
    doc["refused"] = std::move(refused);
    return json_response(http::status::ok, json::serialize(doc), request.version());
}

boost::asio::awaitable<Response> AdminApi::models(const Request &request, core::RequestContext &context) {
    std::string filter = query_param(request, "provider");
    auto set = registry_.current();
    if (!filter.empty() && !set->find(filter))
        throw GatewayError(ErrorCode::unknown_provider, "unknown provider '" + filter + "'", "provider");
    json::array out;
    for (const auto &p : set->providers) {
        if (!filter.empty() && p->id() != filter) continue;
        json::object entry;
        entry["provider"] = p->id();
        entry["default_model"] = p->info().default_model;
        json::array models;
        std::string source = "static";
        json::value live_error = nullptr;
        core::ChatTarget target = gateway_.target(p->id());
        bool can_go_live = p->info().has(SB_CAP_MODEL_LISTING) &&
                           !core::missing_configuration(p->info(), target.config);
        if (can_go_live) {
            try {
                for (auto &id : co_await gateway_.live_models(target, &context)) models.push_back(json::string(id));
                source = "live";
            } catch (const GatewayError &e) {
                live_error = {{"type", test_error_type(e.code())}, {"message", e.what()}};
            }
        }
        if (source == "static")
            for (const auto &id : p->info().known_models) models.push_back(json::string(id));
        json::object lifecycle;  // only the listed models the vendor announced something for
        const std::string today = core::utc_today();
        for (const auto &id : models)
            if (json::value l = lifecycle_json(p->info().lifecycle, id.get_string(), today); !l.is_null())
                lifecycle[id.get_string()] = std::move(l);
        entry["models"] = std::move(models);
        entry["lifecycle"] = std::move(lifecycle);
        entry["source"] = source;
        entry["live_error"] = std::move(live_error);
        out.push_back(std::move(entry));
    }
    json::object doc;
    doc["providers"] = std::move(out);
    co_return json_response(http::status::ok, json::serialize(doc), request.version());
}

std::string AdminApi::config_document() const {
    auto set = registry_.current();
    core::StoredConfig stored = store_.snapshot();
    std::string active = core::resolve_active_provider(*set, stored, env_);
    json::object doc;
    json::object all;
    for (const auto &p : set->providers) {
        auto resolved = core::resolve_provider_config(p->info(), stored, env_);
        json::value masked = masked_config(resolved);
        if (p->id() == active)
            for (const auto &kv : masked.as_object()) doc[kv.key()] = kv.value();
        all[p->id()] = std::move(masked);
    }
    if (active.empty()) {
        doc["provider"] = nullptr;
        doc["model"] = nullptr;
        doc["api_base"] = nullptr;
        doc["api_key_set"] = false;
        doc["api_key_hint"] = nullptr;
    }
    doc["providers"] = std::move(all);
    json::array fallback;
    for (const auto &entry : stored.fallback) fallback.push_back(json::string(entry));
    doc["fallback"] = std::move(fallback);
    return json::serialize(doc);
}

Response AdminApi::get_config(const Request &request) {
    return json_response(http::status::ok, config_document(), request.version());
}

Response AdminApi::post_config(const Request &request) {
    json::object body = parse_json_object(request.body());
    reject_unknown_fields(body, {"provider", "api_key", "api_base", "model", "fallback"});
    std::optional<std::vector<std::string>> fallback = read_fallback(body, gateway_);
    auto provider_id = optional_string(body, "provider");
    if (fallback && !provider_id) {
        save_config(store_, [&](core::StoredConfig &stored) { stored.fallback = *fallback; });
        core::log_event(core::LogLevel::info, "config_updated", {{"fallback", std::to_string(fallback->size())}});
        return json_response(http::status::ok, config_document(), request.version());
    }
    if (!provider_id || provider_id->empty())
        throw GatewayError(ErrorCode::invalid_request, "field 'provider' is required", "provider");
    core::ConfigOverrides change = read_overrides(body, gateway_.options().api_base_policy);
    auto set = registry_.current();
    auto provider = set->find(*provider_id);
    if (!provider)
        throw GatewayError(ErrorCode::unknown_provider, "unknown provider '" + *provider_id + "'", "provider");
    const auto &info = provider->info();
    const auto &env = env_;
    save_config(store_, [&](core::StoredConfig &stored) {
        if (fallback) stored.fallback = *fallback;
        core::apply_config_change(info, stored, env, change);
        stored.active_provider = info.id;
    });
    gateway_.forget_models(info.id);  // its list may differ under the new config
    core::log_event(core::LogLevel::info, "config_updated",
                    {{"provider", info.id},
                     {"api_key_changed", change.api_key ? "true" : "false"},
                     {"api_base_changed", change.api_base ? "true" : "false"},
                     {"model_changed", change.model ? "true" : "false"}});
    return json_response(http::status::ok, config_document(), request.version());
}

boost::asio::awaitable<Response> AdminApi::test(const Request &request, core::RequestContext &context) {
    json::object body = request.body().empty() ? json::object() : parse_json_object(request.body());
    reject_unknown_fields(body, {"provider", "api_key", "api_base", "model", "kind"});
    auto provider_id = optional_string(body, "provider");
    const std::string kind = optional_string(body, "kind").value_or("chat");
    if (kind != "chat" && kind != "embeddings")
        throw GatewayError(ErrorCode::invalid_request, "field 'kind' must be \"chat\" or \"embeddings\"", "kind");
    const bool embeddings = kind == "embeddings";
    const bool model_given = body.contains("model");
    core::ConfigOverrides overrides = read_overrides(body, gateway_.options().api_base_policy);
    core::ChatTarget target = gateway_.target(provider_id.value_or(""), &overrides);
    const auto &info = target.provider->info();
    // An embeddings test without a model tries the plugin's default
    // embedding model; a plugin without embeddings fails the test below.
    if (embeddings && info.embeddings.supported) core::choose_embedding_model(target, model_given);

    context.provider = info.id;
    context.model = target.config.model.value;

    json::object result;
    result["provider"] = info.id;
    result["model"] = target.config.model.value;
    result["kind"] = kind;
    auto started = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
            .count();
    };
    const std::string today = core::utc_today();
    const std::string &model = target.config.model.value;
    const core::ModelLifecycle *announced = info.lifecycle.find(model);
    const core::ModelStatus status = info.lifecycle.status(model, today);
    // The vendor decides (a notice may be extended); the plugin's notices
    // explain what it answers.
    if (status == core::ModelStatus::deprecated) result["warning"] = deprecation_warning(*announced);
    if (status == core::ModelStatus::retired)
        result["warning"] = "the vendor retired " + model + " on " + announced->retired_on;
    // The access log's error: the vendor call this request made failed,
    // though the request itself succeeds (200 with ok:false).
    auto fail = [&](std::string_view type, std::string message, std::string hint) {
        context.error_type = type;  // test_error_type names are static
        result["ok"] = false;
        result["latency_ms"] = elapsed_ms();
        result["error"] = {{"type", type}, {"message", std::move(message)}, {"hint", std::move(hint)}};
    };
    try {
        if (embeddings) {
            core::EmbeddingsCall call{json::array{"ping"}, {}};
            core::EmbeddingsResult vectors =
                co_await core::embed(gateway_, target, std::move(call), gateway_.options().test_timeouts, context);
            result["ok"] = true;
            result["latency_ms"] = elapsed_ms();
            result["dimensions"] = vectors.vectors.front().size();
            co_return json_response(http::status::ok, json::serialize(result), request.version());
        }
        json::object chat;
        chat["messages"] = json::array{{{"role", "user"}, {"content", "Reply with the single word: pong"}}};
        // Room for reasoning models, which think before they answer.
        chat["max_tokens"] = 1024;
        core::ChatResult reply =
            co_await gateway_.complete(target, std::move(chat), gateway_.options().test_timeouts, &context);
        std::string text;
        json::error_code ec;
        json::value parsed = json::parse(reply.body_json, ec);
        if (!ec) {
            if (auto *content = parsed.find_pointer("/choices/0/message/content", ec); content && content->is_string())
                text = std::string(content->get_string());
        }
        if (text.empty()) {
            fail(test_error_type(ErrorCode::upstream_error),
                 "provider '" + info.id + "': the model answered with an empty reply",
                 "The vendor accepted the request but returned no text (a reasoning model may have spent its "
                 "tokens thinking); try the model in the vendor's console, or another model.");
        } else {
            result["ok"] = true;
            result["latency_ms"] = elapsed_ms();
            result["reply"] = text;
        }
    } catch (const GatewayError &e) {
        // A vendor that no longer knows a model it retired: say when, and what replaces it.
        const bool retired = status == core::ModelStatus::retired &&
                             (e.code() == ErrorCode::model_not_found || e.code() == ErrorCode::invalid_request);
        fail(test_error_type(retired ? ErrorCode::model_not_found : e.code()), e.what(),
             retired ? retirement_hint(info, *announced, info.lifecycle.suggested(model, today))
                     : test_error_hint(e.code(), info.id, info.env_api_key, info.env_api_base));
    }
    co_return json_response(http::status::ok, json::serialize(result), request.version());
}

Response AdminApi::reload_plugins(const Request &request) {
    core::ReloadSummary summary = reloader_.reload("admin request");
    auto to_array = [](const std::vector<std::string> &ids) {
        json::array a;
        for (const auto &id : ids) a.push_back(json::string(id));
        return a;
    };
    auto set = registry_.current();
    json::array refused;
    for (const auto &r : set->refused) refused.push_back({{"file", r.file.string()}, {"reason", r.reason}});
    json::object doc{{"added", to_array(summary.added)},
                     {"replaced", to_array(summary.replaced)},
                     {"removed", to_array(summary.removed)},
                     {"kept_after_failure", to_array(summary.kept_after_failure)},
                     {"providers", json::array()},
                     {"refused", std::move(refused)}};
    for (const auto &p : set->providers) doc["providers"].as_array().push_back(json::string(p->id()));
    return json_response(http::status::ok, json::serialize(doc), request.version());
}

}  // namespace sb::host
