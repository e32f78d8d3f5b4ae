#include "core/gateway/chat_gateway.hpp"

#include "core/errors.hpp"
#include "core/gateway/deployment_choice.hpp"
#include "core/gateway/upstream_errors.hpp"
#include "core/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>


#include <boost/json/serialize.hpp>

#include <algorithm>
#include <random>
#include <utility>

namespace sb::core {

ChatGateway::ChatGateway(ProviderRegistry &registry, ConfigStore &store, Environment env,
                         UpstreamClient &upstream, GatewayOptions options)
    : registry_(registry), store_(store), env_(std::move(env)), upstream_(upstream), options_(options),
      model_lists_(std::make_unique<ModelListCache>(options.models_ttl, options.models_failure_ttl)),
      active_seen_(active_provider()) {}

std::string ChatGateway::active_provider() const {
    return resolve_active_provider(*registry_.current(), store_.snapshot(), env_);
}

ChatTarget ChatGateway::target(std::string_view provider_id, const ConfigOverrides *overrides) const {
    ChatTarget t;
    t.providers = registry_.current();
    const std::shared_ptr<const StoredConfig> stored = store_.current();
    std::string id = provider_id.empty() ? resolve_active_provider(*t.providers, *stored, env_)
                                         : std::string(provider_id);
    if (id.empty())
        throw GatewayError(ErrorCode::unknown_provider, "no provider plugin is loaded", "provider");
    t.provider = t.providers->find(id);
    if (!t.provider)
        throw GatewayError(ErrorCode::unknown_provider, "unknown provider '" + id + "'", "provider");
    if (overrides) {
        // Applied to this call's copy as a stored change would be: the key
        // binding rule holds for them too.
        StoredConfig changed = *stored;
        apply_config_change(t.provider->info(), changed, env_, *overrides);
        t.config = resolve_provider_config(t.provider->info(), changed, env_);
    } else {
        t.config = resolved_config(t.providers, stored, *t.provider);
    }
    return t;
}

ResolvedProviderConfig ChatGateway::resolved_config(const std::shared_ptr<const ProviderSet> &providers,
                                                    const std::shared_ptr<const StoredConfig> &stored,
                                                    const LoadedProvider &provider) const {
    std::lock_guard lock(resolved_.mutex);
    if (resolved_.providers.lock() != providers || resolved_.stored != stored) {
        resolved_.providers = providers;
        resolved_.stored = stored;
        resolved_.configs.clear();
    }
    for (const auto &[known, config] : resolved_.configs)
        if (known == &provider) return config;
    return resolved_.configs.emplace_back(&provider, resolve_provider_config(provider.info(), *stored, env_)).second;
}

namespace {

// "anthropic, openai, ..." or "none".
std::string loaded_ids(const ProviderSet &providers) {
    std::string ids;
    for (const auto &p : providers.providers) ids += (ids.empty() ? "" : ", ") + p->id();
    return ids.empty() ? "none" : ids;
}

}  // namespace

ChatTarget ChatGateway::route(std::string_view model_field) const {
    if (routes_) {
        auto routes = routes_->current();
        if (const ModelAlias *alias = routes->find(model_field)) {
            std::vector<std::string> seen;
            std::vector<ChatTarget> chain = alias_chain(*routes, *alias, seen);
            ChatTarget primary = std::move(chain.front());
            primary.alias_rest.assign(std::make_move_iterator(chain.begin() + 1), std::make_move_iterator(chain.end()));
            return primary;
        }
    }
    // The client's name stays out of metric labels unless the daemon knows it.
    auto choose = [this](ChatTarget &t, std::string_view model) {
        if (model.empty()) return;
        t.model_known = model == t.config.model.value || listed_model(*t.provider, model);
        t.config.model = {std::string(model), ValueSource::runtime};
    };
    auto slash = model_field.find('/');
    if (slash == std::string_view::npos) {
        ChatTarget t = target({});
        if (std::string owner = catalogue_provider(*t.providers, *t.provider, model_field); !owner.empty())
            t = target(owner);
        choose(t, model_field);
        return t;
    }
    std::string_view provider_id = model_field.substr(0, slash);
    std::string_view model = model_field.substr(slash + 1);
    auto providers = registry_.current();
    if (!providers->find(provider_id))
        throw GatewayError(ErrorCode::unknown_provider,
                           "unknown provider '" + std::string(provider_id) + "' in model '" +
                               std::string(model_field) + "'; loaded providers: " + loaded_ids(*providers) +
                               " (a model name containing '/' needs the provider prefix, e.g. together/" +
                               std::string(model_field) + ")",
                           "model");
    ChatTarget t = target(provider_id);
    choose(t, model);
    return t;
}

std::string ChatGateway::catalogue_provider(const ProviderSet &providers, const LoadedProvider &active,
                                            std::string_view model) const {
    if (model.empty() || listed_model(active, model)) return {};
    for (const auto &p : providers.providers)
        if (listed_model(*p, model)) return p->id();
    return {};
}

ChatTarget ChatGateway::deployment_target(const ModelAlias &alias, const Deployment &deployment) const {
    // The deployment's settings applied as a stored change would be: its key
    // is bound to its base by the one rule (apply_config_change).
    ConfigOverrides overrides;
    overrides.model = deployment.model;
    if (!deployment.api_base.empty()) overrides.api_base = deployment.api_base;
    if (!deployment.api_key.empty()) overrides.api_key = deployment.api_key;
    ChatTarget t = target(deployment.provider, &overrides);
    t.model_known = true;  // the operator named it
    t.deployment = RoutedDeployment{deployment.label, DeploymentCooldowns::key(alias, deployment), alias.cooldown};
    return t;
}

std::vector<ChatTarget> ChatGateway::alias_chain(const RoutesFile &routes, const ModelAlias &alias,
                                                 std::vector<std::string> &seen) const {
    seen.push_back(alias.name);
    thread_local std::mt19937_64 rng(std::random_device{}());
    std::vector<ChatTarget> chain;
    for (std::size_t i : deployment_order(alias, *cooldowns_, DeploymentCooldowns::Clock::now(), rng)) {
        try {
            chain.push_back(deployment_target(alias, alias.deployments[i]));
        } catch (const GatewayError &e) {
            log_event(LogLevel::warn, "deployment_skipped",
                      {{"alias", alias.name}, {"deployment", alias.deployments[i].label}, {"reason", e.what()}});
        }
    }
    for (const auto &entry : alias.fallbacks) {
        if (std::find(seen.begin(), seen.end(), entry) != seen.end()) continue;
        try {
            if (const ModelAlias *next = routes.find(entry)) {
                for (auto &t : alias_chain(routes, *next, seen)) chain.push_back(std::move(t));
                continue;
            }
            ChatTarget t = route(entry);
            t.model_known = true;  // the operator named it
            chain.push_back(std::move(t));
        } catch (const GatewayError &e) {
            log_event(LogLevel::warn, "fallback_entry_ignored",
                      {{"alias", alias.name}, {"entry", entry}, {"reason", e.what()}});
        }
    }
    if (chain.empty() && seen.size() == 1)
        throw GatewayError(ErrorCode::unknown_provider,
                           "model alias '" + alias.name + "' has no deployment or fallback whose provider is loaded",
                           "model");
    return chain;
}

void ChatGateway::providers_changed(const ReloadSummary &summary) {
    const std::string now = active_provider();
    std::lock_guard lock(active_mutex_);
    const std::string was = std::exchange(active_seen_, now);
    if (std::find(summary.removed.begin(), summary.removed.end(), was) != summary.removed.end())
        log_event(LogLevel::warn, "active_provider_removed",
                  {{"provider", was},
                   {"now_active", now.empty() ? "none" : now},
                   {"effect", now.empty() ? "requests without a provider prefix or alias fail until a plugin is added"
                                          : "requests without a provider prefix or alias go to the new active "
                                            "provider (docs/routing.md)"}});
    else if (was != now)
        log_event(LogLevel::info, "active_provider_changed", {{"from", was}, {"to", now}});
}

bool ChatGateway::listed_model(const LoadedProvider &provider, std::string_view model) const {
    const auto &info = provider.info();
    if (model == info.default_model) return true;
    for (const auto &known : info.known_models)
        if (known == model) return true;
    return model_lists_->lists(provider.id(), model);
}

void ChatGateway::ensure_configured(const ChatTarget &target) const {
    if (auto missing = missing_configuration(target.provider->info(), target.config))
        throw GatewayError(ErrorCode::provider_not_configured, *missing, {}, target.provider->id());
    const std::string &base = target.config.api_base.value;
    auto refused = *api_base_verdicts_->get(base, [&] { return options_.api_base_policy.refusal(base); });
    if (refused)
        throw GatewayError(ErrorCode::api_base_incorrect, "provider '" + target.provider->id() + "': " + *refused,
                           {}, target.provider->id());
}

namespace {

GatewayError transport_error(const ChatTarget &target, const UpstreamError &e) {
    return transport_error(*target.provider, target.config.api_key.value, e);
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    std::string item;
    for (char c : std::string(text) + ",") {
        if (c == ',') {
            if (!item.empty()) out.push_back(item);
            item.clear();
        } else if (c != ' ' && c != '\t') {
            item += c;
        }
    }
    return out;
}

// Helpers for the coroutines below: the temporaries of building a log line,
// an error or a timer live on the stack of a plain call instead of in the
// coroutine's frame, which a held stream keeps for its whole life.

void log_retry(const ChatTarget &target, const char *cause, const std::string &value, int retry) {
    log_event(LogLevel::info, "upstream_retry",
              {{"provider", target.provider->id()}, {cause, value}, {"retry", std::to_string(retry)}});
}

void log_fallback(const ChatTarget &from, const ChatTarget &to, const GatewayError &e) {
    log_event(LogLevel::warn, "fallback",
              {{"from", from.provider->id()}, {"to", to.provider->id()}, {"reason", error_code_name(e.code())}});
}

boost::asio::awaitable<void> back_off(std::chrono::milliseconds delay) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
    co_await timer.async_wait(boost::asio::use_awaitable);
}

GatewayError vendor_status_error(const ChatTarget &target, int status) {
    const std::string &id = target.provider->id();
    return GatewayError(ErrorCode::upstream_error, "provider '" + id + "' answered HTTP " + std::to_string(status), {},
                        id);
}

// A relayed body with every copy of the key taken out, and nothing else
// touched: the vendor's JSON stays the vendor's (redact_secret's looser
// matching would cut into words that share a run with the key).
std::string without_key(std::string body, std::string_view key) {
    if (key.size() < 8) return body;
    for (auto at = body.find(key); at != std::string::npos; at = body.find(key, at))
        body.replace(at, key.size(), "[redacted]");
    return body;
}

// A stream's vendor request and translator, built from the client's request.
struct PreparedStream {
    EffectiveConfig config;
    UpstreamRequest request;
    std::unique_ptr<ProviderStream> translator;
};

PreparedStream prepare_stream(const ChatGateway &gateway, const ChatTarget &target, boost::json::object request) {
    gateway.ensure_configured(target);
    PreparedStream prepared{target.config.effective(), {}, {}};
    request["model"] = prepared.config.model;
    request["stream"] = true;
    const std::string body = boost::json::serialize(request);
    prepared.request = target.provider->build_chat_request(prepared.config, body, true);
    prepared.translator = target.provider->open_stream(prepared.config, body);
    return prepared;
}

// The rest of a vendor's answer; transport failures become GatewayErrors.
boost::asio::awaitable<UpstreamResponse> read_answer(const ChatTarget &target, UpstreamBody body,
                                                     RequestContext *context) {
    const auto started = RequestContext::Clock::now();
    try {
        UpstreamResponse response = co_await body.read_all();
        if (context) context->upstream_wait += RequestContext::Clock::now() - started;
        co_return response;
    } catch (const UpstreamError &e) {
        throw transport_error(target, e);
    }
}

}  // namespace

