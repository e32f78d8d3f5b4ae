#pragma once
// The host's side of native pass-through (core/gateway/native_relay.hpp):
// which client headers go to the vendor, which of the vendor's come back,
// each dialect's watcher (usage, last event, error event), and the reply.
#include "core/gateway/chat_gateway.hpp"
#include "host/http_responses.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::host {

// The raw JSON object text with its top-level "model" member's string value
// replaced by model (JSON-escaped), or "model" added first when absent;
// every other byte as it was. Throws GatewayError (invalid_request) when the
// member is not a string. body must be valid JSON.
std::string with_model(std::string_view body, std::string_view model);

// The watchers of the two dialects the host relays.
std::unique_ptr<core::NativeWatcher> anthropic_messages_watcher();
std::unique_ptr<core::NativeWatcher> openai_responses_watcher();

// One client request to try natively.
struct NativeAttempt {
    std::string_view dialect;    // SB_DIALECT_*
    std::string_view operation;  // the client's path below /v1
    const std::string *body;     // the client's raw JSON body
    const RequestHead *head;     // its headers
    bool stream = false;
    std::unique_ptr<core::NativeWatcher> (*make_watcher)();
};

// Sends the request natively to chain's first target while it speaks
// attempt.dialect, dropping each that fails in a way the next target may not
// (logged as a fallback). Returns the reply; or nullopt when the chain's
// first target (what is left of it) needs the translation. Throws
// GatewayError.
boost::asio::awaitable<std::optional<Reply>> relay_native(core::ChatGateway &gateway,
                                                          std::vector<core::ChatTarget> &chain,
                                                          const NativeAttempt &attempt,
                                                          core::RequestContext &context, unsigned version);

}  // namespace sb::host
