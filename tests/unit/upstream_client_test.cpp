#define BOOST_TEST_MODULE upstream_client
#include <boost/test/unit_test.hpp>

#include "core/net/coarse_deadlines.hpp"
#include "core/upstream/upstream_client.hpp"
#include "support/loopback_http_server.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdlib>
#include <filesystem>
#include <thread>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using sb::core::UpstreamClient;
using sb::core::UpstreamClientOptions;
using sb::core::UpstreamError;
using sb::core::UpstreamFailure;
using sb::core::UpstreamRequest;
using sb::core::UpstreamResponse;
using sb::core::UpstreamTimeouts;
using sb::test::LoopbackHttpServer;
using sb::test::MockAction;
using sb::test::RecordedRequest;
namespace asio = boost::asio;

namespace {

// What a reader of a streamed body saw.
struct StreamSeen {
    int status = 0;
    std::string content_type;
    std::vector<std::string> pieces;
    std::vector<std::chrono::steady_clock::time_point> times;
};

std::string header_of(const sb::core::UpstreamResponse &r, const std::string &name);

// How a reader waits for more of a body between pieces.
enum class Reading { read_more, wait };

// Opens a request and reads its body as a stream does, piece by piece, up to
// max_pieces (the body is then dropped unread). Throws what the reads throw.
boost::asio::awaitable<void> read_stream(sb::core::UpstreamClient &client, sb::core::UpstreamRequest request,
                                         sb::core::UpstreamTimeouts timeouts, StreamSeen &seen,
                                         std::size_t max_pieces = SIZE_MAX, Reading reading = Reading::read_more) {
    sb::core::UpstreamBody body = co_await client.open(std::move(request), timeouts);
    seen.status = body.head().status;
    seen.content_type = header_of(body.head(), "content-type");
    while (seen.pieces.size() < max_pieces) {
        if (reading == Reading::wait && !seen.pieces.empty() && body.can_wait()) co_await body.wait();
        std::string piece;
        while (!body.next_piece(piece)) co_await body.read_more();
        if (piece.empty()) break;
        seen.pieces.push_back(std::move(piece));
        seen.times.push_back(std::chrono::steady_clock::now());
    }
}

}  // namespace

namespace {

using Clock = std::chrono::steady_clock;

UpstreamRequest post(const std::string &url, std::string body = "{}");

// A client on a private io_context; each call runs it until the request ends
// (bounded, so a bug cannot hang the suite).
struct ClientFixture {
    explicit ClientFixture(UpstreamClientOptions options = {}) : client(options) {}

    template <class T>
    T run(asio::awaitable<T> op) {
        return run_on(ioc, std::move(op));
    }

    template <class T>
    static T run_on(asio::io_context &context, asio::awaitable<T> op) {
        context.restart();
        auto future = asio::co_spawn(context, std::move(op), asio::use_future);
        context.run_for(10s);
        BOOST_REQUIRE_MESSAGE(future.wait_for(0s) == std::future_status::ready, "request did not finish in 10 s");
        return future.get();
    }

    UpstreamResponse send(UpstreamRequest request, UpstreamTimeouts timeouts = short_timeouts()) {
        return run(client.send(std::move(request), timeouts));
    }

    // Returns the failure, or nullopt if the request succeeded.
    std::optional<UpstreamError> send_error(UpstreamRequest request, UpstreamTimeouts timeouts = short_timeouts()) {
        try {
            send(std::move(request), timeouts);
        } catch (const UpstreamError &e) {
            return e;
        }
        return std::nullopt;
    }

    static UpstreamTimeouts short_timeouts() { return {2000ms, 2000ms, 5000ms}; }

    // Reads a stream into seen with wait() between pieces; returns how it
    // failed, or nullopt if it ended well.
    std::optional<UpstreamError> wait_stream_error(const std::string &url, UpstreamTimeouts timeouts,
                                                   StreamSeen &seen) {
        try {
            run(read_stream(client, post(url), timeouts, seen, SIZE_MAX, Reading::wait));
        } catch (const UpstreamError &e) {
            return e;
        }
        return std::nullopt;
    }

