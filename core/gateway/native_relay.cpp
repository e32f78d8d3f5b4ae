#include "core/gateway/native_relay.hpp"

namespace sb::core {

NativeStream::NativeStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
                           std::string api_key, UpstreamBody body, std::unique_ptr<NativeWatcher> watcher,
                           RequestContext &context)
    : VendorStream(std::move(providers), std::move(provider), std::move(api_key), std::move(body), context),
      watcher_(std::move(watcher)) {}

NativeStream::~NativeStream() = default;

bool NativeStream::on_event(std::string_view event, std::string_view data) {
    if (watcher_->event(event, data, usage_)) complete_ = true;
    return true;
}

void NativeStream::take(std::string_view piece) {
    // The bytes go out as they came; the deframer only reads along.
    pending_.append(piece);
    deframer_.feed(piece, [this](std::string_view event, std::string_view data) { return on_event(event, data); });
    count_usage(usage_, context_);
}

void NativeStream::end_of_body() {
    release_body();
    deframer_.finish([this](std::string_view event, std::string_view data) { return on_event(event, data); });
    count_usage(usage_, context_);
    finished_ = true;
    // A vendor may end a stream by closing the connection; only a stream
    // that stops before the dialect's last event is a failure.
    if (!complete_)
        throw GatewayError(ErrorCode::upstream_error, "the vendor's stream ended before its last event", {},
                           provider().id());
}

void NativeStream::report_failure(const GatewayError &error) {
    if (deframer_.held_bytes() > 0) pending_ += "\n\n";
    watcher_->failure(pending_, error);
}

}  // namespace sb::core
