#pragma once
// /api/backdoor/llm/{providers,models,config,test}: the provider admin API.
#include "core/gateway/chat_gateway.hpp"
#include "core/plugin/plugin_reloader.hpp"
#include "host/http_responses.hpp"

namespace sb::host {

class AdminApi {
public:
    AdminApi(core::ChatGateway &gateway, core::ProviderRegistry &registry, core::ConfigStore &store,
             const core::Environment &env, core::PluginReloader &reloader)
        : gateway_(gateway), registry_(registry), store_(store), env_(env), reloader_(reloader) {}

    Response providers(const Request &request);
    // The vendor calls made for it count as context's upstream wait.
    boost::asio::awaitable<Response> models(const Request &request, core::RequestContext &context);
    Response get_config(const Request &request);
    Response post_config(const Request &request);
    // Names in context the provider, model and error type it reports.
    boost::asio::awaitable<Response> test(const Request &request, core::RequestContext &context);
    Response reload_plugins(const Request &request);

private:
    std::string config_document() const;

    core::ChatGateway &gateway_;
    core::ProviderRegistry &registry_;
    core::ConfigStore &store_;
    const core::Environment &env_;
    core::PluginReloader &reloader_;
};

}  // namespace sb::host
