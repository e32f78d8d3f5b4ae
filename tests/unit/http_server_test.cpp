#define BOOST_TEST_MODULE http_server
#include <boost/test/unit_test.hpp>

#include "core/net/http_server.hpp"
#include "support/raw_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

// The server's own deadlines (read and idle), its held bodies, the check of
// a request's head before its body, the body memory budget, HTTP framing and
// the connection slots, against a plain socket client. The daemon's limits
// are 60 s and more; these use 1 s.

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using sb::core::BodySource;
using sb::core::Request;
using sb::core::Response;
using sb::core::Reply;

namespace {

using Clock = std::chrono::steady_clock;

// A body of `pieces` SSE events, `gap` apart.
class SlowBody final : public BodySource {
public:
    SlowBody(int pieces, std::chrono::milliseconds gap) : pieces_(pieces), gap_(gap) {}
    asio::awaitable<bool> next(std::string &out) override {
        if (sent_ == pieces_) co_return false;
        asio::steady_timer timer(co_await asio::this_coro::executor, gap_);
        co_await timer.async_wait(asio::use_awaitable);
        out += "data: " + std::to_string(sent_++) + "\n\n";
        co_return true;
    }

private:
    int pieces_;
    int sent_ = 0;
    std::chrono::milliseconds gap_;
};

sb::core::ServerLimits one_second_limits() {
    sb::core::ServerLimits limits;
    limits.idle_timeout = 1s;
    limits.read_timeout = 1s;
    return limits;
}

// "/private" needs "Authorization: Bearer ok"; everything else is open.
bool private_needs_token(const sb::core::RequestHead &head, const asio::ip::address &) {
    return head.target() != "/private" || head[boost::beast::http::field::authorization] == "Bearer ok";
}

using HeadCheck = bool (*)(const sb::core::RequestHead &, const asio::ip::address &);

struct ServerFixture;

// Answers "/slow" and "/slower" with held bodies, "/private" with 401
// unless authorized, anything else with "ok"; counts the streamed bodies
// that ended.
class TestSession final : public sb::core::Session {
public:
    TestSession(ServerFixture &fixture, const asio::ip::address &peer, HeadCheck check)
        : fixture_(fixture), peer_(peer), check_(check) {}
    bool admits(const sb::core::RequestHead &head) noexcept override { return !check_ || check_(head, peer_); }
    asio::awaitable<Reply> handle(Request &request, sb::core::Exchange &exchange) override;
    void ended(const Request &, const sb::core::Exchange &, const sb::core::ExchangeEnd &end) noexcept override;

private:
    ServerFixture &fixture_;
    asio::ip::address peer_;
    HeadCheck check_;
};

struct ServerFixture {
    explicit ServerFixture(sb::core::ServerLimits limits = one_second_limits(), HeadCheck check = nullptr) {
        server = std::make_unique<sb::core::HttpServer>(
            io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
            [this, check](const asio::ip::address &peer) { return std::make_unique<TestSession>(*this, peer, check); },
            limits);
        server->start();
        thread = std::thread([this] { io.run(); });
    }
    ~ServerFixture() {
        asio::post(io, [this] {  // on the server's thread, as the daemon's shutdown does
            server->stop();
            server->cancel_requests();
            stop_later.expires_after(1500ms);
            stop_later.async_wait([this](boost::system::error_code) { io.stop(); });
        });
        thread.join();
    }
    tcp::socket connect() {
        tcp::socket s(client_io);
        s.connect(server->local_endpoint());
        return s;
    }
    // A client that sees what the server sends and when, from
    // local_address (another loopback address is another client).
    sb::test::RawClient raw(const char *local_address = "127.0.0.1") {
        return sb::test::RawClient(server->local_endpoint().port(), local_address);
    }

