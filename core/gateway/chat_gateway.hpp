#pragma once
// The path every chat takes, shared by /v1/chat/completions and the admin
// /test: pick the provider and its effective config, check it can serve,
// translate, send upstream (retrying connect errors, 429 and 5xx with
// backoff, and falling back along the configured chain, only while nothing
// has reached the client), translate back.
#include "core/bounded_memo.hpp"
#include "core/config/api_base_policy.hpp"
#include "core/config/config_resolver.hpp"
#include "core/config/routes_source.hpp"
#include "core/errors.hpp"
#include "core/gateway/chat_stream.hpp"
#include "core/gateway/deployment_cooldowns.hpp"
#include "core/gateway/model_list_cache.hpp"
#include "core/gateway/native_relay.hpp"
#include "core/gateway/request_context.hpp"
#include "core/gateway/retry.hpp"
#include "core/plugin/provider_registry.hpp"
#include "core/upstream/upstream_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

// Which deployment of an alias a target is.
struct RoutedDeployment {
    std::string label;         // x-switchboard-deployment, the access log's deployment=
    std::string cooldown_key;  // see DeploymentCooldowns::key
    std::chrono::milliseconds cooldown{0};
};

// Everything one call needs, held for its whole duration.
struct ChatTarget {
    std::shared_ptr<const ProviderSet> providers;  // keeps the libraries loaded
    std::shared_ptr<const LoadedProvider> provider;
    ResolvedProviderConfig config;
    // config.model is one the daemon knows (see RequestContext::model_known),
    // not a name only the client gave.
    bool model_known = true;
    // Set when the target is a deployment of an alias of the routes file.
    std::optional<RoutedDeployment> deployment;
    // Another target follows in the chain: a deployment that answers 429 or
    // 5xx rests and hands over at once instead of being retried.
    bool has_next = false;
    // route() of an alias: the rest of its chain (its other deployments,
    // then its fallbacks), which with_fallbacks() puts after this target.
    std::vector<ChatTarget> alias_rest;
};

struct ChatResult {
    std::string body_json;  // unified chat.completion
};

