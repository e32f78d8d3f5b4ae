#pragma once
// The OpenAI-compatible data plane: /v1/chat/completions and /v1/models.
#include "core/chat/chat_gateway.hpp"
#include "core/metrics.hpp"
#include "host/http_server.hpp"

namespace sb::host {

class OpenAIApi {
public:
    OpenAIApi(core::ChatGateway &gateway, core::Metrics &metrics) : gateway_(gateway), metrics_(metrics) {}

    // Releases the request's body once parsed: a stream can be held for
    // minutes and a prompt can be large.
    boost::asio::awaitable<Response> chat_completions(Request &request, ResponseStream &stream,
                                                      core::RequestContext &context);
    boost::asio::awaitable<Response> list_models(const Request &request, core::RequestContext &context);
    boost::asio::awaitable<Response> get_model(const Request &request, std::string_view model_id,
                                               core::RequestContext &context);

private:
    boost::asio::awaitable<std::vector<std::string>> all_model_ids(core::RequestContext &context);

    core::ChatGateway &gateway_;
    core::Metrics &metrics_;
};

}  // namespace sb::host
