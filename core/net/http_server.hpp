#pragma once
// The inbound HTTP/1.1 server: one coroutine per connection, keep-alive,
// bounded headers and body, idle and read deadlines, a connection cap with a
// per-client share, a budget for the bodies being read, and a check of each
// request's head before its body is read. It knows HTTP only: what a request
// means is the Session's business.
//
// One exchange: read the request -> Session::admits(head) -> read the body
// -> Session::handle() returns a Reply -> the server writes its head, then
// its body (whole, or pumped from a BodySource) -> Session::ended() once.
// Nothing but the server writes to the socket.
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

class BodyBudget;
class CoarseDeadlines;
class ConnectionSlots;

using RequestHead = boost::beast::http::request_header<>;
using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// A response body sent chunked after the head, pulled by the server: a held
// stream keeps this object, not the handler's coroutine frames.
class BodySource {
public:
    virtual ~BodySource() = default;
    // Appends the next bytes of the body to out; false once there are none.
    virtual boost::asio::awaitable<bool> next(std::string &out) = 0;
    // Waits until next() has something to work on, holding less than a
    // waiting next() would; the count it completes with is of no use. By
    // default there is nothing to wait for.
    virtual boost::asio::awaitable<std::size_t> wait();
};

// What a handler answers, as Beast's message_generator: the head, and
// either the head's own body (sent whole) or a source pumped chunked.
struct Reply {
    Response head;
    std::unique_ptr<BodySource> body;
};

// One request on a connection, as the server sees it.
class Exchange {
public:
    explicit Exchange(const boost::asio::ip::address &peer) noexcept : peer_(peer) {}
    const boost::asio::ip::address &peer() const noexcept { return peer_; }
    // Session::admits() passed this request's head: the handler need not
    // check it again. False for a refused head (its body is unread).
    bool head_admitted() const noexcept { return head_admitted_; }
    // The client left, or shutdown cut the exchange; the handler's waits
    // were cancelled. Set by the server.
    bool client_gone() const noexcept { return client_gone_; }
    bool cut_at_shutdown() const noexcept { return cut_at_shutdown_; }

private:
    friend class HttpServer;
    const boost::asio::ip::address &peer_;
    bool head_admitted_ = true;
    bool client_gone_ = false;
    bool cut_at_shutdown_ = false;
};

// How an exchange ended.
struct ExchangeEnd {
    unsigned status = 0;         // what the head said (or would have said)
    bool head_sent = false;
    bool body_streamed = false;  // a BodySource was pumped
    bool complete = false;       // every byte of the response went out
};

// The application's side of one connection: made when the connection is
// accepted, asked about each request on it in turn. On the connection's
// thread.
class Session {
public:
    virtual ~Session() = default;
    // Whether the request's body may be read, from its head alone. When not,
    // handle() gets the request with its body unread to answer the refusal,
    // and the connection closes after the answer. Must not throw.
    virtual bool admits(const RequestHead &) noexcept { return true; }
    // Answers one request. What escapes it is answered 500.
    virtual boost::asio::awaitable<Reply> handle(Request &request, Exchange &exchange) = 0;
    // Once per handle(), when its response has gone out or could not: the
    // one place that sees each exchange end (access log, metrics).
    virtual void ended(const Request &, const Exchange &, const ExchangeEnd &) noexcept {}
};

using SessionFactory = std::function<std::unique_ptr<Session>(const boost::asio::ip::address &peer)>;

// How the server words its own refusals (malformed, too large, too many
// bodies at once): the application's error format. A status and a reason.
using RefusalFormat = std::function<Response(boost::beast::http::status, std::string_view message)>;

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
    std::chrono::seconds write_timeout{60};  // for a write the client does not take
};

class HttpServer {
public:
    // io accepts and runs the server's own timers. Connections go round-robin
    // to `workers` (io by default), io_contexts run by one thread each: a
    // connection needs no strand, and its read and write deadlines share its
    // loop's CoarseDeadlines.
    // sessions makes each connection's Session; refusal words the refusals
    // the server makes itself (plain text when not given).
    HttpServer(boost::asio::io_context &io, const boost::asio::ip::tcp::endpoint &endpoint,
               SessionFactory sessions, ServerLimits limits,
               std::vector<boost::asio::io_context *> workers = {}, RefusalFormat refusal = {});
    ~HttpServer();
    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    void stop();  // stops accepting; open connections finish their request
    // Ends the requests still in flight as if their clients had gone away
    // (shutdown, once the grace period is over): their handlers and held
    // streams unwind and log before the event loops stop.
    void cancel_requests();
    std::size_t open_connections() const;
    // Exchanges between their request's arrival and their end; of those, the
    // ones whose body is being pumped (held streams).
    std::size_t requests_in_flight() const noexcept { return in_flight_->requests.load(); }
    std::size_t bodies_in_flight() const noexcept { return in_flight_->bodies.load(); }
    // Bytes the bodies being read or handled hold now (see max_body_memory).
    std::size_t body_memory_in_use() const noexcept;

private:
    boost::asio::awaitable<void> accept_loop();
    struct ClientWatch;
    static void mark_cut(Exchange &exchange, bool at_shutdown) noexcept;
    struct WatchList;
    struct InFlight {
        std::atomic<std::size_t> requests{0};
        std::atomic<std::size_t> bodies{0};
    };
    boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, boost::asio::ip::address peer,
                                       CoarseDeadlines &deadlines, std::shared_ptr<ClientWatch> watch);
    // Every 250 ms on io_: watches the clients of requests in flight for
    // longer. (I/O deadlines are in CoarseDeadlines, not asio timers, so the
    // worker loops need no tick of their own.)
    boost::asio::awaitable<void> watch_tick();

    boost::asio::io_context &io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    SessionFactory sessions_;
    RefusalFormat refusal_;
    ServerLimits limits_;
    std::vector<boost::asio::io_context *> workers_;
    std::size_t next_worker_ = 0;  // accept_loop's only
    // Shared: connection frames may outlive the server.
    std::shared_ptr<ConnectionSlots> slots_;
    std::shared_ptr<BodyBudget> bodies_;
    std::atomic<bool> acceptor_open_{true};
    std::shared_ptr<InFlight> in_flight_ = std::make_shared<InFlight>();  // shared: connection frames may outlive the server
    std::shared_ptr<WatchList> watches_;  // shared: connection frames may outlive the server
};

}  // namespace sb::core
