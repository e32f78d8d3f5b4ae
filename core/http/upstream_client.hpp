#pragma once
// Outbound HTTP(S) to vendor APIs: keep-alive pooling per origin, verified
// TLS with SNI, connect/read/total deadlines, a response size cap, and no
// redirect following (a 3xx is returned to the caller as is).
#include "core/http/http_message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::core {

struct UpstreamTimeouts {
    std::chrono::milliseconds connect{10'000};
    std::chrono::milliseconds read{60'000};  // longest silence while reading (idle between stream chunks)
    std::chrono::milliseconds total{120'000};
    std::chrono::milliseconds first_byte{0};  // wait for the response head; 0 = same as read
};

enum class UpstreamFailure {
    invalid_url,   // not an absolute http(s) URL
    resolve,       // DNS failure
    connect,       // refused / unreachable
    tls,           // handshake or certificate verification failed
    timeout,       // any of the deadlines passed
    too_large,     // response over the size cap
    protocol,      // not HTTP, malformed, or closed early
};

// Thrown by UpstreamClient. what() names the origin (scheme://host:port) and
// the cause, never the path, query or any header value.
class UpstreamError : public std::runtime_error {
public:
    UpstreamError(UpstreamFailure failure, const std::string &message)
        : std::runtime_error(message), failure_(failure) {}
    UpstreamFailure failure() const noexcept { return failure_; }

private:
    UpstreamFailure failure_;
};

struct UpstreamClientOptions {
    std::size_t max_response_bytes = 64u << 20;
    // As many as the concurrent requests to one vendor: a smaller pool makes
    // every request beyond it open (and then close) a connection. Counted
    // per I/O thread when single_threaded.
    std::size_t max_idle_per_origin = 1024;
    std::chrono::seconds idle_keepalive{60};
    bool verify_tls = true;
    // Every executor a request runs on is run by one thread (the daemon's
    // io_context per thread): a connection lives on the executor of the
    // request that opened it, needs no strand, and is reused only by
    // requests on that same executor, so its I/O never crosses threads.
    bool single_threaded = false;
    std::string ca_file;  // extra CA bundle (tests); system store always used
    // When set, resolved addresses it rejects are never connected to.
    std::function<bool(const boost::asio::ip::address &)> address_allowed;
};

// Called once with the response head (status and headers, body empty).
// Return true to stream the body to the BodyChunkHandler, false to have it
// collected into the returned response instead (error statuses).
using HeadHandler = std::function<bool(const UpstreamResponse &head)>;
// Called for each piece of a streamed body as it arrives. Returning false
// stops reading and closes the connection (client went away).
// The read of the next piece waits for the returned awaitable: a slow
// consumer slows the upstream read (backpressure) instead of buffering.
using BodyChunkHandler = std::function<boost::asio::awaitable<bool>(std::string_view piece)>;

class UpstreamClient {
public:
    UpstreamClient(boost::asio::any_io_executor executor, UpstreamClientOptions options = {});
    ~UpstreamClient();
    UpstreamClient(const UpstreamClient &) = delete;
    UpstreamClient &operator=(const UpstreamClient &) = delete;

    // Sends one request and reads the whole response (any status).
    // Throws UpstreamError.
    boost::asio::awaitable<UpstreamResponse> send(UpstreamRequest request, UpstreamTimeouts timeouts);

    // Sends one request and delivers the body piece by piece as it arrives
    // (the read timeout applies between pieces). Completes when the body has
    // ended or a handler returned false. When the body was streamed, the
    // returned response carries the status only (on_head saw the headers).
    // Throws UpstreamError.
    boost::asio::awaitable<UpstreamResponse> send_streaming(UpstreamRequest request,
                                                            UpstreamTimeouts timeouts,
                                                            HeadHandler on_head,
                                                            BodyChunkHandler on_chunk);

    // Idle pooled connections now (for tests and metrics).
    std::size_t idle_connections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sb::core
