#include "host/router.hpp"

#include "core/errors.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "host/admin_page.hpp"
#include "host/http_responses.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <random>

namespace sb::host {

namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;

namespace {

// The low `digits` hex digits of value, zero-padded.
void put_hex(char *out, int digits, std::uint64_t value) {
    for (int i = digits - 1; i >= 0; --i, value >>= 4) out[i] = core::kHexDigits[value & 0xf];
}

// Into id, whose capacity a connection's next request reuses.
void new_request_id(std::string &id) {
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 rng(std::random_device{}());
    // req_ + 12 hex digits of randomness + 6 of a counter; written by hand
    // because snprintf stood out in the per-request profile.
    id.assign("req_");
    id.resize(4 + 12 + 6);
    put_hex(id.data() + 4, 12, rng());
    put_hex(id.data() + 16, 6, ++counter);
}

// A client-given id is kept only when it is short and plain.
bool acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    return true;
}

// The percent-decoded path of an origin-form target, into out (whose
// capacity a connection's next request reuses). Plain targets (the usual API
// paths) skip the URL parser, which showed up in profiles.
void request_path(std::string_view target, std::string &out) {
    const std::string_view path = target.substr(0, target.find('?'));
    const bool plain = !path.empty() && path.front() == '/' && std::all_of(path.begin(), path.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' || c == '.';
    });
    if (plain) {
        out.assign(path);
        return;
    }
    auto url = boost::urls::parse_origin_form(target);
    if (!url) throw GatewayError(ErrorCode::invalid_request, "malformed request target");
    out = url->path();
}

std::string request_path(std::string_view target) {
    std::string path;
    request_path(target, path);
    return path;
}

[[noreturn]] void method_not_allowed(std::string_view path) {
    throw GatewayError(ErrorCode::method_not_allowed, "method not allowed on " + std::string(path));
}

}  // namespace

Response Router::readiness(const Request &request) const {
    auto set = registry_.current();
    std::error_code ec;
    const auto &file = store_.file();
    bool config_readable = !std::filesystem::exists(file, ec) || ::access(file.c_str(), R_OK) == 0;
    bool ready = !set->providers.empty() && config_readable;
    boost::json::object doc{{"status", ready ? "ready" : "not_ready"},
                            {"providers", set->providers.size()},
                            {"refused", set->refused.size()},
                            {"config_readable", config_readable},
                            // Informational: a shared store that is down leaves chat serving
                            // on the last known config, so it does not make the daemon unready.
                            {"store", store_.backend_kind()},
                            {"store_reachable", store_.backend_reachable()}};
    return json_response(ready ? http::status::ok : http::status::service_unavailable, boost::json::serialize(doc),
                         request.version());
}

namespace {

// A response computed without waiting, as the awaitable dispatch returns.
boost::asio::awaitable<Reply> ready(Response response) { co_return Reply{std::move(response), nullptr}; }

// A response computed by a coroutine of its own (not the chat path: that
// one hands its awaitable on, a frame less for a held stream).
boost::asio::awaitable<Reply> reply_of(boost::asio::awaitable<Response> response) {
    // Named, not a temporary around co_await: GCC 12 destroys such a
    // temporary twice.
    Response head = co_await std::move(response);
    co_return Reply{std::move(head), nullptr};
}

}  // namespace

void Router::authorize(const RequestHead &head, std::string_view path, const boost::asio::ip::address &peer) const {
    const std::string_view authorization = head[http::field::authorization];
    const bool is_data_plane = path.starts_with("/v1/");
    // Every admin endpoint alike: even the provider and model lists (the
    // latter calls vendors with the operator's keys).
    const bool is_admin_call = path.starts_with("/api/backdoor/");
    // Once a virtual key exists, every data-plane call needs a key.
    const bool virtual_keys = is_data_plane && key_gate_ && key_gate_->required();
    // No secret configured: a local browser page must not drive the gateway.
    if ((is_data_plane && !access_.has_client_keys() && !virtual_keys) ||
        (is_admin_call && !access_.has_admin_token()))
        AccessControl::require_local_browser_context(head[http::field::host], head[http::field::origin]);
    // Anthropic's clients send their key as x-api-key.
    const std::string_view api_key = is_data_plane && is_anthropic_messages_path(path) ? head["x-api-key"] : "";
    if (virtual_keys)
        key_gate_->authorize(authorization, api_key);
    else if (is_data_plane)
        access_.authorize_client(authorization, api_key);
    if (is_admin_call) access_.authorize_admin(authorization, peer);
    if (path == "/metrics") access_.authorize_metrics(authorization);
}