boost::asio::awaitable<UpstreamResponse> ChatGateway::send_upstream(const ChatTarget &target,
                                                                    UpstreamRequest request,
                                                                    UpstreamTimeouts timeouts) {
    try {
        co_return co_await upstream_.send(std::move(request), timeouts);
    } catch (const UpstreamError &e) {
        throw transport_error(target, e);
    }
}

void ChatGateway::cool_down(const ChatTarget &target, int status,
                            std::optional<std::chrono::milliseconds> retry_after) {
    const auto rest = cooldowns_->cool_down(target.deployment->cooldown_key, DeploymentCooldowns::Clock::now(),
                                            retry_after, target.deployment->cooldown);
    log_event(LogLevel::warn, "deployment_cooled_down",
              {{"deployment", target.deployment->label},
               {"provider", target.provider->id()},
               {"status", status ? std::to_string(status) : "connect_failed"},
               {"rest_ms", std::to_string(rest.count())},
               {"retry_after", retry_after ? "true" : "false"}});
}

boost::asio::awaitable<UpstreamBody> ChatGateway::open_with_retries(const ChatTarget &target,
                                                                    const UpstreamRequest &request,
                                                                    UpstreamTimeouts timeouts,
                                                                    RequestContext *context) {
    RetrySchedule schedule(options_.retry);
    for (;;) {
        std::optional<std::chrono::milliseconds> delay;
        const auto started = RequestContext::Clock::now();
        if (context) ++context->attempts;
        try {
            UpstreamBody body = co_await upstream_.open(request, timeouts);
            if (context) context->upstream_wait += RequestContext::Clock::now() - started;
            const int status = body.head().status;
            const auto asked = retry_after(body.head().headers);
            if (target.deployment && (status == 429 || status >= 500)) {
                cool_down(target, status, asked);
                if (target.has_next) co_return body;  // the chain's next target serves it now
            }
            delay = schedule.after_answer(status, asked);
            if (!delay) co_return body;
            log_retry(target, "status", std::to_string(body.head().status), schedule.retries());
            const auto dropping = RequestContext::Clock::now();
            co_await body.read_all();  // dropped, so the connection can be kept
            if (context) context->upstream_wait += RequestContext::Clock::now() - dropping;
        } catch (const UpstreamError &e) {
            if (!delay) {  // opening failed (a dropped answer that fails to read changes nothing)
                if (context) context->upstream_wait += RequestContext::Clock::now() - started;
                const bool connect = e.failure() == UpstreamFailure::connect;
                if (connect && target.deployment) cool_down(target, 0, std::nullopt);
                if (connect && !(target.deployment && target.has_next)) delay = schedule.after_connect_failure();
                if (!delay) throw transport_error(target, e);
                log_retry(target, "failure", "connect", schedule.retries());
            }
        }
        const auto sleeping = RequestContext::Clock::now();
        co_await back_off(*delay);
        if (context) context->retry_wait += RequestContext::Clock::now() - sleeping;
    }
}

