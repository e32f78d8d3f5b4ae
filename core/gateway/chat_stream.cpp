#include "core/gateway/chat_stream.hpp"

#include "core/gateway/upstream_errors.hpp"

namespace sb::core {

namespace {

StreamFraming framing_of(const LoadedProvider &provider) {
    return provider.info().stream_framing == SB_FRAMING_NDJSON ? StreamFraming::ndjson : StreamFraming::sse;
}

}  // namespace

ChatStream::ChatStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
                       std::string api_key, std::unique_ptr<ProviderStream> translator, UpstreamBody body,
                       EncoderRef encoder, RequestContext &context)
    : VendorStream(std::move(providers), provider, std::move(api_key), std::move(body), context),
      translator_(std::move(translator)), deframer_(framing_of(*provider)), encoder_(std::move(encoder)) {}

ChatStream::~ChatStream() = default;

void ChatStream::take(std::string_view piece) {
    deframer_.feed(piece, [this](std::string_view event, std::string_view data) { return on_event(event, data); });
}

void ChatStream::end_of_body() {
    release_body();
    deframer_.finish([this](std::string_view event, std::string_view data) { return on_event(event, data); });
    if (events_seen_ == 0) throw no_events_error(provider());
    translator_->finish([this](std::string_view json) { on_chunk(json); });
    count_usage(translator_->usage(), context_);
    encoder_->end(pending_);
    finished_ = true;
}

bool ChatStream::on_event(std::string_view event, std::string_view data) {
    ++events_seen_;
    if (!vendor_ended_) vendor_ended_ = translator_->feed(event, data, [this](std::string_view json) { on_chunk(json); });
    count_usage(translator_->usage(), context_);
    return true;
}

void ChatStream::on_chunk(std::string_view json) {
    encoder_->chunk(pending_, json);
}

void ChatStream::report_failure(const GatewayError &error) {
    encoder_->failure(pending_, error);
    encoder_->end(pending_);
}

}  // namespace sb::core