    asio::io_context ioc;
    UpstreamClient client;
};

UpstreamRequest post(const std::string &url, std::string body) {
    UpstreamRequest r;
    r.method = "POST";
    r.url = url;
    r.body = std::move(body);
    return r;
}

std::string header_of(const UpstreamResponse &r, const std::string &name) {
    for (const auto &[k, v] : r.headers)
        if (boost::iequals(k, name)) return v;
    return {};
}

unsigned short unused_port() {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    return acceptor.local_endpoint().port();  // closed again on return: nothing listens there
}

long long elapsed_ms(Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

}  // namespace

BOOST_AUTO_TEST_CASE(plain_request_and_response) {
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::reply(201, {{"X-Reply", "yes"}, {"Content-Type", "application/json"}}, R"({"ok":true})");
    });
    ClientFixture f;
    auto request = post(server.base_url() + "/v1/chat/completions?x=1", R"({"a":1})");
    request.headers = {{"Authorization", "Bearer k"}, {"Content-Type", "application/json"}};
    const auto response = f.send(request);
    BOOST_TEST(response.status == 201);
    BOOST_TEST(response.body == R"({"ok":true})");
    BOOST_TEST(header_of(response, "x-reply") == "yes");

    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    BOOST_TEST(seen[0].method == "POST");
    BOOST_TEST(seen[0].target == "/v1/chat/completions?x=1");
    BOOST_TEST(seen[0].body == R"({"a":1})");
    BOOST_TEST(seen[0].header("host") == "127.0.0.1:" + std::to_string(server.port()));
    BOOST_TEST(seen[0].header("content-length") == "7");
    BOOST_TEST(seen[0].header("user-agent") == std::string("switchboard/") + SWITCHBOARD_VERSION);
    BOOST_TEST(seen[0].header("authorization") == "Bearer k");
}

BOOST_AUTO_TEST_CASE(caller_headers_win_and_get_has_no_length) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::reply(200, {}, "x"); });
    ClientFixture f;
    UpstreamRequest request;
    request.method = "GET";
    request.url = server.base_url();  // no path: "/"
    request.headers = {{"User-Agent", "custom/1"}};
    BOOST_TEST(f.send(request).status == 200);
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    BOOST_TEST(seen[0].target == "/");
    BOOST_TEST(seen[0].header("user-agent") == "custom/1");
    BOOST_TEST(!seen[0].has_header("content-length"));
}

BOOST_AUTO_TEST_CASE(keep_alive_reuses_one_connection) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::reply(200, {}, "pong"); });
    ClientFixture f;
    BOOST_TEST(f.send(post(server.base_url() + "/a")).body == "pong");
    BOOST_TEST(f.client.idle_connections() == 1u);
    BOOST_TEST(f.send(post(server.base_url() + "/b")).body == "pong");
    BOOST_TEST(f.send(post(server.base_url() + "/c")).body == "pong");
    BOOST_TEST(server.connections_accepted() == 1u);
    BOOST_TEST(server.request_count() == 3u);
    BOOST_TEST(f.client.idle_connections() == 1u);
}

// The daemon's layout: an io_context per thread. A connection is reused
// only by requests on the io_context that opened it, so its I/O stays on
// that context's thread.
BOOST_AUTO_TEST_CASE(pools_per_io_context) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::reply(200, {}, "pong"); });
    asio::io_context other;  // outlives the client, which closes its pooled connections
    ClientFixture f;
    auto send_on = [&](asio::io_context &context) {
        return ClientFixture::run_on(context, f.client.send(post(server.base_url()), ClientFixture::short_timeouts()))
            .body;
    };
    BOOST_TEST(send_on(f.ioc) == "pong");
    BOOST_TEST(send_on(other) == "pong");  // f.ioc is not running: a connection of its would hang here
    BOOST_TEST(server.connections_accepted() == 2u);
    BOOST_TEST(f.client.idle_connections() == 2u);
    BOOST_TEST(send_on(other) == "pong");
    BOOST_TEST(send_on(f.ioc) == "pong");
    BOOST_TEST(server.connections_accepted() == 2u);
    BOOST_TEST(server.request_count() == 4u);
}

BOOST_AUTO_TEST_CASE(connection_close_is_not_pooled) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::reply_and_close(200, {}, "bye"); });
    ClientFixture f;
    BOOST_TEST(f.send(post(server.base_url())).body == "bye");
    BOOST_TEST(f.client.idle_connections() == 0u);
    BOOST_TEST(f.send(post(server.base_url())).body == "bye");
    BOOST_TEST(server.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(stale_pooled_connection_is_retried_once_on_a_fresh_one) {
    std::atomic<int> calls{0};
    LoopbackHttpServer server([&](const RecordedRequest &) {
        // 2nd request arrives on the kept-alive connection: drop it unanswered.
        return ++calls == 2 ? MockAction::close() : MockAction::reply(200, {}, "ok");
    });
    ClientFixture f;
    BOOST_TEST(f.send(post(server.base_url())).body == "ok");
    BOOST_TEST(f.send(post(server.base_url())).body == "ok");
    BOOST_TEST(calls.load() == 3);
    BOOST_TEST(server.connections_accepted() == 2u);
}

BOOST_AUTO_TEST_CASE(fresh_connection_closed_without_answer_is_protocol) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::close(); });
    ClientFixture f;
    auto error = f.send_error(post(server.base_url()));
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::protocol));
    BOOST_TEST(server.request_count() == 1u);  // no retry on a fresh connection
}