    asio::io_context io;  // run by one thread, as each of the daemon's are
    asio::steady_timer stop_later{io};
    asio::io_context client_io;
    std::unique_ptr<sb::core::HttpServer> server;
    std::atomic<int> finished{0};
    std::atomic<int> handled{0};
    std::atomic<std::size_t> body_bytes_seen{0};
    std::atomic<bool> head_admitted{false};
    std::thread thread;
};

asio::awaitable<Reply> TestSession::handle(Request &request, sb::core::Exchange &exchange) {
    ++fixture_.handled;
    fixture_.body_bytes_seen = request.body().size();
    fixture_.head_admitted = exchange.head_admitted();
    Reply reply{Response{boost::beast::http::status::ok, request.version()}, nullptr};
    if (request.target() == "/private" && request[boost::beast::http::field::authorization] != "Bearer ok") {
        reply.head.result(boost::beast::http::status::unauthorized);
        reply.head.body() = "refused";
        co_return reply;
    }
    if (request.target() == "/slow" || request.target() == "/slower") {
        reply.head.set("content-type", "text/event-stream");
        reply.body = request.target() == "/slow" ? std::make_unique<SlowBody>(4, 600ms)
                                                 : std::make_unique<SlowBody>(3, 2000ms);
        co_return reply;
    }
    reply.head.body() = "ok";
    co_return reply;
}

void TestSession::ended(const Request &, const sb::core::Exchange &, const sb::core::ExchangeEnd &end) noexcept {
    if (end.body_streamed) ++fixture_.finished;
}

// Reads until the server closes the connection; returns what came and when.
std::string read_to_close(tcp::socket &s, long long &closed_after_ms, Clock::time_point since) {
    std::string got;
    char buf[4096];
    boost::system::error_code ec;
    for (;;) {
        const std::size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        got.append(buf, n);
    }
    closed_after_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
    return got;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_idle_connection_is_closed_after_the_idle_timeout) {
    ServerFixture f;
    tcp::socket s = f.connect();
    const auto start = Clock::now();
    long long took = 0;
    BOOST_TEST(read_to_close(s, took, start).empty());
    BOOST_TEST(took >= 900);
    BOOST_TEST(took < 1000 + 250 + 1000);  // a deadline is checked every 250 ms
}

BOOST_AUTO_TEST_CASE(a_request_sent_too_slowly_is_cut_at_the_read_timeout) {
    ServerFixture f;
    tcp::socket s = f.connect();
    asio::write(s, asio::buffer(std::string("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12")));
    const auto start = Clock::now();
    long long took = 0;
    BOOST_TEST(read_to_close(s, took, start).empty());
    BOOST_TEST(took >= 900);
    BOOST_TEST(took < 1000 + 250 + 1000);
}

BOOST_AUTO_TEST_CASE(a_held_body_outlives_the_read_deadline_of_its_request) {
    // 4 events 600 ms apart: 2.4 s, past the 1 s read and idle deadlines of
    // the request before it. The stream must arrive whole.
    ServerFixture f;
    tcp::socket s = f.connect();
    asio::write(s, asio::buffer(std::string("GET /slow HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")));
    long long took = 0;
    const std::string got = read_to_close(s, took, Clock::now());
    BOOST_TEST(got.find("data: 3\n\n") != std::string::npos, got);
    BOOST_TEST(got.find("\r\n0\r\n\r\n") != std::string::npos);  // the last chunk
    BOOST_TEST(took >= 2000);
}

BOOST_AUTO_TEST_CASE(a_client_leaving_a_held_body_ends_it_at_once) {
    // The client watch must still see the client go after the request's
    // deadlines have come and gone.
    ServerFixture f;
    tcp::socket s = f.connect();
    // Events 2 s apart: noticed by the watch, not by a failed write.
    asio::write(s, asio::buffer(std::string("GET /slower HTTP/1.1\r\nHost: a\r\n\r\n")));
    char buf[256];
    s.read_some(asio::buffer(buf));  // the head (the first event comes after 2 s)
    std::this_thread::sleep_for(1300ms);  // past the request's deadlines, and a tick for the watch
    s.close();
    const auto closed = Clock::now();
    while (f.finished.load() == 0 && Clock::now() - closed < 3s) std::this_thread::sleep_for(10ms);
    BOOST_TEST(f.finished.load() == 1);
    // Its next event was due 0.7 s later: the watch ended it, not a write.
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - closed).count() < 600);
}

BOOST_AUTO_TEST_CASE(a_request_refused_by_its_head_is_answered_before_its_body_is_sent) {
    ServerFixture f(one_second_limits(), private_needs_token);
    auto s = f.raw();
    // 32 MiB announced, not a byte of it sent: the refusal comes from the head.
    s.send("POST /private HTTP/1.1\r\nHost: a\r\nContent-Length: 33554432\r\n\r\n");
    const auto start = Clock::now();
    const std::string got = s.head(900ms);
    BOOST_TEST(got.rfind("HTTP/1.1 401", 0) == 0u, got);
    BOOST_TEST(got.find("Connection: close") != std::string::npos, got);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() < 800);
    BOOST_TEST(f.body_bytes_seen.load() == 0u);
    BOOST_TEST(!f.head_admitted.load());  // the handler must answer the refusal
    BOOST_TEST(f.server->body_memory_in_use() == 0u);
    // What the client sends anyway is dropped, then the connection closes.
    s.send(std::string(64 * 1024, 'x'));
    BOOST_TEST(s.closed_within(3000ms));
}