struct GatewayOptions {
    ApiBasePolicy api_base_policy;
    RetryPolicy retry;
    UpstreamTimeouts chat_timeouts;
    // read = the longest silence between stream events; total = a whole stream.
    UpstreamTimeouts stream_timeouts{std::chrono::milliseconds(10'000), std::chrono::milliseconds(120'000),
                                     std::chrono::milliseconds(1'800'000)};
    UpstreamTimeouts test_timeouts{std::chrono::milliseconds(10'000), std::chrono::milliseconds(30'000),
                                   std::chrono::milliseconds(30'000)};
    UpstreamTimeouts models_timeouts{std::chrono::milliseconds(5'000), std::chrono::milliseconds(10'000),
                                     std::chrono::milliseconds(10'000)};
    // How long a vendor's model list (or its failure to give one) is kept.
    std::chrono::milliseconds models_ttl{300'000};
    std::chrono::milliseconds models_failure_ttl{15'000};
};

class ChatGateway {
public:
    ChatGateway(ProviderRegistry &registry, ConfigStore &store, Environment env,
                UpstreamClient &upstream, GatewayOptions options);

    const GatewayOptions &options() const noexcept { return options_; }

    std::string active_provider() const;

    // provider_id empty = the active provider. Throws unknown_provider.
    ChatTarget target(std::string_view provider_id, const ConfigOverrides *overrides = nullptr) const;

    // The aliases of the routes file (--config); none until called.
    // routes must outlive the gateway.
    void use_routes(const RoutesSource &routes) { routes_ = &routes; }

    // Routing of an OpenAI "model" field (docs/routing.md): an alias of the
    // routes file picks one of its deployments (the others and its fallbacks
    // follow in alias_rest); "provider/model" picks a loaded provider; a
    // bare name goes to the provider whose catalogue lists it (the active
    // one first), else to the active provider. Throws unknown_provider when
    // the prefix names no loaded provider, or no deployment of the alias has
    // its provider loaded. Says whether the model is one the daemon knows
    // (ChatTarget::model_known).
    ChatTarget route(std::string_view model_field) const;

    // After a plugin reload: warns when the provider that was active is gone
    // and says which one serves bare model names now.
    void providers_changed(const ReloadSummary &summary);

    // Throws provider_not_configured when the target cannot serve.
    void ensure_configured(const ChatTarget &target) const;

    // Throws GatewayError (classified, key redacted, provider named).
    boost::asio::awaitable<ChatResult> complete(const ChatTarget &target, boost::json::object request,
                                                UpstreamTimeouts timeouts, RequestContext *context = nullptr);

    // The primary target, then the fallback chain (runtime config over
    // SWITCHBOARD_FALLBACK), without repeats.
    std::vector<ChatTarget> with_fallbacks(ChatTarget primary) const;
    // complete() along a chain: the next target is tried when one fails
    // with an error another provider might not have.
    boost::asio::awaitable<ChatResult> complete_chain(std::vector<ChatTarget> chain, boost::json::object request,
                                                      UpstreamTimeouts timeouts, RequestContext &context);
    // open_stream() along a chain (the next target while nothing is out).
    boost::asio::awaitable<std::unique_ptr<ChatStream>> open_stream_chain(std::vector<ChatTarget> chain,
                                                                          boost::json::object request,
                                                                          const EncoderFactory &make_encoder,
                                                                          UpstreamTimeouts timeouts,
                                                                          RequestContext &context);

    // Starts a chat as a stream: sends it (retrying as complete() does) and
    // reads until the client's first bytes, written by its encoder, are ready.
    // Throws GatewayError until then; afterwards the ChatStream reports
    // failures in the stream. context must outlive the ChatStream.
    boost::asio::awaitable<std::unique_ptr<ChatStream>> open_stream(const ChatTarget &target,
                                                                    boost::json::object request,
                                                                    EncoderRef encoder,
                                                                    UpstreamTimeouts timeouts,
                                                                    RequestContext &context);

    // Sends call to target as the client wrote it (sb.native/1), retrying
    // as complete() does, and returns the vendor's answer, any status (an
    // error status with its body whole, the API key redacted). Throws
    // GatewayError for transport failures and what the plugin refuses.
    boost::asio::awaitable<NativeAnswer> relay_native(const ChatTarget &target, const NativeCall &call,
                                                      std::unique_ptr<NativeWatcher> watcher,
                                                      UpstreamTimeouts timeouts, RequestContext &context);

    // Sends a request the target's plugin built for something other than a
    // chat (embeddings), retrying as complete() does, and reads the whole
    // answer, any status. Throws GatewayError on transport failures.
    boost::asio::awaitable<UpstreamResponse> exchange(const ChatTarget &target, const UpstreamRequest &request,
                                                      UpstreamTimeouts timeouts, RequestContext *context);

    // The vendor's live model list, kept per provider for options().models_ttl
    // (one vendor call in flight per provider; see ModelListCache). Time
    // spent on it counts as context's upstream wait. Throws GatewayError.
    boost::asio::awaitable<std::vector<std::string>> live_models(const ChatTarget &target,
                                                                 RequestContext *context = nullptr);
    // Drops the model list kept for provider: its config changed.
    void forget_models(std::string_view provider) { model_lists_->forget(provider); }

private:
    // Sends a request built by a plugin; maps transport failures to
    // GatewayErrors naming the provider.
    boost::asio::awaitable<UpstreamResponse> send_upstream(const ChatTarget &target,
                                                           UpstreamRequest request,
                                                           UpstreamTimeouts timeouts);
    // Opens a request, retrying connect errors, 429 and 5xx with backoff;
    // returns the final answer (any status) with its body unread. Throws
    // GatewayError.
    boost::asio::awaitable<UpstreamBody> open_with_retries(const ChatTarget &target, const UpstreamRequest &request,
                                                           UpstreamTimeouts timeouts, RequestContext *context);
    // Runs attempt(target, body) along a chain until one succeeds, falling
    // back on failures worth it (see worth_falling_back).
    template <class Result, class Attempt>
    boost::asio::awaitable<Result> along_chain(std::vector<ChatTarget> chain, boost::json::object request,
                                               RequestContext &context, Attempt attempt);
    // Whether model is in provider's own list or the vendor's last one.
    bool listed_model(const LoadedProvider &provider, std::string_view model) const;
    // The provider whose catalogue (listed_model) has model, the active one
    // first; empty for the active provider.
    std::string catalogue_provider(const ProviderSet &providers, const LoadedProvider &active,
                                   std::string_view model) const;
    // The targets of alias: its deployments in the order to try, then its
    // fallbacks (aliases expanded once each, as seen records).
    std::vector<ChatTarget> alias_chain(const RoutesFile &routes, const ModelAlias &alias,
                                        std::vector<std::string> &seen) const;
    ChatTarget deployment_target(const ModelAlias &alias, const Deployment &deployment) const;
    // A deployment answered status (or did not connect: status 0): it rests.
    void cool_down(const ChatTarget &target, int status, std::optional<std::chrono::milliseconds> retry_after);

    ProviderRegistry &registry_;
    ConfigStore &store_;
    Environment env_;
    UpstreamClient &upstream_;
    GatewayOptions options_;
    // The policy's verdict on a base, parsed once rather than per request.
    std::unique_ptr<BoundedMemo<std::optional<std::string>>> api_base_verdicts_ =
        std::make_unique<BoundedMemo<std::optional<std::string>>>();
    std::unique_ptr<ModelListCache> model_lists_;
    const RoutesSource *routes_ = nullptr;
    std::unique_ptr<DeploymentCooldowns> cooldowns_ = std::make_unique<DeploymentCooldowns>();
    // The active provider last seen, to say when its plugin goes away.
    std::mutex active_mutex_;
    std::string active_seen_;

    // Each provider's resolved config (environment lookups and string
    // copies), kept while the provider set and the stored config are the
    // snapshots it was resolved from: both are replaced whole on a change,
    // and the environment is read once, at start-up. The set is not kept
    // alive (its libraries unload when the registry lets it go).
    struct ResolvedConfigs {
        std::mutex mutex;
        std::weak_ptr<const ProviderSet> providers;
        std::shared_ptr<const StoredConfig> stored;
        std::vector<std::pair<const LoadedProvider *, ResolvedProviderConfig>> configs;
    };
    ResolvedProviderConfig resolved_config(const std::shared_ptr<const ProviderSet> &providers,
                                           const std::shared_ptr<const StoredConfig> &stored,
                                           const LoadedProvider &provider) const;
    mutable ResolvedConfigs resolved_;
};

}  // namespace sb::core
