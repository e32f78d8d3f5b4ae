#include "core/net/http_server.hpp"

#include "core/log.hpp"
#include "core/net/body_budget.hpp"
#include "core/net/coarse_deadlines.hpp"
#include "core/net/exact_allocator.hpp"
#include "core/net/connection_slots.hpp"
#include "core/net/parse_buffered.hpp"
#include "core/net/write_now.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <charconv>
#include <optional>
#include <mutex>
#include <cerrno>
#include <malloc.h>
#include <sys/socket.h>

namespace sb::core {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

Response plain_refusal(http::status status, std::string_view message) {
    Response response(status, 11);
    response.set(http::field::content_type, "text/plain");
    response.body() = std::string(message);
    return response;
}

}  // namespace

HttpServer::HttpServer(asio::io_context &io, const asio::ip::tcp::endpoint &endpoint, SessionFactory sessions,
                       ServerLimits limits, std::vector<asio::io_context *> workers, RefusalFormat refusal)
    : io_(io), acceptor_(io), sessions_(std::move(sessions)),
      refusal_(refusal ? std::move(refusal) : RefusalFormat(plain_refusal)), limits_(limits),
      workers_(std::move(workers)),
      slots_(std::make_shared<ConnectionSlots>(ConnectionSlots::Limits{
          limits.max_connections, limits.max_connections_per_client, limits.limit_loopback_clients})),
      bodies_(std::make_shared<BodyBudget>(limits.max_body_memory)), watches_(std::make_shared<WatchList>()) {
    if (workers_.empty()) workers_.push_back(&io_);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

HttpServer::~HttpServer() = default;

asio::ip::tcp::endpoint HttpServer::local_endpoint() const { return acceptor_.local_endpoint(); }

std::size_t HttpServer::open_connections() const { return slots_->open(); }

std::size_t HttpServer::body_memory_in_use() const noexcept { return bodies_->used(); }

void HttpServer::start() {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    asio::co_spawn(io_, watch_tick(), asio::detached);
}

void HttpServer::stop() {
    acceptor_open_.store(false);
    beast::error_code ec;
    acceptor_.close(ec);
}

namespace {

// A connection's wait for the first byte of its next request, as the
// connection slots see it: when the server is full, the connection idle the
// longest is closed to make room, unless a byte has arrived meanwhile.
struct IdleWait final : ConnectionSlots::Idle {
    asio::io_context *loop = nullptr;  // the connection's
    std::weak_ptr<IdleWait> self;      // aliases the connection's shared state
    // Set while the connection waits, on its loop only.
    asio::ip::tcp::socket *socket = nullptr;
    const beast::flat_buffer *buffer = nullptr;

    void close_if_idle() override {
        // Listed, so its connection (and this object) is alive: lock() holds.
        asio::post(*loop, [wait = self.lock()] {
            if (!wait || !wait->socket || wait->buffer->size() > 0) return;
            beast::error_code ignored;
            wait->socket->cancel(ignored);  // the read ends with operation_aborted: the connection closes
        });
    }
};

// Lists a connection as idle for the scope of its wait for a request.
class IdleScope {
public:
    // Not listed when a request has begun to arrive (pipelined).
    IdleScope(ConnectionSlots &slots, IdleWait &wait, asio::ip::tcp::socket &socket,
              const beast::flat_buffer &buffer)
        : slots_(buffer.size() == 0 ? &slots : nullptr), wait_(wait) {
        if (!slots_) return;
        wait_.socket = &socket;
        wait_.buffer = &buffer;
        slots_->enter_idle(wait_);
    }
    ~IdleScope() {
        if (!slots_) return;
        slots_->leave_idle(wait_);
        wait_.socket = nullptr;
        wait_.buffer = nullptr;
    }
    IdleScope(const IdleScope &) = delete;
    IdleScope &operator=(const IdleScope &) = delete;

private:
    ConnectionSlots *slots_;
    IdleWait &wait_;
};

}  // namespace

// Cancels the request being handled when its client closes the connection,
// so the work (and the upstream request) stops at once: a completion handler
// on a socket wait. Its signal is bound to the connection's coroutine, and
// the completion handler of that coroutine owns the watch, so the signal
// outlives every operation that may have installed a handler in its slot.
// It fires only while a request is being handled; the connection ends then.
//
// Arming costs a system call (the wait re-arms the socket in epoll) and
// disarming a scheduler round, so a request is only watched once it has
// been in flight across a tick (250 to 500 ms): the many
// short requests never pay for it, a long completion or a held stream does.
struct HttpServer::ClientWatch : std::enable_shared_from_this<ClientWatch> {
    IdleWait idle;  // the same connection between requests; in this allocation
    asio::cancellation_signal cancel;
    asio::ip::tcp::socket *socket = nullptr;  // set while a request is in flight
    bool armed = false;
    bool client_gone = false;
    Exchange *exchange = nullptr;  // the request in flight, told why it was cut
    // Guarded by WatchList::mutex.
    ClientWatch *prev = nullptr;
    ClientWatch *next = nullptr;
    std::uint64_t since_tick = 0;
    bool arm_posted = false;

    // On the connection's executor, while socket is set.
    static void arm(const std::shared_ptr<ClientWatch> &watch) {
        watch->armed = true;
        auto on_ready = [watch](beast::error_code ec) {
            if (ec || !watch->armed) return;  // disarmed: the socket may be gone
            char probe;
            const ssize_t n = ::recv(watch->socket->native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n > 0) return;  // a pipelined request: let the handler finish
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                arm(watch);
                return;
            }
            watch->cut(false);
        };
        // Pending for as long as a stream is held: its own size, not a recycled block.
        watch->socket->async_wait(asio::ip::tcp::socket::wait_read,
                                  asio::bind_allocator(ExactAllocator<>(), std::move(on_ready)));
    }

    // The client left (or shutdown came): the handler's waits are cancelled.
    void cut(bool at_shutdown) {
        client_gone = true;
        if (exchange) HttpServer::mark_cut(*exchange, at_shutdown);
        cancel.emit(asio::cancellation_type::terminal);
    }

    void disarm() {
        if (!armed) return;
        armed = false;
        beast::error_code ignored;
        socket->cancel(ignored);
    }
};