std::vector<ChatTarget> ChatGateway::with_fallbacks(ChatTarget primary) const {
    std::vector<ChatTarget> chain;
    // Adds next unless the chain has it already.
    auto add_one = [&chain](ChatTarget next) {
        bool repeat = false;
        for (auto &known : chain) {
            if (known.provider != next.provider || known.config.model.value != next.config.model.value ||
                known.config.api_base.value != next.config.api_base.value ||
                known.config.api_key.value != next.config.api_key.value)
                continue;
            repeat = true;
            known.model_known = known.model_known || next.model_known;
        }
        if (!repeat) chain.push_back(std::move(next));
    };
    // Adds t, then what its alias brings.
    auto add = [&add_one](ChatTarget t) {
        std::vector<ChatTarget> rest = std::move(t.alias_rest);
        t.alias_rest.clear();
        add_one(std::move(t));
        for (auto &next : rest) add_one(std::move(next));
    };
    add(std::move(primary));
    const std::shared_ptr<const StoredConfig> stored = store_.current();
    std::vector<std::string> entries = stored->fallback;
    if (entries.empty()) entries = split_list(env_.get("SWITCHBOARD_FALLBACK"));
    for (const auto &entry : entries) {
        try {
            ChatTarget next = route(entry);
            next.model_known = true;  // the operator named it
            add(std::move(next));
        } catch (const GatewayError &e) {
            log_event(LogLevel::warn, "fallback_entry_ignored", {{"entry", entry}, {"reason", e.what()}});
        }
    }
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) chain[i].has_next = true;
    return chain;
}

