#include "core/errors.hpp"

#include <ostream>

namespace sb::core {

std::string_view error_code_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::invalid_json: return "invalid_json";
        case ErrorCode::invalid_request: return "invalid_request";
        case ErrorCode::unknown_provider: return "unknown_provider";
        case ErrorCode::provider_not_configured: return "provider_not_configured";
        case ErrorCode::invalid_api_key: return "invalid_api_key";
        case ErrorCode::permission_denied: return "permission_denied";
        case ErrorCode::rate_limit_exceeded: return "rate_limit_exceeded";
        case ErrorCode::model_not_found: return "model_not_found";
        case ErrorCode::api_base_incorrect: return "api_base_incorrect";
        case ErrorCode::network_error: return "network_error";
        case ErrorCode::timeout: return "timeout";
        case ErrorCode::upstream_error: return "upstream_error";
        case ErrorCode::context_length_exceeded: return "context_length_exceeded";
        case ErrorCode::content_filter: return "content_filter";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::method_not_allowed: return "method_not_allowed";
        case ErrorCode::request_too_large: return "request_too_large";
        case ErrorCode::budget_exceeded: return "budget_exceeded";
        case ErrorCode::internal_error: return "internal_error";
    }
    return "internal_error";
}

std::ostream &operator<<(std::ostream &out, ErrorCode code) { return out << error_code_name(code); }

std::string redact_secret(std::string text, std::string_view secret) {
    constexpr std::size_t min_run = 8;
    if (secret.size() < min_run || text.size() < min_run) return text;
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t best = 0;
        for (std::size_t j = 0; j < secret.size(); ++j) {
            std::size_t n = 0;
            while (i + n < text.size() && j + n < secret.size() && text[i + n] == secret[j + n]) ++n;
            if (n > best) best = n;
        }
        if (best >= min_run) {
            out += "[redacted]";
            i += best;
        } else {
            out += text[i++];
        }
    }
    return out;
}

}  // namespace sb::core
