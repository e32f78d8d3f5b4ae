#pragma once
// Outbound HTTP(S) to vendor APIs: keep-alive pooling per origin, verified
// TLS with SNI, connect/read/total deadlines, a response size cap, and no
// redirect following (a 3xx is returned to the caller as is).
// As a reader it takes every HTTP/1.1 (RFC 9112) and HTTP/1.0 framing:
// Content-Length, chunked (extensions and trailers), and bodies ended by the
// server closing the connection; 1xx interim responses are skipped. It asks
// for `Accept-Encoding: identity` and refuses an encoded body.
#include "core/upstream/http_message.hpp"

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
    protocol,      // not HTTP, malformed, or closed before any response
    truncated,     // closed before a declared length or the last chunk
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
    // per I/O thread.
    std::size_t max_idle_per_origin = 1024;
    std::chrono::seconds idle_keepalive{60};
    bool verify_tls = true;
    std::string ca_file;  // extra CA bundle (tests); system store always used
    // When set, resolved addresses it rejects are never connected to.
    std::function<bool(const boost::asio::ip::address &)> address_allowed;
};

class UpstreamClient;

// A response whose head has arrived and whose body its owner reads as it
// comes. It owns the connection: destroying it returns the connection to the
// pool when the body was read to its end, and closes it otherwise (a client
// that went away, an error). Must not outlive its UpstreamClient.
class UpstreamBody {
public:
    UpstreamBody() noexcept;  // none: head() and the reads are not to be called
    ~UpstreamBody();
    UpstreamBody(UpstreamBody &&) noexcept;
    UpstreamBody &operator=(UpstreamBody &&) noexcept;
    explicit operator bool() const noexcept { return state_ != nullptr; }

    // Status and headers (body empty).
    const UpstreamResponse &head() const noexcept;
    // Thousands of streams may wait at once: headers seen are not kept.
    void drop_headers() noexcept;

    // Read piece by piece: `while (!body.next_piece(piece)) co_await
    // body.read_more();` (two calls, so that a waiting stream holds no
    // coroutine frame of the client's).
    // The next piece of the body when what has been read holds one (empty
    // once the body has ended); false when read_more() must come first.
    // Throws UpstreamError, also for the failure of the last read_more().
    bool next_piece(std::string &piece);
    // Reads more of the body; the read timeout applies to each call.
    boost::asio::awaitable<std::size_t> read_more();
    // Thousands of streams may wait at once. wait() waits for the next bytes
    // of the body holding neither a buffer nor a frame: one pending 1-byte
    // read (the read timeout applies); the next next_piece() takes in what
    // has arrived. Only when can_wait() (a plain connection), after
    // next_piece() has returned true. The count it completes with is of no use.
    bool can_wait() const noexcept;
    boost::asio::awaitable<std::size_t> wait();
    // Status, headers and the rest of the body (up to the size cap); the
    // body is used up. Throws UpstreamError.
    boost::asio::awaitable<UpstreamResponse> read_all();

    struct State;

private:
    friend class UpstreamClient;
    explicit UpstreamBody(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// Requests run on io_context executors, each context run by one thread (the
// daemon's: one per I/O thread). A connection lives on the context of the
// request that opened it, needs no strand, and is reused only by requests
// on that context; a connection's deadlines (plain or TLS) sit in that
// context's CoarseDeadlines.
class UpstreamClient {
public:
    explicit UpstreamClient(UpstreamClientOptions options = {});
    ~UpstreamClient();
    UpstreamClient(const UpstreamClient &) = delete;
    UpstreamClient &operator=(const UpstreamClient &) = delete;

    // Sends one request and reads the whole response (any status).
    // Throws UpstreamError.
    boost::asio::awaitable<UpstreamResponse> send(UpstreamRequest request, UpstreamTimeouts timeouts);

    // Sends one request and reads the response head; the body is read from
    // the returned UpstreamBody (a slow reader slows the vendor's sending:
    // nothing is buffered ahead). Throws UpstreamError. The request is read
    // until the head has arrived, so it must outlive the awaitable: a caller
    // that retries sends the same request again without copying it.
    boost::asio::awaitable<UpstreamBody> open(const UpstreamRequest &request, UpstreamTimeouts timeouts);

    // Idle pooled connections now (for tests and metrics).
    std::size_t idle_connections() const;

private:
    friend class UpstreamBody;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sb::core