template <class Result, class Attempt>
boost::asio::awaitable<Result> ChatGateway::along_chain(std::vector<ChatTarget> chain, boost::json::object request,
                                                        RequestContext &context, Attempt attempt) {
    for (std::size_t i = 0;; ++i) {
        context.provider = chain[i].provider->id();
        context.model = chain[i].config.model.value;
        context.model_known = chain[i].model_known;
        context.deployment = chain[i].deployment ? chain[i].deployment->label : std::string();
        context.fallbacks = static_cast<int>(i);
        try {
            // The last target takes the request itself: no copy to make.
            // (Named, not a conditional inside co_await: GCC 12 destroys
            // such a temporary twice.)
            boost::json::object body = i + 1 == chain.size() ? std::move(request) : boost::json::object(request);
            co_return co_await attempt(chain[i], std::move(body));
        } catch (const GatewayError &e) {
            if (i + 1 >= chain.size() || !worth_falling_back(e)) throw;
            log_fallback(chain[i], chain[i + 1], e);
        }
    }
}

boost::asio::awaitable<ChatResult> ChatGateway::complete_chain(std::vector<ChatTarget> chain,
                                                               boost::json::object request,
                                                               UpstreamTimeouts timeouts, RequestContext &context) {
    return along_chain<ChatResult>(std::move(chain), std::move(request), context,
                                   [this, timeouts, &context](const ChatTarget &target, boost::json::object body) {
                                       return complete(target, std::move(body), timeouts, &context);
                                   });
}