BOOST_AUTO_TEST_CASE(an_admitted_request_still_has_its_body_read) {
    ServerFixture f(one_second_limits(), private_needs_token);
    auto s = f.raw();
    s.send("POST /private HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ok\r\nContent-Length: 5\r\n\r\n");
    BOOST_TEST(s.head(200ms).empty());  // waits for the body
    s.send("hello");
    const std::string got = s.head(900ms);
    BOOST_TEST(got.rfind("HTTP/1.1 200", 0) == 0u, got);
    BOOST_TEST(f.body_bytes_seen.load() == 5u);
    BOOST_TEST(f.head_admitted.load());  // the handler need not check again
}

BOOST_AUTO_TEST_CASE(a_refused_request_without_a_body_keeps_the_connection) {
    ServerFixture f(one_second_limits(), private_needs_token);
    auto s = f.raw();
    for (int i = 0; i < 2; ++i) {
        s.send("GET /private HTTP/1.1\r\nHost: a\r\n\r\n");
        std::string got = s.head(900ms);
        BOOST_TEST(got.rfind("HTTP/1.1 401", 0) == 0u, got);
        BOOST_TEST(got.find("Connection: close") == std::string::npos, got);
        s.rest(50ms);  // the body ("refused")
    }
    BOOST_TEST(f.handled.load() == 2);
}

BOOST_AUTO_TEST_CASE(stalled_bodies_past_the_memory_budget_get_503) {
    auto limits = one_second_limits();
    limits.read_timeout = 3s;  // the stalled bodies hold their shares this long
    limits.max_body_memory = 2u << 20;
    ServerFixture f(limits);
    const std::string one_mib_head = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n";
    // Two clients announce 1 MiB each, send a little and stall: the budget is spent.
    auto a = f.raw();
    auto b = f.raw();
    a.send(one_mib_head + std::string(1000, 'a'));
    b.send(one_mib_head + std::string(1000, 'b'));
    const auto start = Clock::now();
    while (f.server->body_memory_in_use() < (2u << 20) && Clock::now() - start < 500ms)
        std::this_thread::sleep_for(5ms);
    BOOST_TEST(f.server->body_memory_in_use() == (2u << 20));
    // A third is refused at once, before its body is read.
    auto c = f.raw();
    c.send(one_mib_head);
    const std::string got = c.head(500ms);
    BOOST_TEST(got.rfind("HTTP/1.1 503", 0) == 0u, got);
    BOOST_TEST(got.find("Retry-After: 1") != std::string::npos, got);
    // A small body still fits in nothing: refused too.
    auto d = f.raw();
    d.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789");
    BOOST_TEST(d.head(500ms).rfind("HTTP/1.1 503", 0) == 0u);
    // A request without a body needs none of it.
    auto e = f.raw();
    e.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(e.head(500ms).rfind("HTTP/1.1 200", 0) == 0u);
    // Once the stalled clients are cut (read deadline), their shares come back.
    BOOST_TEST(a.closed_within(4500ms));
    BOOST_TEST(b.closed_within(4500ms));
    while (f.server->body_memory_in_use() > 0 && Clock::now() - start < 6s) std::this_thread::sleep_for(5ms);
    BOOST_TEST(f.server->body_memory_in_use() == 0u);
    auto g = f.raw();
    g.send(one_mib_head + std::string(1u << 20, 'g'));
    BOOST_TEST(g.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    BOOST_TEST(f.body_bytes_seen.load() == (1u << 20));
}

BOOST_AUTO_TEST_CASE(a_chunked_body_past_the_memory_budget_gets_503) {
    auto limits = one_second_limits();
    limits.max_body_memory = 256u << 10;
    ServerFixture f(limits);
    auto s = f.raw();
    s.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'c') + "\r\n";  // 64 KiB
    for (int i = 0; i < 8 && s.try_send(chunk); ++i) {  // 512 KiB in all
    }
    const std::string got = s.head(900ms);
    BOOST_TEST(got.rfind("HTTP/1.1 503", 0) == 0u, got);
    BOOST_TEST(f.handled.load() == 0);
    // Within the budget a chunked body is read whole.
    auto t = f.raw();
    t.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + "0\r\n\r\n");
    BOOST_TEST(t.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    BOOST_TEST(f.body_bytes_seen.load() == 0x10000u);
}