// The requests in flight, oldest first, for the tick. Intrusive: joining
// and leaving cost no allocation.
struct HttpServer::WatchList {
    std::mutex mutex;
    ClientWatch head;  // sentinel
    std::uint64_t tick = 0;

    WatchList() { head.prev = head.next = &head; }

    // On the connection's executor, around the handler.
    void join(ClientWatch &watch, asio::ip::tcp::socket &socket) {
        watch.socket = &socket;
        std::lock_guard lock(mutex);
        watch.since_tick = tick;
        watch.arm_posted = false;
        watch.prev = head.prev;
        watch.next = &head;
        head.prev->next = &watch;
        head.prev = &watch;
    }
    void leave(ClientWatch &watch) {
        {
            std::lock_guard lock(mutex);
            watch.prev->next = watch.next;
            watch.next->prev = watch.prev;
            watch.prev = watch.next = nullptr;
        }
        watch.disarm();
        watch.socket = nullptr;
        watch.exchange = nullptr;
    }

    // Cancels, on each connection's own executor, every request in flight.
    void cancel_all() {
        std::lock_guard lock(mutex);
        for (ClientWatch *w = head.next; w != &head; w = w->next)
            asio::post(w->socket->get_executor(), [watch = w->shared_from_this()] {
                if (!watch->socket) return;  // its request has ended meanwhile
                watch->cut(true);
            });
    }

    // Arms, on each connection's own executor, the watches of requests that
    // have crossed a whole tick.
    void arm_overdue() {
        std::lock_guard lock(mutex);
        ++tick;
        for (ClientWatch *w = head.next; w != &head && w->since_tick + 1 < tick; w = w->next) {
            if (w->arm_posted) continue;
            w->arm_posted = true;
            asio::post(w->socket->get_executor(), [watch = w->shared_from_this()] {
                // leave() runs on this executor and clears socket. Should the
                // connection have moved on to its next request, that one is
                // merely watched early.
                if (watch->socket && !watch->armed) ClientWatch::arm(watch);
            });
        }
    }
};

