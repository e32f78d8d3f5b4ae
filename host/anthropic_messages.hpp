#pragma once
// Anthropic's Messages API as a client dialect: POST /v1/messages (and
// /v1/messages/count_tokens). A request is translated to the unified
// (OpenAI chat) form and routed like /v1/chat/completions; the unified answer
// and stream are translated back into Anthropic's message and events.
// Native pass-through to the anthropic provider is the next step: it slots in
// where AnthropicMessages::messages picks the translation.
#include <boost/json/object.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "core/gateway/chat_gateway.hpp"
#include "host/http_responses.hpp"

namespace sb::host {

// The paths this dialect serves: its errors, refusals included, read in
// Anthropic's shape.
bool is_anthropic_messages_path(std::string_view path) noexcept;

// Anthropic's error "type" for a GatewayError ("invalid_request_error",
// "authentication_error", ... "api_error").
std::string_view anthropic_error_type(core::ErrorCode code) noexcept;
// {"type":"error","error":{"type","message"}}
std::string anthropic_error_body_json(const core::GatewayError &error);
// The same with the status /v1 gives the error.
Response anthropic_error_response(const core::GatewayError &error, unsigned version = 11);

// What the request may carry beyond the portable unified fields: when every
// target of the chain is the anthropic provider, Anthropic's own "thinking"
// object and signed thinking blocks go through as the plugin reads them.
struct MessagesTranslation {
    bool anthropic_targets = false;  // every target is the anthropic provider
    bool top_k_targets = false;      // every target reads top_k (anthropic, google)
};

// An Anthropic Messages request -> the unified request. Throws GatewayError
// (invalid_request, naming the field) for what it cannot carry.
boost::json::object messages_to_unified(const boost::json::object &request,
                                        const MessagesTranslation &how);
// A unified chat.completion -> an Anthropic message (JSON text).
std::string unified_to_message(std::string_view completion_json);
// Anthropic's server-sent events for one unified stream (stateful).
std::unique_ptr<core::StreamEncoder> make_messages_encoder();

class AnthropicMessages {
public:
    explicit AnthropicMessages(core::ChatGateway &gateway) : gateway_(gateway) {}

    // Releases the request's body once parsed, as chat_completions does.
    boost::asio::awaitable<Reply> messages(Request &request, core::RequestContext &context);
    // 501 until the native pass-through can ask the anthropic provider.
    boost::asio::awaitable<Reply> count_tokens(Request &request, core::RequestContext &context);

private:
    core::ChatGateway &gateway_;
};

}  // namespace sb::host
