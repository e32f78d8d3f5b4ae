#define BOOST_TEST_MODULE http_server
#include <boost/test/unit_test.hpp>

#include "host/http_server.hpp"

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

// The server's own deadlines (read and idle) and its held bodies, against a
// plain socket client. The daemon's limits are 60 s and more; these use 1 s.

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using sb::host::BodySource;
using sb::host::Request;
using sb::host::Response;
using sb::host::ResponseStream;

namespace {

using Clock = std::chrono::steady_clock;

// A body of `pieces` SSE events, `gap` apart; counts the bodies finished.
class SlowBody final : public BodySource {
public:
    SlowBody(int pieces, std::chrono::milliseconds gap, std::atomic<int> &finished)
        : pieces_(pieces), gap_(gap), finished_(finished) {}
    asio::awaitable<bool> next(std::string &out) override {
        if (sent_ == pieces_) co_return false;
        asio::steady_timer timer(co_await asio::this_coro::executor, gap_);
        co_await timer.async_wait(asio::use_awaitable);
        out += "data: " + std::to_string(sent_++) + "\n\n";
        co_return true;
    }
    void finished() noexcept override { ++finished_; }

private:
    int pieces_;
    int sent_ = 0;
    std::chrono::milliseconds gap_;
    std::atomic<int> &finished_;
};

struct ServerFixture {
    ServerFixture() {
        sb::host::ServerLimits limits;
        limits.idle_timeout = 1s;
        limits.read_timeout = 1s;
        server = std::make_unique<sb::host::HttpServer>(
            io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
            [this](Request &request, ResponseStream &stream) -> asio::awaitable<Response> {
                if (request.target() == "/slow" || request.target() == "/slower") {
                    stream.head().set("content-type", "text/event-stream");
                    stream.later() = request.target() == "/slow" ? std::make_unique<SlowBody>(4, 600ms, finished)
                                                                 : std::make_unique<SlowBody>(3, 2000ms, finished);
                }
                Response response{boost::beast::http::status::ok, request.version()};
                response.body() = "ok";
                co_return response;
            },
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

    asio::io_context io;  // run by one thread, as each of the daemon's are
    asio::steady_timer stop_later{io};
    asio::io_context client_io;
    std::unique_ptr<sb::host::HttpServer> server;
    std::atomic<int> finished{0};
    std::thread thread;
};

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
