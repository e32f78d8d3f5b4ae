#pragma once
// How the vendor side's failures read as GatewayErrors: one place for the
// chat path, the stream and the model list.
#include "core/errors.hpp"
#include "core/plugin/provider.hpp"
#include "core/upstream/upstream_client.hpp"

#include <string>

namespace sb::core {

// A transport failure (connect, TLS, timeout, a cut body), the key redacted.
GatewayError transport_error(const LoadedProvider &provider, const std::string &api_key, const UpstreamError &e);
// A vendor stream that ended before any event.
GatewayError no_events_error(const LoadedProvider &provider);

}  // namespace sb::core