boost::asio::awaitable<std::unique_ptr<ChatStream>> ChatGateway::open_stream_chain(std::vector<ChatTarget> chain,
                                                                                   boost::json::object request,
                                                                                   const EncoderFactory &make_encoder,
                                                                                   UpstreamTimeouts timeouts,
                                                                                   RequestContext &context) {
    context.streamed = true;
    return along_chain<std::unique_ptr<ChatStream>>(
        std::move(chain), std::move(request), context,
        [this, &make_encoder, timeouts, &context](const ChatTarget &target, boost::json::object body) {
            return open_stream(target, std::move(body), make_encoder(), timeouts, context);
        });
}

boost::asio::awaitable<std::unique_ptr<ChatStream>> ChatGateway::open_stream(const ChatTarget &target,
                                                                             boost::json::object request,
                                                                             EncoderRef encoder,
                                                                             UpstreamTimeouts timeouts,
                                                                             RequestContext &context) {
    // A stream may be held for minutes: it keeps neither the client's
    // request nor the vendor request, only the translator and the body.
    PreparedStream prepared = prepare_stream(*this, target, std::move(request));
    UpstreamBody body = co_await open_with_retries(target, prepared.request, timeouts, &context);
    if (const int status = body.head().status; status < 200 || status >= 300) {
        // The vendor's error answer becomes a plain error.
        const UpstreamResponse response = co_await read_answer(target, std::move(body), &context);
        target.provider->parse_chat_response(prepared.config, response);
        throw vendor_status_error(target, response.status);
    }
    body.drop_headers();
    auto stream = std::make_unique<ChatStream>(target.providers, target.provider, target.config.api_key.value,
                                               std::move(prepared.translator), std::move(body), std::move(encoder), context);
    prepared = {};
    co_await stream->start();
    co_return stream;
}

