#pragma once
// A chat stream once its vendor head (and first events) have arrived: the
// server pulls the client's bytes from it as the vendor produces them. It
// is a plain object, so a held stream keeps no chain of coroutine frames,
// only what the next event needs.
#include "core/errors.hpp"
#include "core/gateway/request_context.hpp"
#include "core/net/http_server.hpp"
#include "core/plugin/provider_registry.hpp"
#include "core/upstream/event_deframer.hpp"
#include "core/upstream/upstream_client.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace sb::core {

// How a unified chat stream is written for the client: the wire format of
// the client's dialect (OpenAI SSE, Anthropic's events...), chosen by the
// host.
class StreamEncoder {
public:
    virtual ~StreamEncoder() = default;
    // One unified chat.completion.chunk.
    virtual void chunk(std::string &out, std::string_view chunk_json) = 0;
    // A failure after the head went out: the only word of it the client gets.
    virtual void failure(std::string &out, const GatewayError &error) = 0;
    // The end of the stream.
    virtual void end(std::string &out) = 0;
};

// A stream's encoder: a dialect's shared stateless one (no allocation per
// stream), or a stateful one the stream owns.
class EncoderRef {
public:
    static EncoderRef shared(StreamEncoder &encoder) noexcept { return EncoderRef(&encoder, nullptr); }
    static EncoderRef owned(std::unique_ptr<StreamEncoder> encoder) noexcept {
        StreamEncoder *raw = encoder.get();
        return EncoderRef(raw, std::move(encoder));
    }
    StreamEncoder &operator*() const noexcept { return *encoder_; }
    StreamEncoder *operator->() const noexcept { return encoder_; }

private:
    EncoderRef(StreamEncoder *encoder, std::unique_ptr<StreamEncoder> owned) noexcept
        : encoder_(encoder), owned_(std::move(owned)) {}
    StreamEncoder *encoder_;
    std::unique_ptr<StreamEncoder> owned_;
};

// Makes the encoder of one attempt's stream: each attempt of a fallback
// chain gets a fresh one, so an attempt that fails before its first bytes
// leaves no state behind.
using EncoderFactory = std::function<EncoderRef()>;

class ChatStream final : public BodySource {
public:
    // translator turns the vendor's events into unified chunks; body is the
    // vendor's answer (2xx, headers dropped). context must outlive the stream.
    ChatStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
               std::string api_key, std::unique_ptr<ProviderStream> translator, UpstreamBody body,
               EncoderRef encoder, RequestContext &context);
    ~ChatStream() override;
    ChatStream(const ChatStream &) = delete;
    ChatStream &operator=(const ChatStream &) = delete;

    // Reads until the client's first bytes are ready, keeping them for the
    // first next(). Throws GatewayError: a failure until then is still an
    // error response, and a fallback chain's next target may serve.
    boost::asio::awaitable<void> start();
    // Appends the next bytes to out, waiting for the vendor as needed; false
    // once everything, the end last, has been handed out. A failure from
    // here on becomes the encoder's failure before the end: nothing is
    // thrown but a cancellation of the wait.
    boost::asio::awaitable<bool> next(std::string &out) override;
    // Waits until next() has something to work on, holding as little as a
    // wait can (see UpstreamBody::wait): thousands of streams may wait at
    // once. Completes at once when there is no such wait to make.
    boost::asio::awaitable<std::size_t> wait() override;

private:
    void take(std::string_view piece);
    void end_of_body();
    bool on_event(std::string_view event, std::string_view data);
    void on_chunk(std::string_view json);
    void fail(GatewayError e);

    std::shared_ptr<const ProviderSet> providers_;  // keeps the plugin loaded
    std::shared_ptr<const LoadedProvider> provider_;
    std::string api_key_;  // redacted from error messages
    std::unique_ptr<ProviderStream> translator_;
    UpstreamBody body_;  // none once the body has ended
    EventDeframer deframer_;
    EncoderRef encoder_;
    std::string pending_;
    RequestContext &context_;
    std::size_t events_seen_ = 0;
    bool vendor_ended_ = false;  // the vendor signalled the end
    bool finished_ = false;      // the end is in pending_
    bool handed_out_ = false;    // the client may have seen bytes: fail() no longer throws
};

}  // namespace sb::core