BOOST_AUTO_TEST_CASE(connection_refused_is_connect) {
    ClientFixture f;
    const std::string url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/v1/SECRETPATH?key=SECRET";
    auto error = f.send_error(post(url));
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::connect));
    const std::string message = error->what();
    BOOST_TEST(message.find("SECRET") == std::string::npos, message);
    BOOST_TEST(message.find("http://127.0.0.1:") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(unresolvable_host_is_resolve) {
    ClientFixture f;
    const auto start = Clock::now();
    auto error = f.send_error(post("http://nonexistent.invalid/v1?key=SECRET"), {1500ms, 1500ms, 3000ms});
    BOOST_REQUIRE(error);
    // Without DNS the resolver may fail in other ways or time out; all are bounded.
    BOOST_TEST((error->failure() == UpstreamFailure::resolve || error->failure() == UpstreamFailure::connect ||
                error->failure() == UpstreamFailure::timeout),
               error->what());
    BOOST_TEST(elapsed_ms(start) < 3000);
    BOOST_TEST(std::string(error->what()).find("SECRET") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_urls) {
    ClientFixture f;
    for (const char *url : {"", "not a url", "/relative/path", "ftp://example.com/x", "http:///nohost"}) {
        auto error = f.send_error(post(url));
        BOOST_REQUIRE_MESSAGE(error, url);
        BOOST_TEST((error->failure() == UpstreamFailure::invalid_url), url);
    }
}

BOOST_AUTO_TEST_CASE(hanging_server_times_out_on_read_deadline) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::hang(); });
    ClientFixture f;
    const auto start = Clock::now();
    auto error = f.send_error(post(server.base_url() + "/slow?key=SECRET"), {1000ms, 300ms, 5000ms});
    const auto took = elapsed_ms(start);
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::timeout));
    BOOST_TEST(took >= 250);
    BOOST_TEST(took < 2000);
    const std::string message = error->what();
    BOOST_TEST(message.find("SECRET") == std::string::npos, message);
    BOOST_TEST(message.find("slow") == std::string::npos, message);
    BOOST_TEST(message.find("300 ms") != std::string::npos, message);
    // The client gave the connection up.
    BOOST_TEST(server.wait_for_closed_by_peer(1, 2s));
}

BOOST_AUTO_TEST_CASE(total_deadline_applies_across_pieces) {
    // Each piece comes within the read deadline but the whole takes too long.
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::stream(200, {}, {"a", "b", "c", "d", "e", "f", "g", "h"}, 100ms);
    });
    ClientFixture f;
    const auto start = Clock::now();
    auto error = f.send_error(post(server.base_url()), {1000ms, 300ms, 350ms});
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::timeout));
    BOOST_TEST(elapsed_ms(start) < 2000);
    BOOST_TEST(std::string(error->what()).find("total") != std::string::npos, error->what());
}