bool Router::admits(const RequestHead &head, const boost::asio::ip::address &peer) const noexcept {
    try {
        authorize(head, request_path(head.target()), peer);
        return true;
    } catch (...) {
        return false;  // handle() answers the refusal
    }
}

// Not a coroutine: it hands back the handler's own awaitable, so a request
// (and every held stream) carries one coroutine frame less. What it throws
// reaches handle()'s catch all the same.
boost::asio::awaitable<Reply> Router::dispatch(Request &request, std::string_view path,
                                               const core::Exchange &exchange, core::RequestContext &context) {
    const auto method = request.method();
    const bool get = method == http::verb::get;
    const bool post = method == http::verb::post;
    if (!exchange.head_admitted()) authorize(request, path, exchange.peer());
    // Authorized: a client key given here is valid, and the log names it.
    if (path.starts_with("/v1/") && access_.has_client_keys())
        context.client_key_id = AccessControl::client_key_id(
            request[http::field::authorization], is_anthropic_messages_path(path) ? request["x-api-key"] : "");
    if (path.starts_with("/v1/") && key_gate_ && key_gate_->required())
        key_gate_->admit(request, is_anthropic_messages_path(path) ? request["x-api-key"] : "", context);
    if (path == "/healthz") {
        if (!get) method_not_allowed(path);
        return ready(json_response(http::status::ok, R"({"status":"ok"})", request.version()));
    }
    if (path == "/readyz") {
        if (!get) method_not_allowed(path);
        return ready(readiness(request));
    }
    if (path == "/metrics") {
        if (!get) method_not_allowed(path);
        Response response(http::status::ok, request.version());
        response.set(http::field::content_type, "text/plain; version=0.0.4");
        response.body() = metrics_.render();
        return ready(std::move(response));
    }
    if (path == "/v1/chat/completions") {
        if (!post) method_not_allowed(path);
        return openai_.chat_completions(request, context);
    }
    if (path == "/v1/embeddings") {
        if (!post) method_not_allowed(path);
        return reply_of(embeddings_.create(request, context));
    }
    if (path == "/v1/messages") {
        if (!post) method_not_allowed(path);
        return messages_.messages(request, context);
    }
    if (path == "/v1/messages/count_tokens") {
        if (!post) method_not_allowed(path);
        return messages_.count_tokens(request, context);
    }
    if (path == "/v1/responses") {
        if (!post) method_not_allowed(path);
        return responses_.create(request, context);
    }
    if (path == "/v1/models") {
        if (!get) method_not_allowed(path);
        return reply_of(openai_.list_models(request, context));
    }
    if (path.starts_with("/v1/models/")) {
        if (!get) method_not_allowed(path);
        return reply_of(openai_.get_model(request, path.substr(std::string_view("/v1/models/").size()), context));
    }
    if (path == "/api/backdoor/llm/providers") {
        if (!get) method_not_allowed(path);
        return ready(admin_.providers(request));
    }
    if (path == "/api/backdoor/llm/models") {
        if (!get) method_not_allowed(path);
        return reply_of(admin_.models(request, context));
    }
    if (path == "/api/backdoor/llm/config") {
        if (get) return ready(admin_.get_config(request));
        if (post) return ready(admin_.post_config(request));
        method_not_allowed(path);
    }
    if (path == "/api/backdoor/llm/test") {
        if (!post) method_not_allowed(path);
        return reply_of(admin_.test(request, context));
    }
    if (keys_api_ && KeysApi::handles(path)) return ready(keys_api_->handle(request, path));
    if (path == "/api/backdoor/llm/plugins/reload") {
        if (!post) method_not_allowed(path);
        return ready(admin_.reload_plugins(request));
    }
    // The admin console's static files: public, they carry no data.
    if (auto page = admin_page_response(path, request.version())) {
        if (!get) method_not_allowed(path);
        return ready(std::move(*page));
    }
    throw GatewayError(ErrorCode::not_found, "no route for " + std::string(path));
}

