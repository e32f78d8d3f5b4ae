#pragma once
// The inbound HTTP/1.1 server: one coroutine per connection, keep-alive,
// bounded headers and body, idle and read deadlines, a connection cap with a
// per-client share, a budget for the bodies being read, and a check of each
// request's head before its body is read.
#include "core/chat/request_context.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {
class CoarseDeadlines;
}

namespace sb::host {

class BodyBudget;
class ConnectionSlots;

using RequestHead = boost::beast::http::request_header<>;
using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// A response body the connection pulls after the handler has returned: a
// held stream keeps this object, not the handler's coroutine frames.
class BodySource {
public:
    virtual ~BodySource() = default;
    // Appends the next bytes of the body to out; false once there are none.
    virtual boost::asio::awaitable<bool> next(std::string &out) = 0;
    // Waits until next() has something to work on, holding less than a
    // waiting next() would; the count it completes with is of no use. By
    // default there is nothing to wait for.
    virtual boost::asio::awaitable<std::size_t> wait();
    // The exchange is over: the body ended, could not be sent, or the client
    // went away. For bookkeeping (the access log); runs once.
    virtual void finished() noexcept {}
};

// Lets a handler answer with a chunked body sent piece by piece (SSE). The
// head is sent with the first write; if the handler never writes, the
// Response it returns is sent instead.
class ResponseStream {
public:
    // Ends a later() body's bookkeeping on every way out of the exchange.
    virtual ~ResponseStream() {
        if (later_) later_->finished();
    }
    // Status and headers to send with the first write (after it, the
    // status only: the fields are released).
    Response &head() noexcept { return head_; }
    const Response &head() const noexcept { return head_; }
    // The client's address (admin calls without a token are loopback-only).
    const boost::asio::ip::address &peer() const noexcept { return peer_; }
    bool started() const noexcept { return started_; }
    // Whether the server's HeadCheck has passed this request already (the
    // handler need not check it again); false without a HeadCheck.
    bool head_admitted() const noexcept { return head_admitted_; }
    // What this request did so far (read by the access log and metrics).
    core::RequestContext &context() noexcept { return context_; }
    const core::RequestContext &context() const noexcept { return context_; }
    // Returns false when the client has gone away.
    virtual boost::asio::awaitable<bool> write(std::string_view data) = 0;
    virtual boost::asio::awaitable<void> finish() = 0;
    // A body sent chunked, with head(), once the handler has returned (its
    // Response is then unused). A layer may wrap the source in its own.
    std::unique_ptr<BodySource> &later() noexcept { return later_; }

protected:
    Response head_;
    bool started_ = false;
    bool head_admitted_ = false;
    boost::asio::ip::address peer_;
    core::RequestContext context_;
    std::unique_ptr<BodySource> later_;
};

using RequestHandler = std::function<boost::asio::awaitable<Response>(Request &, ResponseStream &)>;

// Decides from a request's head (and the client's address), before a byte
// of its body is read, whether the body may be read. When not, the handler
// gets the request with its body unread, to answer the refusal, and the
// connection closes after the answer. On the connection's thread; must not
// throw.
using HeadCheck = std::function<bool(const RequestHead &, const boost::asio::ip::address &peer)>;

struct ServerLimits {
    std::size_t max_body_bytes = 32u << 20;
    // What the bodies of all requests being read or handled may hold
    // together; a request past it is refused (503) before its body is read.
    std::size_t max_body_memory = 256u << 20;
    std::size_t max_header_bytes = 64u << 10;
    std::size_t max_connections = 10000;
    // Most connections one client (an IPv4 address, an IPv6 /64) may hold;
    // 0: no limit. Loopback clients only with limit_loopback_clients.
    std::size_t max_connections_per_client = 0;
    bool limit_loopback_clients = false;
    std::chrono::seconds idle_timeout{75};   // between requests on a connection
    std::chrono::seconds read_timeout{60};   // to receive one whole request
};

class HttpServer {
public:
    // io accepts and runs the server's own timers. Connections go round-robin
    // to `workers` (io by default), io_contexts run by one thread each: a
    // connection needs no strand, and its read and write deadlines share its
    // loop's CoarseDeadlines.
    // check, when given, runs on every request's head (see HeadCheck).
    HttpServer(boost::asio::io_context &io, const boost::asio::ip::tcp::endpoint &endpoint,
               RequestHandler handler, ServerLimits limits,
               std::vector<boost::asio::io_context *> workers = {}, HeadCheck check = {});
    ~HttpServer();
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    void stop();  // stops accepting; open connections finish their request
    // Ends the requests still in flight as if their clients had gone away
    // (shutdown, once the grace period is over): their handlers and held
    // streams unwind and log before the event loops stop.
    void cancel_requests();
    std::size_t open_connections() const;
    std::size_t requests_in_flight() const noexcept { return in_flight_->load(); }
    // Bytes the bodies being read or handled hold now (see max_body_memory).
    std::size_t body_memory_in_use() const noexcept;

private:
    boost::asio::awaitable<void> accept_loop();
    struct ClientWatch;
    struct WatchList;
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, boost::asio::ip::address peer,
                                       core::CoarseDeadlines &deadlines, std::shared_ptr<ClientWatch> watch);
    // Every 250 ms on io_: watches the clients of requests in flight for
    // longer. (I/O deadlines are in CoarseDeadlines, not asio timers, so the
    // worker loops need no tick of their own.)
    boost::asio::awaitable<void> watch_tick();

    boost::asio::io_context &io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    RequestHandler handler_;
    HeadCheck check_;
    ServerLimits limits_;
    std::vector<boost::asio::io_context *> workers_;
    std::size_t next_worker_ = 0;  // accept_loop's only
    // Shared: connection frames may outlive the server.
    std::shared_ptr<ConnectionSlots> slots_;
    std::shared_ptr<BodyBudget> bodies_;
    std::atomic<bool> acceptor_open_{true};
    std::shared_ptr<std::atomic<std::size_t>> in_flight_ = std::make_shared<std::atomic<std::size_t>>(0);
    std::shared_ptr<WatchList> watches_;  // shared: connection frames may outlive the server
};

}  // namespace sb::host
