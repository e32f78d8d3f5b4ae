#pragma once
// What the two streams the server pumps from a vendor share (ChatStream
// translates, NativeStream relays): the vendor's body read piece by piece
// as the client takes bytes, the first bytes read before the head goes out,
// and one way to fail: thrown while nothing went out, in the stream after.
// A held stream is a plain object: it keeps no chain of coroutine frames,
// only what the next piece needs.
#include "core/errors.hpp"
#include "core/gateway/request_context.hpp"
#include "core/net/http_server.hpp"
#include "core/plugin/provider_registry.hpp"
#include "core/upstream/upstream_client.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace sb::core {

class VendorStream : public BodySource {
public:
    ~VendorStream() override;
    VendorStream(const VendorStream &) = delete;
    VendorStream &operator=(const VendorStream &) = delete;

    // Reads until the client's first bytes are ready, keeping them for the
    // first next(). Throws GatewayError: a failure until then is still an
    // error response, and a fallback chain's next target may serve.
    boost::asio::awaitable<void> start();
    // Appends the next bytes to out, waiting for the vendor as needed; false
    // once everything, the end last, has been handed out. A failure from
    // here on is written into the stream (report_failure): nothing is
    // thrown but a cancellation of the wait.
    boost::asio::awaitable<bool> next(std::string &out) final;
    // Waits until next() has something to work on, holding as little as a
    // wait can (see UpstreamBody::wait): thousands of streams may wait at
    // once. Completes at once when there is no such wait to make.
    boost::asio::awaitable<std::size_t> wait() final;

protected:
    // body: the vendor's 2xx answer, headers dropped. context must outlive
    // the stream.
    VendorStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
                 std::string api_key, UpstreamBody body, RequestContext &context);

    // One piece of the vendor's body: what it makes for the client goes to
    // pending_. May throw GatewayError or std::length_error.
    virtual void take(std::string_view piece) = 0;
    // The vendor's body has ended (read to its end). May throw GatewayError.
    virtual void end_of_body() = 0;
    // A failure after the head: its word for the client, into pending_.
    virtual void report_failure(const GatewayError &error) = 0;

    // Ends the stream with e: thrown while the client has seen nothing,
    // otherwise noted in the context and reported in the stream.
    void fail(GatewayError e);
    // The body was read to its end: the connection goes back to the pool.
    void release_body() { body_ = UpstreamBody(); }

    const LoadedProvider &provider() const noexcept { return *provider_; }

    std::string pending_;  // the client's next bytes
    RequestContext &context_;
    bool finished_ = false;  // nothing more to read; the end is in pending_

private:
    std::shared_ptr<const ProviderSet> providers_;  // keeps the plugin loaded
    std::shared_ptr<const LoadedProvider> provider_;
    std::string api_key_;  // redacted from error messages
    UpstreamBody body_;    // none once the body has ended
    bool handed_out_ = false;  // the client may have seen bytes: fail() no longer throws
};

}  // namespace sb::core