namespace {

// What handle() does around dispatch, in plain functions: their temporaries
// stay on the stack instead of in the coroutine frame a held stream keeps.

void request_id_for(const Request &request, std::string &id) {
    if (auto given = request["x-request-id"]; acceptable_request_id(given))
        id.assign(given);
    else
        new_request_id(id);
}

// The error response for what dispatch threw, in the shape of the path's
// client dialect; names its type in error_type.
Response failure_response(const std::exception_ptr &failure, unsigned version, const std::string &request_id,
                          const core::Exchange &exchange, core::RequestContext &context, std::string &error_type,
                          std::string_view path) {
    const auto present = [&](const GatewayError &e) {
        return is_anthropic_messages_path(path) ? anthropic_error_response(e, version)
                                                : error_response(e, version);
    };
    try {
        std::rethrow_exception(failure);
    } catch (const GatewayError &e) {
        Response response = present(e);
        if (e.retry_after_seconds() > 0) response.set(http::field::retry_after, std::to_string(e.retry_after_seconds()));
        error_type = core::error_code_name(e.code());
        if (!e.provider().empty()) {
            context.provider = e.provider();
            response.set("x-switchboard-provider", e.provider());
        }
        return response;
    } catch (const boost::system::system_error &e) {
        // Cancelled: the client went away or shutdown cut the request (the
        // exchange says which). The response is never sent.
        const bool cut = e.code() == boost::asio::error::operation_aborted;
        if (cut && exchange.client_gone()) {
            error_type.clear();  // record() says which
            return present(GatewayError(ErrorCode::internal_error, "request cut"));
        }
        if (!cut)
            core::log_event(core::LogLevel::error, "handler_failed", {{"request_id", request_id}, {"reason", e.what()}});
    } catch (const std::exception &e) {
        core::log_event(core::LogLevel::error, "handler_failed", {{"request_id", request_id}, {"reason", e.what()}});
    }
    error_type = "internal_error";
    return present(GatewayError(ErrorCode::internal_error, "internal error"));
}

// What one exchange was, once it has ended: the metrics and the access-log
// line. error_type: what dispatch threw, if anything; the context may name
// a failure the body reported instead (a stream's error event, /test's
// verdict).
void record(const Request &request, const core::Exchange &exchange, const core::ExchangeEnd &end,
            const std::string &request_id, const std::string &path, std::string_view error_type,
            const core::RequestContext &context, core::Metrics &metrics, std::string_view cost_usd) {
    const auto overhead = context.overhead();
    int status = static_cast<int>(end.status);
    std::string_view error = error_type.empty() ? context.error_type : error_type;
    bool after_head = error_type.empty() && context.error_after_head;
    if (error.empty() && exchange.cut_at_shutdown()) {
        error = "shutdown";
        after_head = end.head_sent;
    }
    std::string_view outcome = error.empty() ? "ok" : "error";
    // The client left before the response was complete: gone while the
    // exchange was handled, or a streamed body's write failed.
    const bool client_closed =
        !exchange.cut_at_shutdown() && (exchange.client_gone() || (end.body_streamed && !end.complete));
    if (client_closed) {
        status = 499;  // as nginx logs a client that closed the connection first
        outcome = "client_closed";
        // What the handler threw once cut short (a cancelled vendor read) is
        // the cut's echo, not a failure of its own.
        error = context.error_type;
        after_head = context.error_after_head;
    }
    auto total = std::chrono::duration_cast<std::chrono::microseconds>(core::RequestContext::Clock::now() -
                                                                       context.started);
    auto upstream = std::chrono::duration_cast<std::chrono::microseconds>(context.upstream_wait);
    auto retry_wait = std::chrono::duration_cast<std::chrono::microseconds>(context.retry_wait);
    // Known routes only: arbitrary client paths must not become metric labels.
    std::string_view route = status == 404 && error_type == "not_found" ? std::string_view("unmatched")
                             : path.starts_with("/v1/models/")           ? std::string_view("/v1/models/{id}")
                                                                         : std::string_view(path);
    // Nor arbitrary model names: only those the daemon knows.
    std::string_view model_label = context.model_known ? std::string_view(context.model) : "other";
    metrics.record({route, status, outcome, context.provider, model_label, error, context.upstream_wait, overhead,
                    context.retry_wait, context.prompt_tokens, context.completion_tokens, context.attempts > 0,
                    context.dialect, context.native, context.embedding_inputs});
    if (!core::log_enabled(core::LogLevel::info)) return;
    core::log_event(core::LogLevel::info, "request",
                    {{"request_id", request_id},
                     {"client", exchange.peer().to_string()},
                     {"client_key", context.client_key_id},
                     {"key_id", context.virtual_key_id},
                     {"method", std::string(request.method_string())},
                     {"path", path.size() > 200 ? path.substr(0, 200) : path},
                     {"status", std::to_string(status)},
                     {"outcome", outcome},
                     {"streamed", context.streamed ? "true" : "false"},
                     {"dialect", context.dialect},
                     {"native", context.native ? "true" : "false"},
                     {"provider", context.provider},
                     {"model", context.model},
                     {"deployment", context.deployment},
                     {"duration_us", std::to_string(total.count())},
                     {"upstream_us", std::to_string(upstream.count())},
                     {"overhead_us", std::to_string(overhead.count())},
                     {"retry_wait_us", std::to_string(retry_wait.count())},
                     {"attempts", std::to_string(context.attempts)},
                     {"fallbacks", std::to_string(context.fallbacks)},
                     {"prompt_tokens", std::to_string(context.prompt_tokens)},
                     {"completion_tokens", std::to_string(context.completion_tokens)},
                     {"embedding_inputs", std::to_string(context.embedding_inputs)},
                     {"cost_usd", cost_usd},
                     {"error", error},
                     {"error_after_head", after_head ? "true" : "false"}});
}

}  // namespace

