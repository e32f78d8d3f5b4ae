#pragma once
// Maps method + path to the admin and data-plane handlers, turns every
// exception into an OpenAI-style error, stamps x-request-id and writes one
// access-log line per request.
#include "host/access_control.hpp"
#include "host/admin_api.hpp"
#include "host/openai_api.hpp"

namespace sb::host {

class Router {
public:
    Router(core::ChatGateway &gateway, core::PluginReloader &reloader, const AccessControl &access)
        : access_(access), admin_(gateway, reloader), openai_(gateway) {}
    boost::asio::awaitable<Response> handle(Request &request, ResponseStream &stream);

private:
    boost::asio::awaitable<Response> dispatch(Request &request, std::string_view path, ResponseStream &stream);

    const AccessControl &access_;
    AdminApi admin_;
    OpenAIApi openai_;
};

}  // namespace sb::host
