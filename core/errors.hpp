#pragma once
// The gateway's one error type. C++ code throws GatewayError; the host turns
// it into the client's error shape (host/error_presentation.hpp).
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sb::core {

enum class ErrorCode {
    invalid_json,
    invalid_request,
    unknown_provider,
    provider_not_configured,
    invalid_api_key,
    permission_denied,
    rate_limit_exceeded,
    model_not_found,
    api_base_incorrect,
    network_error,
    timeout,
    upstream_error,
    context_length_exceeded,
    content_filter,
    not_found,
    method_not_allowed,
    request_too_large,
    budget_exceeded,  // a virtual key spent its budget (402)
    internal_error,
};

class GatewayError : public std::runtime_error {
public:
    GatewayError(ErrorCode code, const std::string &message, std::string param = {},
                 std::string provider = {})
        : std::runtime_error(message),
          code_(code),
          param_(std::move(param)),
          provider_(std::move(provider)) {}

    ErrorCode code() const noexcept { return code_; }
    const std::string &param() const noexcept { return param_; }
    const std::string &provider() const noexcept { return provider_; }
    int upstream_status() const noexcept { return upstream_status_; }
    GatewayError &with_upstream_status(int status) {
        upstream_status_ = status;
        return *this;
    }
    GatewayError &with_provider(std::string provider) {
        provider_ = std::move(provider);
        return *this;
    }
    // Seconds the client should wait before retrying (Retry-After); 0: none.
    int retry_after_seconds() const noexcept { return retry_after_seconds_; }
    GatewayError &with_retry_after(int seconds) {
        retry_after_seconds_ = seconds;
        return *this;
    }

private:
    ErrorCode code_;
    std::string param_;
    std::string provider_;
    int upstream_status_ = 0;
    int retry_after_seconds_ = 0;
};

// "invalid_api_key", "model_not_found", ...
std::string_view error_code_name(ErrorCode code) noexcept;
std::ostream &operator<<(std::ostream &out, ErrorCode code);
// Removes every run of 8+ characters of the secret from text (vendors echo
// keys in their messages).
std::string redact_secret(std::string text, std::string_view secret);

}  // namespace sb::core
