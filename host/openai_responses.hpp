#pragma once
// POST /v1/responses: OpenAI's Responses API, stateless, translated to the
// unified chat request and its answer (plain or streamed) back into the
// Responses shapes, for every provider. Routing, fallbacks and retries are
// those of /v1/chat/completions.
#include "core/gateway/chat_gateway.hpp"
#include "host/http_responses.hpp"

namespace sb::host {

class OpenAIResponsesApi {
public:
    explicit OpenAIResponsesApi(core::ChatGateway &gateway) : gateway_(gateway) {}

    // Releases the request's body once parsed, as chat_completions does.
    boost::asio::awaitable<Reply> create(Request &request, core::RequestContext &context);

private:
    core::ChatGateway &gateway_;
};

}  // namespace sb::host
