#include "core/chat/chat_gateway.hpp"

#include "core/errors.hpp"
#include "core/http/event_deframer.hpp"
#include "core/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <random>
#include <strings.h>

#include <boost/json/serialize.hpp>

namespace sb::core {

ChatGateway::ChatGateway(ProviderRegistry &registry, ConfigStore &store, Environment env,
                         UpstreamClient &upstream, GatewayOptions options)
    : registry_(registry), store_(store), env_(std::move(env)), upstream_(upstream), options_(options),
      model_lists_(std::make_unique<ModelListCache>(options.models_ttl, options.models_failure_ttl)) {}

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
    // The client's name stays out of metric labels unless the daemon knows it.
    auto choose = [this](ChatTarget &t, std::string_view model) {
        if (model.empty()) return;
        t.model_known = model == t.config.model.value || listed_model(*t.provider, model);
        t.config.model = {std::string(model), ValueSource::runtime};
    };
    auto slash = model_field.find('/');
    if (slash == std::string_view::npos) {
        ChatTarget t = target({});
        choose(t, model_field);
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
    choose(t, model);
    return t;
}

bool ChatGateway::listed_model(const Provider &provider, std::string_view model) const {
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

// The one place a transport failure becomes a GatewayError.
GatewayError transport_error(const Provider &provider, const std::string &api_key, const UpstreamError &e) {
    ErrorCode code = ErrorCode::network_error;
    switch (e.failure()) {
        case UpstreamFailure::timeout: code = ErrorCode::timeout; break;
        case UpstreamFailure::protocol: code = ErrorCode::api_base_incorrect; break;
        case UpstreamFailure::truncated: code = ErrorCode::network_error; break;
        case UpstreamFailure::too_large: code = ErrorCode::upstream_error; break;
        case UpstreamFailure::invalid_url: code = ErrorCode::api_base_incorrect; break;
        default: code = ErrorCode::network_error; break;
    }
    const std::string &id = provider.id();
    return GatewayError(code, "provider '" + id + "': " + redact_secret(e.what(), api_key), {}, id);
}

GatewayError transport_error(const ChatTarget &target, const UpstreamError &e) {
    return transport_error(*target.provider, target.config.api_key.value, e);
}

// Retry-After in seconds (HTTP dates are rare from APIs and are ignored).
std::optional<std::chrono::milliseconds> retry_after(const UpstreamResponse &response) {
    for (const auto &[name, value] : response.headers) {
        if (name.size() != 11 || strncasecmp(name.c_str(), "retry-after", 11) != 0) continue;
        double seconds = -1;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec == std::errc() && seconds >= 0) return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    }
    return std::nullopt;
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

StreamFraming framing_of(const Provider &provider) {
    return provider.info().stream_framing == SB_FRAMING_NDJSON ? StreamFraming::ndjson : StreamFraming::sse;
}

void append_sse(std::string &out, std::string_view json) {
    out += "data: ";
    out += json;
    out += "\n\n";
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

GatewayError no_events_error(const Provider &provider) {
    return GatewayError(ErrorCode::api_base_incorrect,
                        "provider '" + provider.id() +
                            "': the upstream answered the streaming request without any stream events");
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

std::optional<std::chrono::milliseconds> ChatGateway::retry_delay(int retry, const UpstreamResponse *response,
                                                                  std::chrono::milliseconds waited) const {
    const RetryPolicy &policy = options_.retry;
    if (retry > policy.max_retries) return std::nullopt;
    if (response && response->status != 429 && response->status < 500) return std::nullopt;
    std::chrono::milliseconds delay;
    std::optional<std::chrono::milliseconds> asked = response ? retry_after(*response) : std::nullopt;
    if (asked) {
        delay = *asked;
    } else {
        auto ceiling = std::min(policy.max_backoff, policy.base_backoff * (1 << std::min(retry - 1, 16)));
        thread_local std::mt19937 rng(std::random_device{}());
        delay = std::chrono::milliseconds(std::uniform_int_distribution<long>(ceiling.count() / 2, ceiling.count())(rng));
    }
    if (waited + delay > policy.budget) return std::nullopt;  // a vendor asking for longer gets its error through
    return delay;
}

boost::asio::awaitable<UpstreamBody> ChatGateway::open_with_retries(const ChatTarget &target,
                                                                    const UpstreamRequest &request,
                                                                    UpstreamTimeouts timeouts,
                                                                    RequestContext *context) {
    std::chrono::milliseconds waited{0};
    for (int retry = 1;; ++retry) {
        std::optional<std::chrono::milliseconds> delay;
        const auto started = RequestContext::Clock::now();
        if (context) ++context->attempts;
        try {
            UpstreamBody body = co_await upstream_.open(request, timeouts);
            if (context) context->upstream_wait += RequestContext::Clock::now() - started;
            delay = retry_delay(retry, &body.head(), waited);
            if (!delay) co_return body;
            log_retry(target, "status", std::to_string(body.head().status), retry);
            const auto dropping = RequestContext::Clock::now();
            co_await body.read_all();  // dropped, so the connection can be kept
            if (context) context->upstream_wait += RequestContext::Clock::now() - dropping;
        } catch (const UpstreamError &e) {
            if (!delay) {  // opening failed (a dropped answer that fails to read changes nothing)
                if (context) context->upstream_wait += RequestContext::Clock::now() - started;
                if (e.failure() == UpstreamFailure::connect) delay = retry_delay(retry, nullptr, waited);
                if (!delay) throw transport_error(target, e);
                log_retry(target, "failure", "connect", retry);
            }
        }
        const auto sleeping = RequestContext::Clock::now();
        co_await back_off(*delay);
        if (context) context->retry_wait += RequestContext::Clock::now() - sleeping;
        waited += *delay;
    }
}

std::vector<ChatTarget> ChatGateway::with_fallbacks(ChatTarget primary) const {
    std::vector<ChatTarget> chain;
    chain.push_back(std::move(primary));
    StoredConfig stored = store_.snapshot();
    std::vector<std::string> entries = stored.fallback;
    if (entries.empty()) entries = split_list(env_.get("SWITCHBOARD_FALLBACK"));
    for (const auto &entry : entries) {
        try {
            ChatTarget next = route(entry);
            next.model_known = true;  // the operator named it
            bool repeat = false;
            for (auto &t : chain) {
                if (t.provider != next.provider || t.config.model.value != next.config.model.value) continue;
                repeat = true;
                t.model_known = true;
            }
            if (!repeat) chain.push_back(std::move(next));
        } catch (const GatewayError &e) {
            log_event(LogLevel::warn, "fallback_entry_ignored", {{"entry", entry}, {"reason", e.what()}});
        }
    }
    return chain;
}

namespace {

// Errors another provider could avoid; the client's own mistakes are final.
bool worth_falling_back(const GatewayError &e) {
    switch (e.code()) {
        case ErrorCode::invalid_json:
        case ErrorCode::invalid_request:
        case ErrorCode::unknown_provider:
        case ErrorCode::context_length_exceeded:
        case ErrorCode::content_filter: return false;
        default: return true;
    }
}

}  // namespace

boost::asio::awaitable<ChatResult> ChatGateway::complete_chain(std::vector<ChatTarget> chain,
                                                               boost::json::object request,
                                                               UpstreamTimeouts timeouts, RequestContext &context) {
    for (std::size_t i = 0;; ++i) {
        context.provider = chain[i].provider->id();
        context.model = chain[i].config.model.value;
        context.model_known = chain[i].model_known;
        context.fallbacks = static_cast<int>(i);
        try {
            // The last target takes the request itself: no copy to make.
            // (Named, not a conditional inside co_await: GCC 12 destroys
            // such a temporary twice.)
            boost::json::object attempt = i + 1 == chain.size() ? std::move(request) : boost::json::object(request);
            co_return co_await complete(chain[i], std::move(attempt), timeouts, &context);
        } catch (const GatewayError &e) {
            if (i + 1 >= chain.size() || !worth_falling_back(e)) throw;
            log_fallback(chain[i], chain[i + 1], e);
        }
    }
}

boost::asio::awaitable<std::unique_ptr<ChatStream>> ChatGateway::open_stream_chain(std::vector<ChatTarget> chain,
                                                                                   boost::json::object request,
                                                                                   UpstreamTimeouts timeouts,
                                                                                   RequestContext &context) {
    context.streamed = true;
    for (std::size_t i = 0;; ++i) {
        context.provider = chain[i].provider->id();
        context.model = chain[i].config.model.value;
        context.model_known = chain[i].model_known;
        context.fallbacks = static_cast<int>(i);
        try {
            boost::json::object attempt = i + 1 == chain.size() ? std::move(request) : boost::json::object(request);
            co_return co_await open_stream(chain[i], std::move(attempt), timeouts, &context);
        } catch (const GatewayError &e) {
            if (i + 1 >= chain.size() || !worth_falling_back(e)) throw;
            log_fallback(chain[i], chain[i + 1], e);
        }
    }
}

boost::asio::awaitable<std::unique_ptr<ChatStream>> ChatGateway::open_stream(const ChatTarget &target,
                                                                             boost::json::object request,
                                                                             UpstreamTimeouts timeouts,
                                                                             RequestContext *context) {
    // A stream may be held for minutes: it keeps neither the client's
    // request nor the vendor request, only the translator and the body.
    PreparedStream prepared = prepare_stream(*this, target, std::move(request));
    UpstreamBody body = co_await open_with_retries(target, prepared.request, timeouts, context);
    if (const int status = body.head().status; status < 200 || status >= 300) {
        // The vendor's error answer becomes a plain error.
        const UpstreamResponse response = co_await read_answer(target, std::move(body), context);
        target.provider->parse_chat_response(prepared.config, response);
        throw vendor_status_error(target, response.status);
    }
    body.drop_headers();
    std::unique_ptr<ChatStream> stream(
        new ChatStream(target, std::move(prepared.translator), std::move(body), context));
    prepared = {};
    // Read until the client's first bytes are ready: a failure until then
    // (thrown) is still an error response, and a chain's next target may serve.
    std::string first;
    co_await stream->next(first);
    stream->pending_ = std::move(first);  // handed out by the first next()
    co_return stream;
}

ChatStream::ChatStream(const ChatTarget &target, std::unique_ptr<ProviderStream> translator, UpstreamBody body,
                       RequestContext *context)
    : providers_(target.providers), provider_(target.provider), api_key_(target.config.api_key.value),
      translator_(std::move(translator)), body_(std::move(body)), deframer_(framing_of(*target.provider)),
      context_(context) {}

ChatStream::~ChatStream() = default;

boost::asio::awaitable<bool> ChatStream::next(std::string &out) {
    while (pending_.empty() && !finished_) {
        const auto started = RequestContext::Clock::now();
        std::string piece;
        try {
            while (!body_.next_piece(piece)) co_await body_.read_more();
        } catch (const UpstreamError &e) {
            if (context_) context_->upstream_wait += RequestContext::Clock::now() - started;
            fail(transport_error(*provider_, api_key_, e));
            continue;
        }
        if (context_) context_->upstream_wait += RequestContext::Clock::now() - started;
        try {
            if (piece.empty())
                end_of_body();
            else
                take(piece);
        } catch (const GatewayError &e) {
            fail(e);
        } catch (const std::length_error &) {
            fail(GatewayError(ErrorCode::upstream_error, "upstream stream event exceeds the size limit"));
        }
    }
    if (pending_.empty()) co_return false;
    handed_out_ = true;
    if (out.empty())
        out.swap(pending_);
    else
        out += pending_;
    std::string().swap(pending_);  // a waiting stream keeps no buffer
    co_return true;
}

namespace {
boost::asio::awaitable<std::size_t> nothing_to_wait_for() { co_return 0; }
}  // namespace

boost::asio::awaitable<std::size_t> ChatStream::wait() {
    if (pending_.empty() && !finished_ && body_.can_wait()) return body_.wait();
    return nothing_to_wait_for();
}

void ChatStream::take(std::string_view piece) {
    deframer_.feed(piece, [this](std::string_view event, std::string_view data) { return on_event(event, data); });
}

void ChatStream::end_of_body() {
    body_ = UpstreamBody();  // read to its end: the connection goes back to the pool
    deframer_.finish([this](std::string_view event, std::string_view data) { return on_event(event, data); });
    if (events_seen_ == 0) throw no_events_error(*provider_);
    translator_->finish([this](std::string_view json) { on_chunk(json); });
    if (context_) count_usage(translator_->usage(), *context_);
    pending_ += "data: [DONE]\n\n";
    finished_ = true;
}

bool ChatStream::on_event(std::string_view event, std::string_view data) {
    ++events_seen_;
    if (!vendor_ended_) vendor_ended_ = translator_->feed(event, data, [this](std::string_view json) { on_chunk(json); });
    if (context_) count_usage(translator_->usage(), *context_);
    return true;
}

void ChatStream::on_chunk(std::string_view json) {
    append_sse(pending_, json);
}

void ChatStream::fail(GatewayError e) {
    e.with_provider(provider_->id());
    body_ = UpstreamBody();
    if (!handed_out_ && pending_.empty()) throw e;
    // The head goes (or went) out as 200: the error event is the only word
    // of this failure the client gets, and the access log says so.
    if (context_) {
        context_->error_type = error_code_name(e.code());
        context_->error_after_head = true;
    }
    append_sse(pending_, error_body_json(e));
    pending_ += "data: [DONE]\n\n";
    finished_ = true;
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
    auto started = std::chrono::steady_clock::now();
    UpstreamBody answer = co_await open_with_retries(target, upstream_request, timeouts, context);
    UpstreamResponse response = co_await read_answer(target, std::move(answer), context);
    ChatResult result;
    result.upstream_time = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    TokenUsage usage;
    result.body_json = target.provider->parse_chat_response(config, response, &usage);
    if (context) count_usage(usage, *context);
    co_return result;
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
