#pragma once
// The OpenAI-compatible data plane: /v1/chat/completions and /v1/models.
#include "core/chat/chat_gateway.hpp"
#include "host/http_server.hpp"

namespace sb::host {

class OpenAIApi {
public:
    explicit OpenAIApi(core::ChatGateway &gateway) : gateway_(gateway) {}

    boost::asio::awaitable<Response> chat_completions(const Request &request, ResponseStream &stream);
    boost::asio::awaitable<Response> list_models(const Request &request);
    boost::asio::awaitable<Response> get_model(const Request &request, std::string_view model_id);

private:
    boost::asio::awaitable<std::vector<std::string>> all_model_ids();

    core::ChatGateway &gateway_;
};

}  // namespace sb::host
