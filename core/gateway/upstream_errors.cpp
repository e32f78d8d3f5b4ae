#include "core/gateway/upstream_errors.hpp"

namespace sb::core {

// The one place a transport failure becomes a GatewayError.
GatewayError transport_error(const LoadedProvider &provider, const std::string &api_key, const UpstreamError &e) {
    ErrorCode code = ErrorCode::network_error;
    switch (e.failure()) {
        case UpstreamFailure::timeout: code = ErrorCode::timeout; break;
        case UpstreamFailure::protocol: code = ErrorCode::api_base_incorrect; break;
        case UpstreamFailure::truncated: code = ErrorCode::network_error; break;
        case UpstreamFailure::too_large: code = ErrorCode::upstream_error; break;
        case UpstreamFailure::invalid_url: code = ErrorCode::api_base_incorrect; break;
        default: code = ErrorCode::network_error; break;
    }
    const std::string &id = provider.id();
    return GatewayError(code, "provider '" + id + "': " + redact_secret(e.what(), api_key), {}, id);
}

GatewayError no_events_error(const LoadedProvider &provider) {
    return GatewayError(ErrorCode::api_base_incorrect,
                        "provider '" + provider.id() +
                            "': the upstream answered the streaming request without any stream events");
}

}  // namespace sb::core
