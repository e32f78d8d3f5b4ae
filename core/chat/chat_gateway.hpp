#pragma once
// The path every chat takes, shared by /v1/chat/completions and the admin
// /test: pick the provider and its effective config, check it can serve,
// translate, send upstream (retrying connect errors, 429 and 5xx with
// backoff, and falling back along the configured chain, only while nothing
// has reached the client), translate back.
#include "core/bounded_memo.hpp"
#include "core/config/api_base_policy.hpp"
#include "core/chat/model_list_cache.hpp"
#include "core/chat/request_context.hpp"
#include "core/config/config_resolver.hpp"
#include "core/errors.hpp"
#include "core/http/event_deframer.hpp"
#include "core/http/upstream_client.hpp"
#include "core/plugin/provider_registry.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

// Values given for one call (the /test body) that override the stored ones.
struct ConfigOverrides {
    std::optional<std::string> api_key;
    std::optional<std::string> api_base;
    std::optional<std::string> model;
};

// Everything one call needs, held for its whole duration.
struct ChatTarget {
    std::shared_ptr<const ProviderSet> providers;  // keeps the libraries loaded
    std::shared_ptr<const Provider> provider;
    ResolvedProviderConfig config;
    // config.model is one the daemon knows (see RequestContext::model_known),
    // not a name only the client gave.
    bool model_known = true;
};

struct ChatResult {
    std::string body_json;  // unified chat.completion
    std::chrono::microseconds upstream_time{0};
};

// A chat stream whose vendor head (and first events) have arrived: hands
// out the client's OpenAI SSE bytes (`data: {chunk}` ... `data: [DONE]`) as
// the vendor produces them. It is a plain object, so a held stream keeps no
// chain of coroutine frames, only what the next event needs.
class ChatStream {
public:
    ~ChatStream();
    ChatStream(const ChatStream &) = delete;
    ChatStream &operator=(const ChatStream &) = delete;

    // Appends the next SSE bytes to out, waiting for the vendor as needed;
    // false once everything, `data: [DONE]` last, has been handed out. A
    // failure from here on becomes an error event before the end: nothing
    // is thrown but a cancellation of the wait.
    boost::asio::awaitable<bool> next(std::string &out);
    // Waits until next() has something to work on, holding as little as a
    // wait can (see UpstreamBody::wait): thousands of streams may wait at
    // once. Completes at once when there is no such wait to make.
    boost::asio::awaitable<std::size_t> wait();

private:
    friend class ChatGateway;
    ChatStream(const ChatTarget &target, std::unique_ptr<ProviderStream> translator,
               UpstreamBody body, RequestContext *context);
    void take(std::string_view piece);
    void end_of_body();
    bool on_event(std::string_view event, std::string_view data);
    void on_chunk(std::string_view json);
    void fail(GatewayError e);

    std::shared_ptr<const ProviderSet> providers_;  // keeps the plugin loaded
    std::shared_ptr<const Provider> provider_;
    std::string api_key_;  // redacted from error messages
    std::unique_ptr<ProviderStream> translator_;
    UpstreamBody body_;  // none once the body has ended
    EventDeframer deframer_;
    std::string pending_;
    RequestContext *context_;
    std::size_t events_seen_ = 0;
    bool vendor_ended_ = false;  // the vendor signalled the end
    bool finished_ = false;      // `data: [DONE]` is in pending_
    bool handed_out_ = false;    // the client may have seen bytes: fail() no longer throws
};

struct RetryPolicy {
    int max_retries = 2;                                  // after the first attempt
    std::chrono::milliseconds base_backoff{200};          // doubled per retry, full jitter
    std::chrono::milliseconds max_backoff{5'000};
    std::chrono::milliseconds budget{10'000};             // total time spent waiting to retry
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

    ProviderRegistry &registry() noexcept { return registry_; }
    ConfigStore &store() noexcept { return store_; }
    const Environment &environment() const noexcept { return env_; }
    const GatewayOptions &options() const noexcept { return options_; }

    std::string active_provider() const;

    // provider_id empty = the active provider. Throws unknown_provider.
    ChatTarget target(std::string_view provider_id, const ConfigOverrides *overrides = nullptr) const;

    // Routing of an OpenAI "model" field: "provider/model" picks a loaded
    // provider; a bare name (or none) goes to the active provider. Throws
    // unknown_provider when the prefix names no loaded provider. Says
    // whether the model is one the daemon knows (ChatTarget::model_known).
    ChatTarget route(std::string_view model_field) const;

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
                                                                          UpstreamTimeouts timeouts,
                                                                          RequestContext &context);

    // Starts a chat as a stream: sends it (retrying as complete() does) and
    // reads until the first SSE bytes for the client are ready. Throws
    // GatewayError until then; afterwards the ChatStream reports failures
    // in the stream. context, when given, must outlive the ChatStream.
    boost::asio::awaitable<std::unique_ptr<ChatStream>> open_stream(const ChatTarget &target,
                                                                    boost::json::object request,
                                                                    UpstreamTimeouts timeouts,
                                                                    RequestContext *context = nullptr);

    // The vendor's live model list, kept per provider for options().models_ttl
    // (one vendor call in flight per provider; see ModelListCache). Time
    // spent on it counts as context's upstream wait. Throws GatewayError.
    boost::asio::awaitable<std::vector<std::string>> live_models(const ChatTarget &target,
                                                                 RequestContext *context = nullptr);
    // Drops the model list kept for provider: its config changed.
    void forget_models(std::string_view provider) { model_lists_->forget(provider); }

    // Sends a request built by a plugin; maps transport failures to
    // GatewayErrors naming the provider.
    boost::asio::awaitable<UpstreamResponse> send_upstream(const ChatTarget &target,
                                                           UpstreamRequest request,
                                                           UpstreamTimeouts timeouts);

private:
    // Opens a request, retrying connect errors, 429 and 5xx with backoff;
    // returns the final answer (any status) with its body unread. Throws
    // GatewayError.
    boost::asio::awaitable<UpstreamBody> open_with_retries(const ChatTarget &target, const UpstreamRequest &request,
                                                           UpstreamTimeouts timeouts, RequestContext *context);
    // How long to wait before retry number `retry` (1-based) after response
    // (or a transport failure when response is null); nullopt = do not retry.
    std::optional<std::chrono::milliseconds> retry_delay(int retry, const UpstreamResponse *response,
                                                         std::chrono::milliseconds waited) const;
    // Whether model is in provider's own list or the vendor's last one.
    bool listed_model(const Provider &provider, std::string_view model) const;

    ProviderRegistry &registry_;
    ConfigStore &store_;
    Environment env_;
    UpstreamClient &upstream_;
    GatewayOptions options_;
    // The policy's verdict on a base, parsed once rather than per request.
    std::unique_ptr<BoundedMemo<std::optional<std::string>>> api_base_verdicts_ =
        std::make_unique<BoundedMemo<std::optional<std::string>>>();
    std::unique_ptr<ModelListCache> model_lists_;
};

}  // namespace sb::core