BOOST_AUTO_TEST_CASE(oversized_body_is_too_large) {
    LoopbackHttpServer server([](const RecordedRequest &r) {
        if (r.target == "/chunked") return MockAction::stream(200, {}, {std::string(600, 'x'), std::string(600, 'y')});
        return MockAction::reply(200, {}, std::string(5000, 'x'));
    });
    UpstreamClientOptions options;
    options.max_response_bytes = 1000;
    ClientFixture f(options);
    auto error = f.send_error(post(server.base_url() + "/fixed"));
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::too_large));
    error = f.send_error(post(server.base_url() + "/chunked"));
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::too_large));
    BOOST_TEST(f.client.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(garbage_is_protocol) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::raw("SSH-2.0-OpenSSH\r\n\r\nnonsense"); });
    ClientFixture f;
    auto error = f.send_error(post(server.base_url() + "/x?key=SECRET"));
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::protocol));
    BOOST_TEST(std::string(error->what()).find("SECRET") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(redirect_is_returned_not_followed) {
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::reply(302, {{"Location", "http://127.0.0.1:1/elsewhere"}}, "");
    });
    ClientFixture f;
    const auto response = f.send(post(server.base_url() + "/start"));
    BOOST_TEST(response.status == 302);
    BOOST_TEST(header_of(response, "Location") == "http://127.0.0.1:1/elsewhere");
    BOOST_TEST(server.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(streaming_delivers_pieces_in_order_as_they_arrive) {
    for (const Reading reading : {Reading::read_more, Reading::wait}) {
        LoopbackHttpServer server([](const RecordedRequest &) {
            return MockAction::stream(200, {{"Content-Type", "text/event-stream"}},
                                      {"data: one\n\n", "data: two\n\n", "data: three\n\n"}, 120ms);
        });
        ClientFixture f;
        StreamSeen seen;
        f.run(read_stream(f.client, post(server.base_url() + "/v1/chat/completions"), ClientFixture::short_timeouts(),
                          seen, SIZE_MAX, reading));
        BOOST_TEST(seen.status == 200);
        BOOST_TEST(seen.content_type == "text/event-stream");
        BOOST_REQUIRE_EQUAL(seen.pieces.size(), 3u);
        BOOST_TEST(seen.pieces[0] == "data: one\n\n");
        BOOST_TEST(seen.pieces[1] == "data: two\n\n");
        BOOST_TEST(seen.pieces[2] == "data: three\n\n");
        for (std::size_t i = 1; i < seen.times.size(); ++i)
            BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(seen.times[i] - seen.times[i - 1]).count() >=
                       60);
        // A fully read chunked body leaves the connection reusable.
        BOOST_TEST(f.client.idle_connections() == 1u);
    }
}

BOOST_AUTO_TEST_CASE(waiting_reader_gets_bursts_larger_than_one_read_whole) {
    // Pieces bigger than what a wake-up reads at once, and many small ones
    // sent together: wait() must lose, reorder or repeat nothing.
    std::vector<std::string> sent;
    for (int i = 0; i < 3; ++i) sent.push_back(std::string(9000, static_cast<char>('a' + i)));
    for (int i = 0; i < 50; ++i) sent.push_back("data: " + std::to_string(i) + "\n\n");
    LoopbackHttpServer server([&](const RecordedRequest &) { return MockAction::stream(200, {}, sent, 2ms); });
    ClientFixture f;
    StreamSeen seen;
    f.run(read_stream(f.client, post(server.base_url()), ClientFixture::short_timeouts(), seen, SIZE_MAX,
                      Reading::wait));
    std::string expected, got;
    for (const auto &piece : sent) expected += piece;
    for (const auto &piece : seen.pieces) got += piece;
    BOOST_TEST(got.size() == expected.size());
    BOOST_TEST((got == expected));
    BOOST_TEST(f.client.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(waiting_reader_is_held_to_the_deadline) {
    // A plain connection's deadlines sit in the event loop's CoarseDeadlines.
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::stream(200, {}, {"a", "b", "c", "d", "e", "f", "g", "h"}, 100ms);
    });
    ClientFixture f;
    StreamSeen seen;
    const auto start = Clock::now();
    const auto error = f.wait_stream_error(server.base_url(), {1000ms, 300ms, 350ms}, seen);
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::timeout));
    BOOST_TEST(std::string(error->what()).find("total") != std::string::npos, error->what());
    BOOST_TEST(elapsed_ms(start) < 2000);
    BOOST_TEST(seen.pieces.size() >= 2u);  // pieces came through waits first
    BOOST_TEST(f.client.idle_connections() == 0u);
    BOOST_TEST(asio::use_service<sb::core::CoarseDeadlines>(f.ioc).armed() == 0u);
}

BOOST_AUTO_TEST_CASE(waiting_reader_times_out_on_a_silent_vendor) {
    // The read timeout, not only the total deadline, bounds each wait.
    // "a" after 250 ms, "b" 750 ms later (an empty piece sends nothing).
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::stream(200, {}, {"a", "", "", "b"}, 250ms);
    });
    ClientFixture f;
    StreamSeen seen;
    // The first piece is read with read_more(), the second waited for.
    BOOST_TEST(!f.wait_stream_error(server.base_url(), {1000ms, 900ms, 5000ms}, seen));  // 750 ms fits in 900
    BOOST_TEST(seen.pieces.size() == 2u);
    seen = {};
    const auto error = f.wait_stream_error(server.base_url(), {1000ms, 400ms, 5000ms}, seen);
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::timeout));
    BOOST_TEST(std::string(error->what()).find("400 ms") != std::string::npos, error->what());
    BOOST_TEST(seen.pieces.size() == 1u);  // the wait for "b" timed out
}

