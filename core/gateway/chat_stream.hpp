#pragma once
// A chat stream once its vendor head (and first events) have arrived: the
// server pulls the client's bytes from it as the vendor produces them,
// translated into the client's dialect by a StreamEncoder.
#include "core/errors.hpp"
#include "core/gateway/request_context.hpp"
#include "core/net/http_server.hpp"
#include "core/plugin/provider_registry.hpp"
#include "core/upstream/event_deframer.hpp"
#include "core/upstream/upstream_client.hpp"
#include "core/gateway/vendor_stream.hpp"

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

class ChatStream final : public VendorStream {
public:
    // translator turns the vendor's events into unified chunks; body is the
    // vendor's answer (2xx, headers dropped). context must outlive the stream.
    ChatStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
               std::string api_key, std::unique_ptr<ProviderStream> translator, UpstreamBody body,
               EncoderRef encoder, RequestContext &context);
    ~ChatStream() override;

private:
    void take(std::string_view piece) override;
    void end_of_body() override;
    // The encoder's failure, then its end.
    void report_failure(const GatewayError &error) override;
    bool on_event(std::string_view event, std::string_view data);
    void on_chunk(std::string_view json);

    std::unique_ptr<ProviderStream> translator_;
    EventDeframer deframer_;
    EncoderRef encoder_;
    std::size_t events_seen_ = 0;
    bool vendor_ended_ = false;  // the vendor signalled the end
};

}  // namespace sb::core