boost::asio::awaitable<std::size_t> BodySource::wait() { co_return 0; }

void HttpServer::mark_cut(Exchange &exchange, bool at_shutdown) noexcept {
    exchange.client_gone_ = true;
    exchange.cut_at_shutdown_ = exchange.cut_at_shutdown_ || at_shutdown;
}

void HttpServer::cancel_requests() { watches_->cancel_all(); }

namespace {

// Out of descriptors or kernel memory: the pending connection stays queued
// and accepting again at once fails again, so the loop would spin.
bool out_of_resources(const beast::error_code &ec) {
    return ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
}

}  // namespace

asio::awaitable<void> HttpServer::accept_loop() {
    std::uint64_t refused_in_a_row = 0;
    while (acceptor_.is_open()) {
        beast::error_code ec;
        asio::io_context &worker = *workers_[next_worker_++ % workers_.size()];
        asio::ip::tcp::socket socket =
            co_await acceptor_.async_accept(worker.get_executor(), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
            if (!out_of_resources(ec)) {
                core::log_event(core::LogLevel::warn, "accept_failed", {{"reason", ec.message()}});
                continue;
            }
            // Once per episode in the log; retried every 50 ms until a
            // connection closes and frees a descriptor.
            if (refused_in_a_row++ == 0)
                core::log_event(core::LogLevel::warn, "accept_failed", {{"reason", ec.message()}});
            asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        if (refused_in_a_row != 0) {
            core::log_event(core::LogLevel::warn, "accept_resumed",
                            {{"retries", std::to_string(refused_in_a_row)}});
            refused_in_a_row = 0;
        }
        const asio::ip::address peer = socket.remote_endpoint(ec).address();
        if (ec || slots_->admit(peer) != ConnectionSlots::Verdict::admitted) {
            socket.close(ec);  // over the cap or the client's share: shed load before reading anything
            continue;
        }
        // Responses are written whole and SSE events one write each: Nagle
        // would hold an event back until the client's delayed ACK (~40 ms).
        socket.set_option(asio::ip::tcp::no_delay(true), ec);
        socket.non_blocking(true, ec);  // for write_now
        const auto executor = socket.get_executor();  // before the socket is moved from
        auto watch = std::make_shared<ClientWatch>();
        watch->idle.loop = &worker;
        watch->idle.self = std::shared_ptr<IdleWait>(watch, &watch->idle);
        auto slot = watch->cancel.slot();
        asio::co_spawn(executor,
                       serve(std::move(socket), peer, asio::use_service<core::CoarseDeadlines>(worker), watch),
                       asio::bind_cancellation_slot(slot, [watch](const std::exception_ptr &) {}));
    }
}

// Every 250 ms: requests in flight across a tick get their client watched.
asio::awaitable<void> HttpServer::watch_tick() {
    asio::steady_timer timer(io_);
    while (acceptor_open_.load()) {
        timer.expires_after(std::chrono::milliseconds(250));
        co_await timer.async_wait(asio::use_awaitable);
        watches_->arm_overdue();
    }
}

namespace {

// A connection's socket and the deadline of the read or write under way. The
// deadline sits in the event loop's CoarseDeadlines, not in a timer
// operation per read and write; once passed it cancels the operation
// (operation_aborted). Disarmed after each operation: a stale one would
// cancel the client watch's wait.
struct Connection {
    asio::ip::tcp::socket &socket;
    core::CoarseDeadlines::Entry deadline;
};

// After refusing a request mid-body, read and discard what the client is
// still sending (bounded) so closing does not reset the connection before
// the client has read the refusal.
asio::awaitable<void> drain(Connection &conn) {
    beast::error_code ec;
    conn.socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    std::array<char, 64 * 1024> scratch;
    std::size_t total = 0;
    conn.deadline.arm(std::chrono::seconds(2));
    while (!ec && total < (64u << 20)) {
        total += co_await conn.socket.async_read_some(asio::buffer(scratch),
                                                      asio::redirect_error(asio::use_awaitable, ec));
    }
    conn.deadline.disarm();
}


// Thousands of streams leave their memory in malloc's free lists when they
// end, where it would stay for the life of the process: once most of a
// burst of connections has closed, hand the free memory back to the system.
void note_connections(std::size_t open_now) {
    constexpr std::size_t kBurst = 256;
    static std::atomic<std::size_t> peak{0};
    std::size_t seen = peak.load(std::memory_order_relaxed);
    while (open_now > seen && !peak.compare_exchange_weak(seen, open_now, std::memory_order_relaxed)) {
    }
    if (seen >= kBurst && open_now <= seen / 8 && peak.compare_exchange_strong(seen, open_now))
        malloc_trim(0);
}

// Status line and fields as they go on the wire. Written by hand rather
// than with Beast's serializer, which walks a buffer sequence per field and
// cost about a tenth of the daemon's instructions per proxied request.
std::string wire_head(const http::response_header<> &head) {
    std::string out;
    out.reserve(320);
    out.append(head.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    out.append(std::to_string(head.result_int())).push_back(' ');
    const auto reason = head.reason();
    out.append(reason.empty() ? http::obsolete_reason(head.result()) : reason).append("\r\n");
    for (const auto &field : head) out.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
    out.append("\r\n");
    return out;
}

// Writes wire whole: directly while the socket takes it, then (rarely) the
// rest asynchronously under the write deadline.
template <class Buffers>
asio::awaitable<void> write_all(Connection &conn, const Buffers &wire, std::chrono::seconds timeout,
                                beast::error_code &ec) {
    const std::size_t sent = core::write_now(conn.socket, wire, ec);
    if (ec || sent == asio::buffer_size(wire)) co_return;
    beast::buffers_suffix<Buffers> rest(wire);
    rest.consume(sent);
    conn.deadline.arm(timeout);
    co_await asio::async_write(conn.socket, rest, asio::redirect_error(asio::use_awaitable, ec));
    conn.deadline.disarm();
}

// A chunked body on the wire: the head goes out with the first piece, and
// each piece with its chunk framing, in one write: one system call per SSE
// event.
class ChunkedWriter {
public:
    ChunkedWriter(Connection &conn, beast::flat_buffer &read_buffer, Response &head, std::chrono::seconds timeout)
        : conn_(conn), read_buffer_(read_buffer), head_(head), timeout_(timeout) {}

    bool head_sent() const noexcept { return head_sent_; }
    bool complete() const noexcept { return finished_ && !failed_; }

    // False when the client has gone away.
    asio::awaitable<bool> write(std::string_view data) {
        if (failed_ || finished_) co_return false;
        if (data.empty() && head_sent_) co_return true;
        std::string head = head_sent_ ? std::string() : take_head();
        char size_line[24];
        std::size_t size_len = 0;
        if (!data.empty()) {
            char *end = std::to_chars(size_line, size_line + 16, data.size(), 16).ptr;
            end[0] = '\r';
            end[1] = '\n';
            size_len = static_cast<std::size_t>(end + 2 - size_line);
        }
        const std::array<asio::const_buffer, 4> wire{
            asio::buffer(head), asio::buffer(size_line, size_len),
            asio::buffer(data.data(), data.size()), asio::buffer("\r\n", data.empty() ? 0 : 2)};
        co_return co_await send(wire);
    }

    asio::awaitable<void> finish() {
        if (failed_ || finished_) co_return;
        std::string head = head_sent_ ? std::string() : take_head();
        const std::array<asio::const_buffer, 2> wire{asio::buffer(head), asio::buffer("0\r\n\r\n", 5)};
        co_await send(wire);
        finished_ = true;
    }

private:
    std::string take_head() {
        head_sent_ = true;
        // A stream may be held for minutes: the connection's read buffer,
        // empty until its next request, is not kept meanwhile.
        if (read_buffer_.size() == 0) read_buffer_.shrink_to_fit();
        head_.chunked(true);
        std::string().swap(head_.body());
        std::string wire = wire_head(head_.base());
        // Nor are the header fields (an allocation each) once on the wire:
        // from here on only the status is read.
        head_.base().clear();
        return wire;
    }

    template <class Buffers>
    asio::awaitable<bool> send(const Buffers &wire) {
        beast::error_code ec;
        co_await write_all(conn_, wire, timeout_, ec);
        failed_ = static_cast<bool>(ec);
        co_return !failed_;
    }

    Connection &conn_;
    beast::flat_buffer &read_buffer_;
    Response &head_;
    std::chrono::seconds timeout_;
    bool head_sent_ = false;
    bool finished_ = false;
    bool failed_ = false;
};

// The refusal of a request that could not be read (too large, malformed).
Response read_failure(beast::error_code ec, const ServerLimits &limits, const RefusalFormat &refusal) {
    if (ec == http::error::body_limit)
        return refusal(http::status::payload_too_large,
                       "request body exceeds the limit of " + std::to_string(limits.max_body_bytes) + " bytes");
    if (ec == http::error::header_limit)
        return refusal(http::status::request_header_fields_too_large, "request headers are too large");
    return refusal(http::status::bad_request, "malformed HTTP request: " + ec.message());
}

// The refusal of a request whose body would pass the memory budget of the
// bodies being read: a 503 the client may retry shortly.
Response body_memory_full(const RefusalFormat &refusal) {
    Response response = refusal(http::status::service_unavailable,
                                "the server is reading too many request bodies at once; retry shortly");
    response.set(http::field::retry_after, "1");
    return response;
}

// RFC 9112: a Transfer-Encoding other than exactly "chunked" (a coding this
// server does not decode, or a list another parser on the path may frame
// differently: request smuggling), one in an HTTP/1.0 request, and an
// HTTP/1.1 request without exactly one Host are refused.
std::optional<std::string_view> framing_error(const RequestHead &head) {
    const std::size_t codings = head.count(http::field::transfer_encoding);
    if (codings > 1 || (codings == 1 && !beast::iequals(head[http::field::transfer_encoding], "chunked")))
        return "unsupported Transfer-Encoding: only \"chunked\" is accepted";
    if (codings == 1 && head.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
    if (head.version() >= 11 && head.count(http::field::host) != 1)
        return "an HTTP/1.1 request needs exactly one Host header";
    return std::nullopt;
}

// Sends a refusal and ends the exchange politely: what the client is still
// sending is read and dropped (bounded) so closing does not reset the
// connection before the client has read the refusal.
asio::awaitable<void> refuse(Connection &conn, Response response) {
    response.keep_alive(false);
    response.prepare_payload();
    beast::error_code ec;
    conn.deadline.arm(std::chrono::seconds(5));
    co_await http::async_write(conn.socket, response, asio::redirect_error(asio::use_awaitable, ec));
    co_await drain(conn);
}

// What read_request needs besides the connection: the same for every
// request on it.
struct RequestReader {
    const ServerLimits &limits;
    const RefusalFormat &refusal;
    Session &session;
    BodyBudget &bodies;
    ConnectionSlots &slots;
    IdleWait &idle;
    const asio::ip::address &peer;
};

// A request read, or refused from its head with its body unread.
struct Incoming {
    Request request;
    BodyBudget::Share body_memory;  // given back once the handler is done with the body
    bool refused = false;           // Session::admits() said no: the handler answers the refusal
    bool body_unread = false;       // a body is on its way that will not be read
};

// Takes the share of the body budget a declared body needs, before it is
// read. A chunked body's share grows as it arrives (grow_to(capacity)).
bool reserve_declared_body(const http::request_parser<http::string_body> &parser, BodyBudget::Share &share,
                           const ServerLimits &limits) {
    const auto length = parser.content_length();
    if (!length) return true;
    if (*length > limits.max_body_bytes) return true;  // the parser refuses it (413)
    return share.grow_to(static_cast<std::size_t>(*length));
}

// The next request on the connection; nullopt when the connection ends
// (closed, timed out, or refused). Its own coroutine: the parser lives only
// while a request is read, not in the connection's frame for as long as a
// stream is held.
asio::awaitable<std::optional<Incoming>> read_request(Connection &conn, beast::flat_buffer &buffer,
                                                      const RequestReader &reader) {
    const ServerLimits &limits = reader.limits;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    beast::error_code ec;
    // Wait for the first byte of the next request with the idle deadline,
    // then give the whole request the read deadline.
    conn.deadline.arm(buffer.size() ? limits.read_timeout : limits.idle_timeout);
    {
        IdleScope idle(reader.slots, reader.idle, conn.socket, buffer);
        co_await http::async_read_header(conn.socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    std::optional<Incoming> incoming;
    if (!ec) {
        incoming.emplace();
        if (auto error = framing_error(parser.get())) {
            conn.deadline.disarm();
            co_await refuse(conn, reader.refusal(http::status::bad_request, *error));
            co_return std::nullopt;
        }
        // Decided on the head: a refused request's body is never read.
        if (!reader.session.admits(parser.get())) {
            conn.deadline.disarm();
            incoming->refused = true;
            incoming->body_unread = !parser.is_done();
            incoming->request.base() = std::move(parser.get().base());
            co_return incoming;
        }
        incoming->body_memory = BodyBudget::Share(reader.bodies);
        if (!reserve_declared_body(parser, incoming->body_memory, limits)) {
            conn.deadline.disarm();
            co_await refuse(conn, body_memory_full(reader.refusal));
            co_return std::nullopt;
        }
    }
    const bool chunked = !ec && parser.chunked();
    auto within_budget = [&] {
        return !chunked || incoming->body_memory.grow_to(parser.get().body().capacity());
    };
    if (!ec) core::parse_buffered(parser, buffer, ec);  // the body usually came with the head
    if (!ec && !parser.is_done()) {
        conn.deadline.arm(limits.read_timeout);
        if (!chunked)
            co_await http::async_read(conn.socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        while (chunked && !ec && !parser.is_done() && within_budget())
            co_await http::async_read_some(conn.socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    conn.deadline.disarm();
    // operation_aborted: a deadline passed, the server is shutting down, or
    // the connection was closed to make room while idle.
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted)
        co_return std::nullopt;
    if (ec || !within_budget()) {
        Response refusal = ec ? read_failure(ec, limits, reader.refusal) : body_memory_full(reader.refusal);
        parser.release();  // neither the body nor its share is kept while the refusal goes out
        incoming.reset();
        co_await refuse(conn, std::move(refusal));
        co_return std::nullopt;
    }
    incoming->request = parser.release();
    co_return incoming;
}

// What the server answers when the session's handler threw.
Reply handler_failed(const RefusalFormat &refusal, std::string_view reason) {
    core::log_event(core::LogLevel::error, "handler_failed", {{"reason", reason}});
    return Reply{refusal(http::status::internal_server_error, "internal error"), nullptr};
}

// The session's answer to one request; what escapes the handler is answered
// 500 (nothing when the client has gone). A coroutine of its own, as is
// write_whole(): what they hold while they run stays out of the
// connection's frame, which a held stream keeps for minutes.
asio::awaitable<Reply> answer(Session &session, Request &request, Exchange &exchange,
                              const RefusalFormat &refusal) {
    try {
        co_return co_await session.handle(request, exchange);
    } catch (const std::exception &e) {
        if (!exchange.client_gone()) co_return handler_failed(refusal, e.what());
    }
    co_return Reply{};
}

// Writes a response whose body is whole; false when the connection is to
// close after it.
asio::awaitable<bool> write_whole(Connection &conn, Response &response, unsigned version, bool keep_alive,
                                  bool body_unread, std::chrono::seconds timeout, ExchangeEnd &end) {
    response.version(version);
    response.keep_alive(keep_alive && response.keep_alive());
    response.prepare_payload();
    const std::string head = wire_head(response.base());
    const std::array<asio::const_buffer, 2> wire{asio::buffer(head), asio::buffer(response.body())};
    beast::error_code ec;
    co_await write_all(conn, wire, timeout, ec);
    end.head_sent = true;
    end.complete = !ec;
    if (!ec && body_unread) co_await drain(conn);  // the refusal is read before the connection closes
    co_return !ec && response.keep_alive();
}

void log_cut(const Request &request, const Exchange &exchange) {
    std::string_view target = request.target();
    target = target.substr(0, std::min(target.find('?'), std::size_t{200}));  // queries stay out of logs
    if (exchange.cut_at_shutdown())
        core::log_event(core::LogLevel::warn, "request_cut", {{"path", target}, {"reason", "shutdown"}});
    else
        core::log_event(core::LogLevel::info, "client_gone", {{"path", target}});
}

void close_connection(asio::ip::tcp::socket &socket) {
    beast::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
}

}  // namespace

asio::awaitable<void> HttpServer::serve(asio::ip::tcp::socket socket, asio::ip::address peer,
                                        CoarseDeadlines &deadlines, std::shared_ptr<ClientWatch> watch) {
    const std::shared_ptr<WatchList> watches = watches_;
    const std::shared_ptr<BodyBudget> bodies = bodies_;
    const std::shared_ptr<InFlight> in_flight = in_flight_;
    struct SlotHeld {  // admitted by accept_loop; given back however the connection ends
        std::shared_ptr<ConnectionSlots> slots;
        const asio::ip::address &peer;
        ~SlotHeld() {
            slots->release(peer);
            note_connections(slots->open());
        }
    } slot{slots_, peer};
    note_connections(slots_->open());

    const std::unique_ptr<Session> session = sessions_(peer);
    Connection conn{socket, CoarseDeadlines::Entry(deadlines, socket)};
    beast::flat_buffer buffer;
    const RequestReader reader{limits_, refusal_, *session, *bodies, *slot.slots, watch->idle, peer};
    for (;;) {
        std::optional<Incoming> next = co_await read_request(conn, buffer, reader);
        if (!next) break;
        Request &request = next->request;
        // Before the body's head clears the fields. A body left unread ends
        // the connection.
        const bool keep_alive = request.keep_alive() && !next->body_unread;
        Exchange exchange(peer);
        exchange.head_admitted_ = !next->refused;
        ExchangeEnd end;
        ++in_flight->requests;
        struct Ended {  // the session hears of every exchange once, however it ends
            Session &session;
            const Request &request;
            const Exchange &exchange;
            const ExchangeEnd &end;
            std::atomic<std::size_t> &requests;
            ~Ended() {
                session.ended(request, exchange, end);
                --requests;
            }
        } ended{*session, request, exchange, end, in_flight->requests};
        struct Watched {  // leaves the list however the exchange ends
            WatchList *list;
            ClientWatch &watch;
            void leave() {
                if (list) list->leave(watch);
                list = nullptr;
            }
            ~Watched() { leave(); }
        } watched{watches.get(), *watch};
        watch->exchange = &exchange;
        watches->join(*watch, socket);
        // Awaited in this coroutine: a cancellation from the watch reaches
        // whatever the handler is waiting on (an upstream read, a timer).
        Reply reply = co_await answer(*session, request, exchange, refusal_);
        next->body_memory.release();  // the handler is done with the body
        end.status = reply.head.result_int();
        if (reply.body && !exchange.client_gone()) {
            // A stream may be held for minutes: the request's header
            // fields (an allocation each) are not kept meanwhile; method,
            // target and version stay.
            request.base().clear();
            end.body_streamed = true;
            reply.head.version(request.version());
            ChunkedWriter writer(conn, buffer, reply.head, limits_.write_timeout);
            ++in_flight->bodies;
            try {
                for (;;) {
                    std::string bytes;  // per piece: a waiting stream keeps no buffer
                    co_await reply.body->wait();
                    if (!co_await reply.body->next(bytes) || !co_await writer.write(bytes)) break;
                }
                co_await writer.finish();
            } catch (const std::exception &e) {
                // Cancelled when the client went away; anything else ends the body early.
                if (!exchange.client_gone())
                    core::log_event(core::LogLevel::error, "body_failed", {{"reason", e.what()}});
            }
            --in_flight->bodies;
            reply.body.reset();
            end.head_sent = writer.head_sent();
            end.complete = writer.complete() && !exchange.client_gone();
        }
        watched.leave();
        if (exchange.client_gone()) {
            log_cut(request, exchange);
            break;
        }
        if (end.body_streamed) {
            if (!end.complete || !keep_alive || !acceptor_open_.load()) break;
            continue;
        }
        if (!co_await write_whole(conn, reply.head, request.version(), keep_alive, next->body_unread,
                                  limits_.write_timeout, end) ||
            !acceptor_open_.load())
            break;
    }
    close_connection(socket);
}

}  // namespace sb::core
