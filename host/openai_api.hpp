#pragma once
// The OpenAI-compatible data plane: /v1/chat/completions and /v1/models.
#include "core/gateway/chat_gateway.hpp"
#include "host/http_responses.hpp"

namespace sb::host {

class OpenAIApi {
public:
    OpenAIApi(core::ChatGateway &gateway, core::ProviderRegistry &registry) : gateway_(gateway), registry_(registry) {}

    // Releases the request's body once parsed: a stream can be held for
    // minutes and a prompt can be large.
    boost::asio::awaitable<Reply> chat_completions(Request &request, core::RequestContext &context);
    boost::asio::awaitable<Response> list_models(const Request &request, core::RequestContext &context);
    boost::asio::awaitable<Response> get_model(const Request &request, std::string_view model_id,
                                               core::RequestContext &context);

private:
    boost::asio::awaitable<std::vector<std::string>> all_model_ids(core::RequestContext &context);

    core::ChatGateway &gateway_;
    core::ProviderRegistry &registry_;
};

}  // namespace sb::host