boost::asio::awaitable<ChatResult> ChatGateway::complete(const ChatTarget &target,
                                                         boost::json::object request,
                                                         UpstreamTimeouts timeouts, RequestContext *context) {
    ensure_configured(target);
    const EffectiveConfig config = target.config.effective();
    request["model"] = config.model;
    request.erase("stream");
    request.erase("stream_options");
    std::string body = boost::json::serialize(request);
    UpstreamRequest upstream_request = target.provider->build_chat_request(config, body, false);
    request = {};
    std::string().swap(body);
    UpstreamBody answer = co_await open_with_retries(target, upstream_request, timeouts, context);
    UpstreamResponse response = co_await read_answer(target, std::move(answer), context);
    ChatResult result;
    TokenUsage usage;
    result.body_json = target.provider->parse_chat_response(config, response, &usage);
    if (context) count_usage(usage, *context);
    co_return result;
}

boost::asio::awaitable<NativeAnswer> ChatGateway::relay_native(const ChatTarget &target, const NativeCall &call,
                                                                std::unique_ptr<NativeWatcher> watcher,
                                                                UpstreamTimeouts timeouts, RequestContext &context) {
    ensure_configured(target);
    context.native = true;
    context.streamed = call.stream;
    context.provider = target.provider->id();
    context.model = target.config.model.value;
    context.model_known = target.model_known;
    context.deployment = target.deployment ? target.deployment->label : std::string();
    const EffectiveConfig config = target.config.effective();
    UpstreamRequest request = target.provider->build_native_request(config, call);
    UpstreamBody body = co_await open_with_retries(target, request, timeouts, &context);
    request = {};
    NativeAnswer answer;
    answer.status = body.head().status;
    answer.headers = body.head().headers;
    if (call.stream && answer.status >= 200 && answer.status < 300) {
        body.drop_headers();
        auto stream = std::make_unique<NativeStream>(target.providers, target.provider, config.api_key,
                                                     std::move(body), std::move(watcher), context);
        co_await stream->start();
        answer.stream = std::move(stream);
        co_return answer;
    }
    UpstreamResponse response = co_await read_answer(target, std::move(body), &context);
    if (answer.status >= 200 && answer.status < 300) {
        TokenUsage usage;
        watcher->answer(response.body, usage);
        count_usage(usage, context);
        answer.body = std::move(response.body);
    } else {
        // The vendor's own error, already in the client's dialect; a key it
        // echoes does not reach the client.
        answer.body = without_key(std::move(response.body), config.api_key);
    }
    co_return answer;
}

boost::asio::awaitable<UpstreamResponse> ChatGateway::exchange(const ChatTarget &target,
                                                               const UpstreamRequest &request,
                                                               UpstreamTimeouts timeouts, RequestContext *context) {
    UpstreamBody answer = co_await open_with_retries(target, request, timeouts, context);
    co_return co_await read_answer(target, std::move(answer), context);
}

boost::asio::awaitable<std::vector<std::string>> ChatGateway::live_models(const ChatTarget &target,
                                                                          RequestContext *context) {
    ensure_configured(target);
    const EffectiveConfig config = target.config.effective();
    // The list depends on where it is asked and with which key (and on the
    // plugin that asks): another of these is another list.
    const std::size_t version =
        std::hash<std::string>{}(target.config.api_base.value + '\n' + target.config.api_key.value) ^
        std::hash<const void *>{}(target.provider.get());
    const ModelListCache::Fetch fetch = [&]() -> boost::asio::awaitable<std::vector<std::string>> {
        auto request = target.provider->build_models_request(config);
        if (!request)
            throw GatewayError(ErrorCode::invalid_request,
                               "provider '" + target.provider->id() + "' cannot list models", {},
                               target.provider->id());
        UpstreamResponse response = co_await send_upstream(target, std::move(*request), options_.models_timeouts);
        co_return target.provider->parse_models_response(config, response);
    };
    // Waiting for another caller's fetch is waiting on the vendor too.
    struct UpstreamWait {
        RequestContext *context;
        RequestContext::Clock::time_point started = RequestContext::Clock::now();
        ~UpstreamWait() {
            if (context) context->upstream_wait += RequestContext::Clock::now() - started;
        }
    } wait{context};
    std::vector<std::string> models = co_await model_lists_->get(target.provider->id(), version, fetch);
    co_return models;
}

}  // namespace sb::core
