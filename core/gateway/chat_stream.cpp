#include "core/gateway/chat_stream.hpp"

#include "core/gateway/upstream_errors.hpp"

namespace sb::core {

namespace {

StreamFraming framing_of(const LoadedProvider &provider) {
    return provider.info().stream_framing == SB_FRAMING_NDJSON ? StreamFraming::ndjson : StreamFraming::sse;
}

boost::asio::awaitable<std::size_t> nothing_to_wait_for() { co_return 0; }

}  // namespace

ChatStream::ChatStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
                       std::string api_key, std::unique_ptr<ProviderStream> translator, UpstreamBody body,
                       EncoderRef encoder, RequestContext &context)
    : providers_(std::move(providers)), provider_(std::move(provider)), api_key_(std::move(api_key)),
      translator_(std::move(translator)), body_(std::move(body)), deframer_(framing_of(*provider_)),
      encoder_(std::move(encoder)), context_(context) {}

ChatStream::~ChatStream() = default;

boost::asio::awaitable<void> ChatStream::start() {
    std::string first;
    co_await next(first);
    pending_ = std::move(first);  // handed out by the first next()
}

boost::asio::awaitable<bool> ChatStream::next(std::string &out) {
    while (pending_.empty() && !finished_) {
        const auto started = RequestContext::Clock::now();
        std::string piece;
        try {
            while (!body_.next_piece(piece)) co_await body_.read_more();
        } catch (const UpstreamError &e) {
            context_.upstream_wait += RequestContext::Clock::now() - started;
            fail(transport_error(*provider_, api_key_, e));
            continue;
        }
        context_.upstream_wait += RequestContext::Clock::now() - started;
        try {
            if (piece.empty())
                end_of_body();
            else
                take(piece);
        } catch (const GatewayError &e) {
            fail(e);
        } catch (const std::length_error &) {
            fail(GatewayError(ErrorCode::upstream_error, "upstream stream event exceeds the size limit"));
        }
    }
    if (pending_.empty()) co_return false;
    handed_out_ = true;
    if (out.empty())
        out.swap(pending_);
    else
        out += pending_;
    std::string().swap(pending_);  // a waiting stream keeps no buffer
    co_return true;
}

boost::asio::awaitable<std::size_t> ChatStream::wait() {
    if (pending_.empty() && !finished_ && body_.can_wait()) return body_.wait();
    return nothing_to_wait_for();
}

void ChatStream::take(std::string_view piece) {
    deframer_.feed(piece, [this](std::string_view event, std::string_view data) { return on_event(event, data); });
}

void ChatStream::end_of_body() {
    body_ = UpstreamBody();  // read to its end: the connection goes back to the pool
    deframer_.finish([this](std::string_view event, std::string_view data) { return on_event(event, data); });
    if (events_seen_ == 0) throw no_events_error(*provider_);
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

void ChatStream::fail(GatewayError e) {
    e.with_provider(provider_->id());
    body_ = UpstreamBody();
    if (!handed_out_ && pending_.empty()) throw e;
    // The head goes (or went) out as 200: the error event is the only word
    // of this failure the client gets, and the access log says so.
    context_.error_type = error_code_name(e.code());
    context_.error_after_head = true;
    encoder_->failure(pending_, e);
    encoder_->end(pending_);
    finished_ = true;
}

}  // namespace sb::core
