#pragma once
// How a GatewayError reads to a client: OpenAI's error JSON, its HTTP
// status, and the categories and hints of POST /api/backdoor/llm/test.
#include "core/errors.hpp"

#include <string>
#include <string_view>

namespace sb::host {

// OpenAI's error "type": "invalid_request_error", "authentication_error", ...
std::string_view error_type_name(core::ErrorCode code) noexcept;
int error_http_status(core::ErrorCode code) noexcept;
// The category reported by POST /api/backdoor/llm/test.
std::string_view test_error_type(core::ErrorCode code) noexcept;
// What the user should check, for /test hints.
std::string test_error_hint(core::ErrorCode code, std::string_view provider, std::string_view env_key,
                            std::string_view env_base);

// {"error":{"message","type","code","param"[,"provider"]}}
std::string error_body_json(const core::GatewayError &error);

}  // namespace sb::host
