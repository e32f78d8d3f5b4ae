#include "host/error_presentation.hpp"

#include <boost/json.hpp>

namespace sb::host {

using core::ErrorCode;
using core::GatewayError;

std::string_view error_type_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::invalid_json:
        case ErrorCode::invalid_request:
        case ErrorCode::unknown_provider:
        case ErrorCode::context_length_exceeded:
        case ErrorCode::content_filter: return "invalid_request_error";
        case ErrorCode::provider_not_configured:
        case ErrorCode::invalid_api_key: return "authentication_error";
        case ErrorCode::permission_denied: return "permission_error";
        case ErrorCode::rate_limit_exceeded: return "rate_limit_error";
        case ErrorCode::model_not_found:
        case ErrorCode::not_found: return "not_found_error";
        case ErrorCode::api_base_incorrect:
        case ErrorCode::network_error:
        case ErrorCode::upstream_error: return "upstream_error";
        case ErrorCode::timeout: return "timeout_error";
        case ErrorCode::method_not_allowed: return "method_not_allowed";
        case ErrorCode::request_too_large: return "request_too_large";
        case ErrorCode::budget_exceeded: return "insufficient_quota";
        case ErrorCode::internal_error: return "internal_error";
    }
    return "internal_error";
}

int error_http_status(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::invalid_json:
        case ErrorCode::invalid_request:
        case ErrorCode::unknown_provider:
        case ErrorCode::context_length_exceeded:
        case ErrorCode::content_filter: return 400;
        case ErrorCode::provider_not_configured:
        case ErrorCode::invalid_api_key: return 401;
        case ErrorCode::permission_denied: return 403;
        case ErrorCode::model_not_found:
        case ErrorCode::not_found: return 404;
        case ErrorCode::method_not_allowed: return 405;
        case ErrorCode::budget_exceeded: return 402;
        case ErrorCode::request_too_large: return 413;
        case ErrorCode::rate_limit_exceeded: return 429;
        case ErrorCode::api_base_incorrect:
        case ErrorCode::network_error:
        case ErrorCode::upstream_error: return 502;
        case ErrorCode::timeout: return 504;
        case ErrorCode::internal_error: return 500;
    }
    return 500;
}

std::string_view test_error_type(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::invalid_api_key:
        case ErrorCode::permission_denied: return "invalid_api_key";
        case ErrorCode::rate_limit_exceeded: return "rate_limit_exceeded";
        case ErrorCode::model_not_found: return "model_not_found";
        case ErrorCode::api_base_incorrect: return "api_base_incorrect";
        case ErrorCode::network_error: return "network_error";
        case ErrorCode::timeout: return "timeout";
        case ErrorCode::provider_not_configured: return "provider_not_configured";
        default: return "upstream_error";
    }
}

std::string test_error_hint(ErrorCode code, std::string_view provider, std::string_view env_key,
                            std::string_view env_base) {
    std::string p(provider);
    std::string key_var = env_key.empty() ? std::string("the api_key") : std::string(env_key);
    std::string base_var = env_base.empty() ? std::string("the api_base") : std::string(env_base);
    switch (code) {
        case ErrorCode::invalid_api_key:
        case ErrorCode::permission_denied:
            return "Check the API key for " + p + " (" + key_var +
                   " or POST /api/backdoor/llm/config with api_key).";
        case ErrorCode::rate_limit_exceeded:
            return "The " + p + " account is rate limited or out of quota; wait, or check its plan and billing.";
        case ErrorCode::model_not_found:
            return "Check the model name; GET /api/backdoor/llm/models?provider=" + p +
                   " lists the models this key can use.";
        case ErrorCode::api_base_incorrect:
            return "The API base answered but not as the " + p + " API; check " + base_var +
                   " (it usually ends in a version such as /v1).";
        case ErrorCode::network_error:
            return "Could not connect to the API base; check " + base_var +
                   ", DNS, proxies and firewalls.";
        case ErrorCode::timeout:
            return "The API base did not answer in time; check " + base_var +
                   " and the vendor's status page.";
        case ErrorCode::provider_not_configured:
            return "Set the missing settings for " + p + " (" + key_var + ", " + base_var +
                   ", or POST /api/backdoor/llm/config).";
        default:
            return "The vendor reported an error; its message says what went wrong.";
    }
}

std::string error_body_json(const GatewayError &error) {
    boost::json::object inner;
    inner["message"] = error.what();
    inner["type"] = error_type_name(error.code());
    inner["code"] = error_code_name(error.code());
    if (error.param().empty())
        inner["param"] = nullptr;
    else
        inner["param"] = error.param();
    if (!error.provider().empty()) inner["provider"] = error.provider();
    boost::json::object outer;
    outer["error"] = std::move(inner);
    return boost::json::serialize(outer);
}

}  // namespace sb::host
