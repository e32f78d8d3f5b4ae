#pragma once
// Maps method + path to the admin and data-plane handlers, turns every
// exception into an OpenAI-style error, stamps x-request-id and writes one
// access-log line per request.
#include "core/metrics.hpp"
#include "host/access_control.hpp"
#include "host/admin_api.hpp"
#include "host/openai_api.hpp"

namespace sb::host {

class Router {
public:
    Router(core::ChatGateway &gateway, core::PluginReloader &reloader, const AccessControl &access,
           core::Metrics &metrics)
        : gateway_(gateway), access_(access), metrics_(metrics), admin_(gateway, reloader), openai_(gateway, metrics) {}
    boost::asio::awaitable<Response> handle(Request &request, ResponseStream &stream);
    // Whether the request may be read on, decided from its head alone
    // (tokens, keys, Host and Origin) before its body is read. A refused
    // request goes to handle() with its body unread, which answers it.
    bool admits(const RequestHead &head, const boost::asio::ip::address &peer) const noexcept;

private:
    // Throws GatewayError (401/403) when the caller may not call path.
    void authorize(const RequestHead &head, std::string_view path, const boost::asio::ip::address &peer) const;
    boost::asio::awaitable<Response> dispatch(Request &request, std::string_view path, ResponseStream &stream,
                                              core::RequestContext &context);
    Response readiness(const Request &request) const;

    core::ChatGateway &gateway_;
    const AccessControl &access_;
    core::Metrics &metrics_;
    AdminApi admin_;
    OpenAIApi openai_;
};

}  // namespace sb::host