// One connection's requests, one at a time: what the exchange in flight
// did, kept until the server says it has ended.
class Router::ClientSession final : public core::Session {
public:
    ClientSession(Router &router, const boost::asio::ip::address &peer) : router_(router), peer_(peer) {}

    bool admits(const RequestHead &head) noexcept override { return router_.admits(head, peer_); }

    boost::asio::awaitable<Reply> handle(Request &request, core::Exchange &exchange) override {
        context_ = core::RequestContext{};
        request_id_for(request, request_id_);
        error_type_.clear();
        path_.clear();
        Reply reply;
        std::exception_ptr failure;
        try {
            request_path(request.target(), path_);
            reply = co_await router_.dispatch(request, path_, exchange, context_);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure)
            reply = Reply{failure_response(failure, request.version(), request_id_, exchange, context_,
                                           error_type_, path_),
                          nullptr};
        reply.head.set("x-request-id", request_id_);
        if (!context_.deployment.empty()) reply.head.set("x-switchboard-deployment", context_.deployment);
        if (!reply.body) reply.head.set("x-switchboard-overhead-us", std::to_string(context_.overhead().count()));
        co_return reply;
    }

    void ended(const Request &request, const core::Exchange &exchange, const core::ExchangeEnd &end) noexcept override {
        try {
            // What the request cost ("unknown": usage without a price),
            // charged to its virtual key.
            std::string cost_usd;
            if (router_.key_gate_ && path_.starts_with("/v1/")) {
                auto cost = router_.key_gate_->charge(context_, router_.metrics_);
                cost_usd = cost ? core::format_usd(*cost)
                           : context_.prompt_tokens >= 0 || context_.completion_tokens >= 0 ? "unknown"
                                                                                             : "";
            }
            record(request, exchange, end, request_id_, path_, error_type_, context_, router_.metrics_, cost_usd);
        } catch (const std::exception &) {
            // Bookkeeping only: the response itself is out.
        }
    }

private:
    Router &router_;
    const boost::asio::ip::address peer_;
    core::RequestContext context_;
    std::string request_id_;
    std::string path_;
    std::string error_type_;
};

std::unique_ptr<core::Session> Router::open_session(const boost::asio::ip::address &peer) {
    return std::make_unique<ClientSession>(*this, peer);
}

}  // namespace sb::host
