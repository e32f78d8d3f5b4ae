#pragma once
// Native pass-through: a client request in a vendor's own dialect sent to
// that vendor as written (the plugin only addresses and authenticates it,
// sb.native/1), and the vendor's answer relayed as received: status, body,
// and a stream's bytes as they arrive. The gateway still owns retries,
// deadlines and accounting; what it needs to know of the dialect (usage, the
// stream's last event, how to say "failed" after the head) a NativeWatcher
// from the host tells it.
#include "core/errors.hpp"
#include "core/gateway/request_context.hpp"
#include "core/gateway/vendor_stream.hpp"
#include "core/upstream/event_deframer.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace sb::core {

// One relayed exchange's view of its dialect (stateful: one per request).
class NativeWatcher {
public:
    virtual ~NativeWatcher() = default;
    // One event of a relayed stream: takes its token counts; true when it
    // is the dialect's last event (the stream is complete).
    virtual bool event(std::string_view name, std::string_view data, TokenUsage &usage) = 0;
    // A whole (non-streamed) 2xx answer: takes its token counts.
    virtual void answer(std::string_view body, TokenUsage &usage) = 0;
    // A failure after the head went out, as the dialect's error event.
    virtual void failure(std::string &out, const GatewayError &error) = 0;
};

// The vendor's answer to a native request. A 2xx stream comes as `stream`
// (the server pumps it); anything else whole in `body`.
struct NativeAnswer {
    int status = 0;
    HeaderList headers;  // the vendor's, as received (the host picks what to relay)
    std::string body;
    std::unique_ptr<BodySource> stream;
};

// A 2xx vendor stream relayed byte for byte; an EventDeframer reads along
// for the watcher.
class NativeStream final : public VendorStream {
public:
    NativeStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
                 std::string api_key, UpstreamBody body, std::unique_ptr<NativeWatcher> watcher,
                 RequestContext &context);
    ~NativeStream() override;

private:
    void take(std::string_view piece) override;
    // A stream that stops before the dialect's last event has failed.
    void end_of_body() override;
    // The dialect's error event, after a blank line when an event was cut.
    void report_failure(const GatewayError &error) override;
    bool on_event(std::string_view event, std::string_view data);

    std::unique_ptr<NativeWatcher> watcher_;
    EventDeframer deframer_{StreamFraming::sse};
    TokenUsage usage_;
    bool complete_ = false;  // the dialect's last event has been seen
};

}  // namespace sb::core
