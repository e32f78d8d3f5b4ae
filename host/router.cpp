#include "host/router.hpp"

#include "core/errors.hpp"
#include "core/log.hpp"
#include "host/http_responses.hpp"

#include <boost/url/parse.hpp>

#include <atomic>
#include <chrono>
#include <random>

namespace sb::host {

namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;

namespace {

std::string new_request_id() {
    static std::atomic<std::uint64_t> counter{0};
    thread_local std::mt19937_64 rng(std::random_device{}());
    char buf[40];
    std::snprintf(buf, sizeof buf, "req_%012llx%06llx", static_cast<unsigned long long>(rng() & 0xffffffffffffULL),
                  static_cast<unsigned long long>(++counter & 0xffffff));
    return buf;
}

// A client-given id is kept only when it is short and plain.
bool acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    return true;
}

[[noreturn]] void method_not_allowed(std::string_view path) {
    throw GatewayError(ErrorCode::method_not_allowed, "method not allowed on " + std::string(path));
}

}  // namespace

boost::asio::awaitable<Response> Router::dispatch(Request &request, std::string_view path, ResponseStream &stream) {
    const auto method = request.method();
    const bool get = method == http::verb::get;
    const bool post = method == http::verb::post;
    const std::string_view authorization = request[http::field::authorization];
    if (path.starts_with("/v1/")) access_.authorize_client(authorization);
    // Reading the provider list and model names is open; everything that
    // reads or changes config, or spends a key, is admin-only.
    if (path == "/api/backdoor/llm/config" || path == "/api/backdoor/llm/test" ||
        path == "/api/backdoor/llm/plugins/reload")
        access_.authorize_admin(authorization, stream.peer());
    if (path == "/healthz") {
        if (!get) method_not_allowed(path);
        co_return json_response(http::status::ok, R"({"status":"ok"})", request.version());
    }
    if (path == "/v1/chat/completions") {
        if (!post) method_not_allowed(path);
        co_return co_await openai_.chat_completions(request, stream);
    }
    if (path == "/v1/models") {
        if (!get) method_not_allowed(path);
        co_return co_await openai_.list_models(request);
    }
    if (path.starts_with("/v1/models/")) {
        if (!get) method_not_allowed(path);
        co_return co_await openai_.get_model(request, path.substr(std::string_view("/v1/models/").size()));
    }
    if (path == "/api/backdoor/llm/providers") {
        if (!get) method_not_allowed(path);
        co_return admin_.providers(request);
    }
    if (path == "/api/backdoor/llm/models") {
        if (!get) method_not_allowed(path);
        co_return co_await admin_.models(request);
    }
    if (path == "/api/backdoor/llm/config") {
        if (get) co_return admin_.get_config(request);
        if (post) co_return admin_.post_config(request);
        method_not_allowed(path);
    }
    if (path == "/api/backdoor/llm/test") {
        if (!post) method_not_allowed(path);
        co_return co_await admin_.test(request);
    }
    if (path == "/api/backdoor/llm/plugins/reload") {
        if (!post) method_not_allowed(path);
        co_return admin_.reload_plugins(request);
    }
    throw GatewayError(ErrorCode::not_found, "no route for " + std::string(path));
}

boost::asio::awaitable<Response> Router::handle(Request &request, ResponseStream &stream) {
    auto started = std::chrono::steady_clock::now();
    std::string request_id;
    if (auto given = request["x-request-id"]; acceptable_request_id(given)) request_id = std::string(given);
    if (request_id.empty()) request_id = new_request_id();
    stream.head().set("x-request-id", request_id);

    std::string path;
    Response response;
    try {
        auto url = boost::urls::parse_origin_form(request.target());
        if (!url) throw GatewayError(ErrorCode::invalid_request, "malformed request target");
        path = url->path();  // percent-decoded
        response = co_await dispatch(request, path, stream);
    } catch (const GatewayError &e) {
        response = error_response(e, request.version());
        if (!e.provider().empty()) response.set("x-switchboard-provider", e.provider());
    } catch (const std::exception &e) {
        core::log_event(core::LogLevel::error, "handler_failed", {{"request_id", request_id}, {"reason", e.what()}});
        response = error_response(GatewayError(ErrorCode::internal_error, "internal error"), request.version());
    }
    response.set("x-request-id", request_id);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    core::log_event(core::LogLevel::info, "request",
                    {{"request_id", request_id},
                     {"method", std::string(request.method_string())},
                     {"path", path.size() > 200 ? path.substr(0, 200) : path},
                     {"status", std::to_string(stream.started() ? stream.head().result_int() : response.result_int())},
                     {"streamed", stream.started() ? "true" : "false"},
                     {"duration_us", std::to_string(micros.count())},
                     {"provider", std::string(stream.started() ? stream.head()["x-switchboard-provider"]
                                                              : response["x-switchboard-provider"])}});
    co_return response;
}

}  // namespace sb::host
