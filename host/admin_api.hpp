#pragma once
// /api/backdoor/llm/{providers,models,config,test}: the provider admin API.
#include "core/chat/chat_gateway.hpp"
#include "core/plugin/plugin_reloader.hpp"
#include "host/http_server.hpp"

namespace sb::host {

class AdminApi {
public:
    AdminApi(core::ChatGateway &gateway, core::PluginReloader &reloader)
        : gateway_(gateway), reloader_(reloader) {}

    Response providers(const Request &request);
    boost::asio::awaitable<Response> models(const Request &request);
    Response get_config(const Request &request);
    Response post_config(const Request &request);
    boost::asio::awaitable<Response> test(const Request &request);
    Response reload_plugins(const Request &request);

private:
    std::string config_document() const;

    core::ChatGateway &gateway_;
    core::PluginReloader &reloader_;
};

}  // namespace sb::host
