#pragma once
// /api/backdoor/llm/{providers,models,config,test}: the provider admin API.
#include "core/chat/chat_gateway.hpp"
#include "host/http_server.hpp"

namespace sb::host {

class AdminApi {
public:
    explicit AdminApi(core::ChatGateway &gateway) : gateway_(gateway) {}

    Response providers(const Request &request);
    boost::asio::awaitable<Response> models(const Request &request);
    Response get_config(const Request &request);
    Response post_config(const Request &request);
    boost::asio::awaitable<Response> test(const Request &request);

private:
    std::string config_document() const;

    core::ChatGateway &gateway_;
};

}  // namespace sb::host
