#include "core/chat/chat_gateway.hpp"

#include "core/errors.hpp"

#include <boost/json/serialize.hpp>

namespace sb::core {

ChatGateway::ChatGateway(ProviderRegistry &registry, ConfigStore &store, Environment env,
                         UpstreamClient &upstream, GatewayOptions options)
    : registry_(registry), store_(store), env_(std::move(env)), upstream_(upstream), options_(options) {}

std::string ChatGateway::active_provider() const {
    return resolve_active_provider(*registry_.current(), store_.snapshot(), env_);
}

ChatTarget ChatGateway::target(std::string_view provider_id, const ConfigOverrides *overrides) const {
    ChatTarget t;
    t.providers = registry_.current();
    StoredConfig stored = store_.snapshot();
    std::string id = provider_id.empty() ? resolve_active_provider(*t.providers, stored, env_)
                                         : std::string(provider_id);
    if (id.empty())
        throw GatewayError(ErrorCode::unknown_provider, "no provider plugin is loaded", "provider");
    t.provider = t.providers->find(id);
    if (!t.provider)
        throw GatewayError(ErrorCode::unknown_provider, "unknown provider '" + id + "'", "provider");
    if (overrides) {
        // Overrides are applied as if they were runtime values, so the key
        // binding rules hold for them too.
        ProviderSettings &s = stored.providers[id];
        if (overrides->api_base) s.api_base = *overrides->api_base;
        if (overrides->model) s.model = *overrides->model;
        if (overrides->api_key) {
            s.api_key = *overrides->api_key;
            s.api_key_base = s.api_base.empty()
                                 ? resolve_provider_config(t.provider->info(), StoredConfig{}, env_).api_base.value
                                 : s.api_base;
        }
        // A new base without a key leaves the stored key bound to its old
        // base, so resolution drops it: it never travels to the new host.
    }
    t.config = resolve_provider_config(t.provider->info(), stored, env_);
    return t;
}

ChatTarget ChatGateway::route(std::string_view model_field) const {
    auto slash = model_field.find('/');
    if (slash == std::string_view::npos) {
        ChatTarget t = target({});
        if (!model_field.empty()) t.config.model = {std::string(model_field), ValueSource::runtime};
        return t;
    }
    std::string_view provider_id = model_field.substr(0, slash);
    std::string_view model = model_field.substr(slash + 1);
    auto providers = registry_.current();
    if (!providers->find(provider_id))
        throw GatewayError(ErrorCode::unknown_provider,
                           "unknown provider '" + std::string(provider_id) +
                               "' in model '" + std::string(model_field) +
                               "'; use provider/model with a loaded provider (a model name "
                               "containing '/' needs the provider prefix, e.g. together/" +
                               std::string(model_field) + ")",
                           "model");
    ChatTarget t = target(provider_id);
    if (!model.empty()) t.config.model = {std::string(model), ValueSource::runtime};
    return t;
}

void ChatGateway::ensure_configured(const ChatTarget &target) {
    if (auto missing = missing_configuration(target.provider->info(), target.config))
        throw GatewayError(ErrorCode::provider_not_configured, *missing, {}, target.provider->id());
}

boost::asio::awaitable<UpstreamResponse> ChatGateway::send_upstream(const ChatTarget &target,
                                                                    UpstreamRequest request,
                                                                    UpstreamTimeouts timeouts) {
    const std::string &provider = target.provider->id();
    try {
        co_return co_await upstream_.send(std::move(request), timeouts);
    } catch (const UpstreamError &e) {
        ErrorCode code = ErrorCode::network_error;
        switch (e.failure()) {
            case UpstreamFailure::timeout: code = ErrorCode::timeout; break;
            case UpstreamFailure::protocol: code = ErrorCode::api_base_incorrect; break;
            case UpstreamFailure::too_large: code = ErrorCode::upstream_error; break;
            case UpstreamFailure::invalid_url: code = ErrorCode::api_base_incorrect; break;
            default: code = ErrorCode::network_error; break;
        }
        throw GatewayError(code,
                           "provider '" + provider + "': " +
                               redact_secret(e.what(), target.config.api_key.value),
                           {}, provider);
    }
}

boost::asio::awaitable<ChatResult> ChatGateway::complete(const ChatTarget &target,
                                                         boost::json::object request,
                                                         UpstreamTimeouts timeouts) {
    ensure_configured(target);
    const EffectiveConfig config = target.config.effective();
    request["model"] = config.model;
    request.erase("stream");
    request.erase("stream_options");
    std::string body = boost::json::serialize(request);
    UpstreamRequest upstream_request = target.provider->build_chat_request(config, body, false);
    auto started = std::chrono::steady_clock::now();
    UpstreamResponse response = co_await send_upstream(target, std::move(upstream_request), timeouts);
    ChatResult result;
    result.upstream_time = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    result.body_json = target.provider->parse_chat_response(config, response);
    co_return result;
}

boost::asio::awaitable<std::vector<std::string>> ChatGateway::live_models(const ChatTarget &target) {
    ensure_configured(target);
    const EffectiveConfig config = target.config.effective();
    auto request = target.provider->build_models_request(config);
    if (!request)
        throw GatewayError(ErrorCode::invalid_request,
                           "provider '" + target.provider->id() + "' cannot list models", {},
                           target.provider->id());
    UpstreamResponse response = co_await send_upstream(target, std::move(*request), options_.models_timeouts);
    co_return target.provider->parse_models_response(config, response);
}

}  // namespace sb::core