BOOST_AUTO_TEST_CASE(transfer_codings_other_than_chunked_are_refused_and_the_connection_closed) {
    ServerFixture f;
    for (const char *coding : {"gzip", "xchunked", "chunked, identity", "identity", "gzip, chunked", "chunked,chunked",
                               "chunked\r\nTransfer-Encoding: chunked"}) {
        BOOST_TEST_CONTEXT(coding) {
            auto s = f.raw();
            s.send(std::string("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ") + coding +
                             "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
            const std::string got = s.head(900ms);
            BOOST_TEST(got.rfind("HTTP/1.1 400", 0) == 0u, got);
            BOOST_TEST(s.closed_within(3000ms));
        }
    }
    BOOST_TEST(f.handled.load() == 0);
    // Exactly "chunked" (in any case) is read.
    auto s = f.raw();
    s.send("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    BOOST_TEST(s.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    BOOST_TEST(f.body_bytes_seen.load() == 5u);
}

BOOST_AUTO_TEST_CASE(an_http_1_1_request_needs_exactly_one_host) {
    ServerFixture f;
    for (const char *head : {"GET /x HTTP/1.1\r\n\r\n", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                             "POST /x HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}) {
        BOOST_TEST_CONTEXT(head) {
            auto s = f.raw();
            s.send(head);
            BOOST_TEST(s.head(900ms).rfind("HTTP/1.1 400", 0) == 0u);
            BOOST_TEST(s.closed_within(3000ms));
        }
    }
    BOOST_TEST(f.handled.load() == 0);
    auto s = f.raw();
    s.send("GET /x HTTP/1.0\r\n\r\n");  // HTTP/1.0 has no Host requirement
    BOOST_TEST(s.head(900ms).rfind("HTTP/1.0 200", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(at_the_connection_cap_the_longest_idle_connection_makes_room) {
    auto limits = one_second_limits();
    limits.idle_timeout = 10s;  // idle connections stay unless closed to make room
    limits.read_timeout = 5s;
    limits.max_connections = 3;
    ServerFixture f(limits);
    auto oldest = f.raw();  // idle since it connected
    std::this_thread::sleep_for(50ms);
    auto kept_alive = f.raw();  // one request, then idle
    kept_alive.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(kept_alive.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    auto busy = f.raw();  // half a request: not idle
    busy.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
    const auto start = Clock::now();
    while (f.server->open_connections() < 3 && Clock::now() - start < 500ms) std::this_thread::sleep_for(5ms);
    BOOST_TEST(f.server->open_connections() == 3u);

    // A new client gets in: the connection idle the longest is closed for it.
    auto newcomer = f.raw();
    newcomer.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(newcomer.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    BOOST_TEST(oldest.closed_within(2000ms));  // idle for 10 s otherwise
    // Next, the kept-alive one; the half-sent request is never cut for room.
    auto another = f.raw();
    another.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(another.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    BOOST_TEST(kept_alive.closed_within(2000ms));
    busy.send("cd");
    BOOST_TEST(busy.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(without_an_idle_connection_a_new_one_is_closed_at_the_cap) {
    auto limits = one_second_limits();
    limits.read_timeout = 5s;
    limits.max_connections = 2;
    ServerFixture f(limits);
    auto a = f.raw();
    auto b = f.raw();
    a.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
    b.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
    std::this_thread::sleep_for(100ms);
    auto c = f.raw();
    BOOST_TEST(c.closed_within(800ms));  // before the 1 s idle deadline
    a.send("cd");
    BOOST_TEST(a.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(one_client_cannot_take_more_than_its_share_of_the_slots) {
    auto limits = one_second_limits();
    limits.max_connections = 10;
    limits.max_connections_per_client = 2;
    limits.limit_loopback_clients = true;
    ServerFixture f(limits);
    auto a = f.raw();
    auto b = f.raw();
    auto third = f.raw();  // 127.0.0.1's third
    BOOST_TEST(third.closed_within(800ms));  // before the 1 s idle deadline
    // Another client is served, and so is the first one's own.
    auto other = f.raw("127.0.0.2");
    other.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(other.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    a.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(a.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    // A slot given back can be taken again.
    b.close();
    std::this_thread::sleep_for(100ms);
    auto again = f.raw();
    again.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    BOOST_TEST(again.head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(loopback_clients_are_exempt_from_the_share_by_default) {
    auto limits = one_second_limits();
    limits.max_connections = 10;
    limits.max_connections_per_client = 2;
    ServerFixture f(limits);
    std::vector<std::unique_ptr<sb::test::RawClient>> clients;
    for (int i = 0; i < 5; ++i) clients.push_back(std::make_unique<sb::test::RawClient>(f.server->local_endpoint().port()));
    for (auto &c : clients) {
        c->send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
        BOOST_TEST(c->head(900ms).rfind("HTTP/1.1 200", 0) == 0u);
    }
}