BOOST_AUTO_TEST_CASE(error_status_body_is_read_whole) {
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::stream(429, {{"Content-Type", "application/json"}}, {R"({"error":)", R"("slow down"})"}, 20ms);
    });
    ClientFixture f;
    const auto response = f.run([&]() -> asio::awaitable<UpstreamResponse> {
        auto body = co_await f.client.open(post(server.base_url()), ClientFixture::short_timeouts());
        co_return co_await body.read_all();
    }());
    BOOST_TEST(response.status == 429);
    BOOST_TEST(header_of(response, "content-type") == "application/json");
    BOOST_TEST(response.body == R"({"error":"slow down"})");
    BOOST_TEST(f.client.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(truncated_stream_delivers_pieces_then_truncated_error) {
    for (const Reading reading : {Reading::read_more, Reading::wait}) {
        LoopbackHttpServer server([](const RecordedRequest &) {
            return MockAction::stream(200, {}, {"first", "second"}, 30ms, /*truncate=*/true);
        });
        ClientFixture f;
        StreamSeen seen;
        std::optional<UpstreamError> error;
        try {
            f.run(read_stream(f.client, post(server.base_url() + "/s?key=SECRET"), ClientFixture::short_timeouts(), seen,
                              SIZE_MAX, reading));
        } catch (const UpstreamError &e) {
            error = e;
        }
        BOOST_REQUIRE(error);
        BOOST_TEST((error->failure() == UpstreamFailure::truncated));
        BOOST_TEST(std::string(error->what()).find("SECRET") == std::string::npos);
        BOOST_REQUIRE_EQUAL(seen.pieces.size(), 2u);
        BOOST_TEST(seen.pieces[0] == "first");
        BOOST_TEST(seen.pieces[1] == "second");
        BOOST_TEST(f.client.idle_connections() == 0u);
    }
}

namespace {

// A server that frames its answer by hand: `head` at once, then each piece
// 20 ms apart, then it closes the connection.
LoopbackHttpServer hand_framed(std::string head, std::vector<std::string> pieces) {
    return LoopbackHttpServer([head, pieces](const RecordedRequest &) {
        MockAction action = MockAction::raw_pieces(pieces, 20ms);
        action.raw_bytes = head;
        return action;
    });
}

std::string joined(const std::vector<std::string> &pieces) {
    std::string all;
    for (const auto &p : pieces) all += p;
    return all;
}

}  // namespace

// RFC 9112 6.3: with neither Content-Length nor chunked, the close ends the
// body. HTTP/1.0 servers, Python's http.server and some proxies do this.
BOOST_AUTO_TEST_CASE(close_delimited_stream_ends_cleanly) {
    for (const char *head : {"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
                             "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n",
                             "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"}) {
        for (const Reading reading : {Reading::read_more, Reading::wait}) {
            auto server = hand_framed(head, {"data: one\n\n", "data: two\n\n", "data: [DONE]\n\n"});
            ClientFixture f;
            StreamSeen seen;
            BOOST_CHECK_NO_THROW(f.run(read_stream(f.client, post(server.base_url()), ClientFixture::short_timeouts(),
                                                   seen, SIZE_MAX, reading)));
            BOOST_TEST(seen.status == 200);
            BOOST_TEST(joined(seen.pieces) == "data: one\n\ndata: two\n\ndata: [DONE]\n\n", head);
            BOOST_TEST(f.client.idle_connections() == 0u);  // the close was the end: never pooled
        }
    }
}

BOOST_AUTO_TEST_CASE(close_delimited_plain_response_is_whole) {
    auto server = hand_framed("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n", {R"({"a":)", "1}"});
    ClientFixture f;
    const auto response = f.send(post(server.base_url()));
    BOOST_TEST(response.status == 200);
    BOOST_TEST(response.body == R"({"a":1})");
    BOOST_TEST(f.client.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(http10_keep_alive_only_when_asked) {
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::raw("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    ClientFixture f;
    BOOST_TEST(f.send(post(server.base_url())).body == "ok");
    BOOST_TEST(f.client.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(interim_1xx_responses_are_skipped) {
    auto server = hand_framed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n",
                              {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Final: yes\r\n\r\nok"});
    ClientFixture f;
    const auto response = f.send(post(server.base_url()));
    BOOST_TEST(response.status == 200);
    BOOST_TEST(response.body == "ok");
    BOOST_TEST(header_of(response, "x-final") == "yes");
    BOOST_TEST(header_of(response, "link").empty());  // the interim head's fields are not the answer's
}

BOOST_AUTO_TEST_CASE(chunk_extensions_and_trailers) {
    for (const Reading reading : {Reading::read_more, Reading::wait}) {
        auto server = hand_framed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n",
                                  {"5;name=value\r\nfirst\r\n", "6 ; a=\"b\"\r\nsecond\r\n", "0\r\nX-Sum: 11\r\n\r\n"});
        ClientFixture f;
        StreamSeen seen;
        f.run(read_stream(f.client, post(server.base_url()), ClientFixture::short_timeouts(), seen, SIZE_MAX, reading));
        BOOST_TEST(joined(seen.pieces) == "firstsecond");
    }
}

BOOST_AUTO_TEST_CASE(connection_close_on_a_chunked_stream_is_not_pooled) {
    auto server = hand_framed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                              {"2\r\nhi\r\n", "0\r\n\r\n"});
    ClientFixture f;
    StreamSeen seen;
    f.run(read_stream(f.client, post(server.base_url()), ClientFixture::short_timeouts(), seen, SIZE_MAX, Reading::wait));
    BOOST_TEST(joined(seen.pieces) == "hi");
    BOOST_TEST(f.client.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(sized_stream_and_empty_204) {
    {
        auto server = hand_framed("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", {"data: a\n\n", "xyz"});
        ClientFixture f;
        StreamSeen seen;
        f.run(read_stream(f.client, post(server.base_url()), ClientFixture::short_timeouts(), seen, SIZE_MAX,
                          Reading::wait));
        BOOST_TEST(joined(seen.pieces) == "data: a\n\nxyz");
    }
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::reply(204); });
    ClientFixture f;
    const auto response = f.send(post(server.base_url()));
    BOOST_TEST(response.status == 204);
    BOOST_TEST(response.body.empty());
    BOOST_TEST(f.client.idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(asks_for_identity_and_refuses_an_encoded_body) {
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::reply(200, {{"Content-Encoding", "gzip"}}, std::string("\x1f\x8b\x08\x00", 4));
    });
    ClientFixture f;
    const auto error = f.send_error(post(server.base_url()));
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::protocol));
    BOOST_TEST(std::string(error->what()).find("Content-Encoding") != std::string::npos, error->what());
    const auto seen = server.requests();
    BOOST_REQUIRE_EQUAL(seen.size(), 1u);
    BOOST_TEST(seen[0].header("accept-encoding") == "identity");
}

BOOST_AUTO_TEST_CASE(body_cut_before_its_length_is_truncated) {
    for (const Reading reading : {Reading::read_more, Reading::wait}) {
        auto server = hand_framed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", {"data: a\n\n"});
        ClientFixture f;
        StreamSeen seen;
        std::optional<UpstreamError> error;
        try {
            f.run(read_stream(f.client, post(server.base_url()), ClientFixture::short_timeouts(), seen, SIZE_MAX,
                              reading));
        } catch (const UpstreamError &e) {
            error = e;
        }
        BOOST_REQUIRE(error);
        BOOST_TEST((error->failure() == UpstreamFailure::truncated), error->what());
        BOOST_TEST(joined(seen.pieces) == "data: a\n\n");
    }
}

// Percent-decoding must not turn a host into several header lines or
// another name than the one resolved: such a URL never reaches a socket.
BOOST_AUTO_TEST_CASE(encoded_control_bytes_in_the_host_are_refused) {
    LoopbackHttpServer server([](const RecordedRequest &) { return MockAction::reply(200, {}, "x"); });
    ClientFixture f;
    const std::string port = std::to_string(server.port());
    for (const std::string url :
         {"http://localhost%00%0d%0aX-Injected%3a%20yes%0d%0a.api.openai.com:" + port + "/v1",
          "http://127.0.0.1%00.api.openai.com:" + port + "/v1", "http://local%68ost:" + port + "/v1",
          "http://a..b:" + port + "/v1", "http://[v1.x]:" + port + "/v1", "http://127.0.0.1x:" + port + "/v1", std::string("http://127.0.0.1:99999/v1")}) {
        const auto error = f.send_error(post(url));
        BOOST_REQUIRE_MESSAGE(error, url);
        BOOST_TEST((error->failure() == UpstreamFailure::invalid_url), url);
    }
    BOOST_TEST(server.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(body_dropped_unread_closes_the_connection) {
    LoopbackHttpServer server([](const RecordedRequest &) {
        return MockAction::stream(200, {}, {"1", "2", "3", "4", "5", "6"}, 50ms);
    });
    ClientFixture f;
    StreamSeen seen;
    f.run(read_stream(f.client, post(server.base_url()), ClientFixture::short_timeouts(), seen, 2));
    BOOST_TEST(seen.status == 200);
    BOOST_TEST(seen.pieces.size() == 2u);
    BOOST_TEST(f.client.idle_connections() == 0u);
    BOOST_TEST(server.wait_for_closed_by_peer(1, 2s));
}

// ---- TLS: a self-signed certificate made at test time, a tiny TLS server ----

namespace {

namespace ssl = asio::ssl;

struct TempDir {
    TempDir() {
        char pattern[] = "/tmp/sb-upstream-tls-XXXXXX";
        const char *made = ::mkdtemp(pattern);
        BOOST_REQUIRE(made);
        path = made;
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
};

// What TinyTlsServer answers.
enum class TlsReply {
    answer,       // "tls ok", then closes
    stream,       // three SSE pieces 30 ms apart, chunked; keeps the connection for more requests
    cut,          // the head and one piece, then a TCP close with no close_notify
    fall_silent,  // the head and one piece, then nothing for 5 s
};

struct TinyTlsServer {
    TinyTlsServer(const std::string &cert, const std::string &key, TlsReply reply = TlsReply::answer)
        : context(ssl::context::tls_server), reply(reply) {
        context.use_certificate_chain_file(cert);
        context.use_private_key_file(key, ssl::context::pem);
        acceptor.open(asio::ip::tcp::v4());
        acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor.listen();
        port = acceptor.local_endpoint().port();
        asio::co_spawn(ioc, accept_loop(), asio::detached);
        thread = std::thread([this] { ioc.run(); });
    }
    ~TinyTlsServer() {
        ioc.stop();
        thread.join();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto socket = co_await acceptor.async_accept(asio::use_awaitable);
            ++accepted;
            asio::co_spawn(ioc, serve(std::move(socket)), asio::detached);
        }
    }
    asio::awaitable<void> serve(asio::ip::tcp::socket socket) {
        namespace http = boost::beast::http;
        try {
            ssl::stream<asio::ip::tcp::socket> stream(std::move(socket), context);
            co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
            boost::beast::flat_buffer buffer;
            for (;;) {
                http::request<http::string_body> request;
                co_await http::async_read(stream, buffer, request, asio::use_awaitable);
                if (reply == TlsReply::answer) {
                    http::response<http::string_body> response{http::status::ok, 11};
                    response.body() = "tls ok";
                    response.prepare_payload();
                    response.keep_alive(false);
                    co_await http::async_write(stream, response, asio::use_awaitable);
                    co_return;
                }
                co_await asio::async_write(stream,
                                           asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nContent-Type: "
                                                                         "text/event-stream\r\nTransfer-Encoding: "
                                                                         "chunked\r\n\r\n")),
                                           asio::use_awaitable);
                for (int i = 0; i < 3; ++i) {
                    const std::string event = "data: piece " + std::to_string(i) + "\n\n";
                    std::ostringstream chunk;
                    chunk << std::hex << event.size() << "\r\n" << event << "\r\n";
                    co_await asio::async_write(stream, asio::buffer(chunk.str()), asio::use_awaitable);
                    if (reply == TlsReply::cut) {
                        stream.next_layer().close();
                        co_return;
                    }
                    asio::steady_timer pause(ioc, reply == TlsReply::fall_silent ? 5s : 30ms);
                    co_await pause.async_wait(asio::use_awaitable);
                }
                co_await asio::async_write(stream, asio::buffer(std::string_view("0\r\n\r\n")), asio::use_awaitable);
            }
        } catch (...) {
            ++failed_handshakes;  // or the client left: either ends this connection
        }
    }

    asio::io_context ioc;
    ssl::context context;
    TlsReply reply;
    asio::ip::tcp::acceptor acceptor{ioc};
    unsigned short port = 0;
    std::atomic<int> accepted{0};
    std::atomic<int> failed_handshakes{0};
    std::thread thread;
};

// A self-signed certificate for DNS:localhost, made with the openssl CLI;
// made is false (and the test skips) where the CLI is missing.
struct TestCertificate {
    TestCertificate() {
        const std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
                                    " -subj /CN=localhost -addext subjectAltName=DNS:localhost"
                                    " -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
        made = std::system(command.c_str()) == 0;
        if (!made) BOOST_TEST_MESSAGE("openssl CLI unavailable: TLS test skipped");
    }
    TempDir dir;
    const std::string cert = (dir.path / "cert.pem").string();
    const std::string key = (dir.path / "key.pem").string();
    bool made = false;
};

UpstreamClientOptions trusting(const TestCertificate &certificate) {
    UpstreamClientOptions options;
    options.ca_file = certificate.cert;
    return options;
}

// A TinyTlsServer giving one kind of reply, and a client that trusts it.
struct TlsRig {
    explicit TlsRig(TlsReply reply) : f(trusting(certificate)) {
        if (certificate.made) server.emplace(certificate.cert, certificate.key, reply);
    }
    bool ready() const { return server.has_value(); }
    std::string url(const std::string &path = "/") const {
        return "https://localhost:" + std::to_string(server->port) + path;
    }

    TestCertificate certificate;
    std::optional<TinyTlsServer> server;
    ClientFixture f;
};

}  // namespace

BOOST_AUTO_TEST_CASE(tls_verification_uses_ca_file) {
    const TestCertificate certificate;
    if (!certificate.made) return;
    const std::string &cert = certificate.cert;
    TinyTlsServer server(cert, certificate.key);
    const std::string port = std::to_string(server.port);
    const std::string by_name = "https://localhost:" + port + "/v1?key=SECRET";

    {  // system store only: the self-signed certificate is rejected
        ClientFixture f;
        auto error = f.send_error(post(by_name));
        BOOST_REQUIRE(error);
        BOOST_TEST((error->failure() == UpstreamFailure::tls), error->what());
        BOOST_TEST(std::string(error->what()).find("SECRET") == std::string::npos);
    }
    UpstreamClientOptions options;
    options.ca_file = cert;
    {  // trusted through ca_file; SNI and the name check match DNS:localhost
        ClientFixture f(options);
        const auto response = f.send(post(by_name));
        BOOST_TEST(response.status == 200);
        BOOST_TEST(response.body == "tls ok");
    }
    {  // trusted CA but the name does not match (the certificate has no IP SAN)
        ClientFixture f(options);
        auto error = f.send_error(post("https://127.0.0.1:" + port + "/"));
        BOOST_REQUIRE(error);
        BOOST_TEST((error->failure() == UpstreamFailure::tls), error->what());
    }
    {  // verify_tls = false accepts anything
        UpstreamClientOptions lax;
        lax.verify_tls = false;
        ClientFixture f(lax);
        BOOST_TEST(f.send(post("https://127.0.0.1:" + port + "/")).body == "tls ok");
    }
}

BOOST_AUTO_TEST_CASE(tls_stream_arrives_piece_by_piece_on_one_kept_connection) {
    TlsRig rig(TlsReply::stream);
    if (!rig.ready()) return;
    for (const Reading reading : {Reading::read_more, Reading::wait}) {
        StreamSeen seen;
        rig.f.run(read_stream(rig.f.client, post(rig.url("/v1/chat/completions")), ClientFixture::short_timeouts(),
                              seen, SIZE_MAX, reading));
        BOOST_TEST(seen.status == 200);
        BOOST_TEST(seen.content_type == "text/event-stream");
        BOOST_REQUIRE(seen.pieces.size() == 3u);  // 30 ms apart: one read each
        for (int i = 0; i < 3; ++i) BOOST_TEST(seen.pieces[i] == "data: piece " + std::to_string(i) + "\n\n");
        BOOST_TEST(rig.f.client.idle_connections() == 1u);
    }
    BOOST_TEST(rig.server->accepted.load() == 1);  // the second request reused the TLS connection
}

BOOST_AUTO_TEST_CASE(tls_stream_cut_without_close_notify_is_truncated) {
    TlsRig rig(TlsReply::cut);
    if (!rig.ready()) return;
    StreamSeen seen;
    const auto error = rig.f.wait_stream_error(rig.url(), ClientFixture::short_timeouts(), seen);
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::truncated), error->what());
    BOOST_TEST(std::string(error->what()).find("closed before the response ended") != std::string::npos, error->what());
    BOOST_TEST(seen.pieces.size() == 1u);
    BOOST_TEST(rig.f.client.idle_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(tls_silent_vendor_times_out_by_the_read_timeout) {
    // TLS connections keep their deadlines in CoarseDeadlines too.
    TlsRig rig(TlsReply::fall_silent);
    if (!rig.ready()) return;
    StreamSeen seen;
    const auto start = Clock::now();
    const auto error = rig.f.wait_stream_error(rig.url(), {2000ms, 400ms, 5000ms}, seen);
    BOOST_REQUIRE(error);
    BOOST_TEST((error->failure() == UpstreamFailure::timeout), error->what());
    BOOST_TEST(std::string(error->what()).find("400 ms") != std::string::npos, error->what());
    BOOST_TEST(elapsed_ms(start) < 2000);
    BOOST_TEST(seen.pieces.size() == 1u);
    BOOST_TEST(asio::use_service<sb::core::CoarseDeadlines>(rig.f.ioc).armed() == 0u);
}
