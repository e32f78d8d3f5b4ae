// sb-tls-hold: what one held TLS vendor connection costs in resident memory.
// The daemon's TLS vendor connections are a socket with core::TlsChannel on
// it (core/upstream/upstream_client.cpp); a held stream keeps one with a read
// pending. This opens N of them to a local TLS server (a forked child, so its
// memory is not counted), each with a request answered by a first SSE event
// and a read left pending, and reports VmRSS per connection. --asio measures
// asio::ssl::stream (Beast's ssl_stream over tcp_stream) instead, the type
// the daemon used before; --plain the same harness with no TLS at all, so the
// difference is what TLS itself adds to a held connection.
#include "common/tool_setup.hpp"
#include "core/net/tls_channel.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using AsioStream = beast::ssl_stream<beast::tcp_stream>;

constexpr const char *kUsage = R"(Usage: sb-tls-hold [--connections N] [--events N] [--interval-ms M] [--asio | --plain]

Opens N TLS client connections (the daemon's vendor connection type) to a
local TLS server, sends a request on each, reads the first SSE event and
leaves a read pending, as a held stream does; then prints VmRSS before and
after and the KiB per connection as one JSON line. With --events, every
connection then receives more events, M ms apart, and VmRSS is read again
once all have arrived (a heap that fragments under the churn shows there).

  --connections N     connections to hold (default 1000; needs ~2 fds each)
  --events N          events per connection, the first included (default 1)
  --interval-ms M     between events (default 200)
  --asio              use asio::ssl::stream (Beast's ssl_stream) instead of
                      core::TlsChannel, for comparison
  --plain             plain TCP, no TLS: the harness's own share (socket,
                      coroutines, buffers), to subtract from a TLS run
  --help              show this help and exit
)";

[[noreturn]] void fail(const std::string &message) {
    std::fprintf(stderr, "sb-tls-hold: %s (see --help)\n", message.c_str());
    std::exit(2);
}

long vm_rss_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// A self-signed P-256 certificate for the server, made in memory.
void use_throwaway_certificate(ssl::context &server) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    if (!key || !cert) fail("cannot make a test certificate");
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("localhost"), -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    if (X509_sign(cert, key, EVP_sha256()) == 0 || SSL_CTX_use_certificate(server.native_handle(), cert) != 1 ||
        SSL_CTX_use_PrivateKey(server.native_handle(), key) != 1)
        fail("cannot install the test certificate");
    X509_free(cert);
    EVP_PKEY_free(key);
}

constexpr std::string_view kEvent = "10\r\ndata: {\"n\":1}\n\n\r\n";  // one chunk of 16 bytes

struct Pace {
    int events = 1;
    std::chrono::milliseconds interval{200};
};

// Answers the request with an SSE head and the first event, sends the
// others pace.interval apart, then holds the connection until the client
// leaves.
template <class Stream>
asio::awaitable<void> answer_and_hold(Stream &stream, Pace pace) {
    std::string request;
    co_await asio::async_read_until(stream, asio::dynamic_buffer(request), "\r\n\r\n", asio::use_awaitable);
    const std::string answer =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
        std::string(kEvent);
    co_await asio::async_write(stream, asio::buffer(answer), asio::use_awaitable);
    for (int i = 1; i < pace.events; ++i) {
        asio::steady_timer pause(stream.get_executor(), pace.interval);
        co_await pause.async_wait(asio::use_awaitable);
        co_await asio::async_write(stream, asio::buffer(kEvent), asio::use_awaitable);
    }
    char byte;
    co_await stream.async_read_some(asio::buffer(&byte, 1), asio::use_awaitable);
}

enum class Mode { channel, asio, plain };

asio::awaitable<void> serve(tcp::socket socket, ssl::context &context, Pace pace, Mode mode) {
    try {
        if (mode == Mode::plain) {
            co_await answer_and_hold(socket, pace);
        } else {
            ssl::stream<tcp::socket> stream(std::move(socket), context);
            co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
            co_await answer_and_hold(stream, pace);
        }
    } catch (const std::exception &) {
        // the client left: the measurement is over
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor &acceptor, ssl::context &context, Pace pace, Mode mode) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), context, pace, mode), asio::detached);
    }
}

struct Held {
    std::unique_ptr<AsioStream> asio_stream;
    std::unique_ptr<tcp::socket> socket;
    std::unique_ptr<sb::core::TlsChannel> channel;
    std::string received;
    std::array<char, 32> scratch{};
};

const std::string_view kRequest = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n\r\n";

template <class Stream>
asio::awaitable<void> exchange(Stream &stream, Held &held) {
    co_await asio::async_write(stream, asio::buffer(kRequest), asio::use_awaitable);
    co_await asio::async_read_until(stream, asio::dynamic_buffer(held.received), "\n\n\r\n", asio::use_awaitable);
}

asio::awaitable<void> open(asio::io_context &io, ssl::context &context, tcp::endpoint server, Held &held,
                           Mode mode) {
    if (mode == Mode::asio) {
        held.asio_stream = std::make_unique<AsioStream>(io, context);
        co_await beast::get_lowest_layer(*held.asio_stream).async_connect(server, asio::use_awaitable);
        co_await held.asio_stream->async_handshake(ssl::stream_base::client, asio::use_awaitable);
        co_await exchange(*held.asio_stream, held);
    } else {
        held.socket = std::make_unique<tcp::socket>(io);
        co_await held.socket->async_connect(server, asio::use_awaitable);
        if (mode == Mode::plain) {
            co_await exchange(*held.socket, held);
            co_return;
        }
        held.socket->non_blocking(true);
        held.channel = std::make_unique<sb::core::TlsChannel>(*held.socket, context.native_handle());
        co_await held.channel->async_handshake(asio::use_awaitable);
        co_await exchange(*held.channel, held);
    }
}

struct Tally {
    int opened = 0;
    int failed = 0;
    int finished = 0;  // saw every event
    int cut = 0;       // lost its connection before
    int settled() const { return opened + failed; }
};

// Reads the events after the first, then leaves one more read pending.
template <class Stream>
asio::awaitable<void> read_rest(Stream &stream, Held &held, int events, Tally &tally) {
    std::size_t left = kEvent.size() * static_cast<std::size_t>(events - 1);
    while (left > 0) {
        const std::size_t n = co_await stream.async_read_some(asio::buffer(held.scratch), asio::use_awaitable);
        left -= std::min(left, n);
    }
    ++tally.finished;
    // What a held stream waits in; it completes only when the process ends.
    co_await stream.async_read_some(asio::buffer(held.scratch), asio::use_awaitable);
}

asio::awaitable<void> open_and_hold(asio::io_context &io, ssl::context &context, tcp::endpoint server, Held &held,
                                    Mode mode, int events, Tally &tally) {
    try {
        co_await open(io, context, server, held, mode);
        ++tally.opened;
    } catch (const std::exception &e) {
        if (tally.failed++ == 0) std::fprintf(stderr, "sb-tls-hold: a connection failed: %s\n", e.what());
        co_return;
    }
    try {
        if (mode == Mode::asio)
            co_await read_rest(*held.asio_stream, held, events, tally);
        else if (mode == Mode::plain)
            co_await read_rest(*held.socket, held, events, tally);
        else
            co_await read_rest(*held.channel, held, events, tally);
    } catch (const std::exception &) {
        ++tally.cut;  // the server went away
    }
}


}  // namespace

int main(int argc, char **argv) {
    int connections = 1000;
    Mode mode = Mode::channel;
    Pace pace;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if ((flag == "--events" || flag == "--interval-ms") && i + 1 < argc) {
            char *end = nullptr;
            const long n = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || n < 1 || n > 1000000) fail(std::string(flag) + " needs a positive number");
            if (flag == "--events")
                pace.events = static_cast<int>(n);
            else
                pace.interval = std::chrono::milliseconds(n);
        } else if (flag == "--asio" || flag == "--plain") {
            if (mode != Mode::channel) fail("--asio and --plain exclude each other");
            mode = flag == "--asio" ? Mode::asio : Mode::plain;
        } else if (flag == "--connections" && i + 1 < argc) {
            char *end = nullptr;
            const long n = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || n < 1 || n > 100000) fail("--connections needs a number from 1 to 100000");
            connections = static_cast<int>(n);
        } else {
            fail("unknown option or missing value: " + std::string(flag));
        }
    }
    sb::bench::raise_fd_limit();
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < static_cast<rlim_t>(connections) + 64)
        fail("the open-file limit allows about " + std::to_string(limit.rlim_cur) + " connections");

    asio::io_context server_io;
    tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
    const tcp::endpoint server = acceptor.local_endpoint();
    const pid_t child = fork();
    if (child < 0) fail("fork failed");
    if (child == 0) {
        ssl::context server_context(ssl::context::tls_server);
        use_throwaway_certificate(server_context);
        asio::co_spawn(server_io, accept_loop(acceptor, server_context, pace, mode), asio::detached);
        server_io.run();
        return 0;
    }
    acceptor.close();

    asio::io_context io;
    ssl::context context(ssl::context::tls_client);
    context.set_verify_mode(ssl::verify_none);  // the memory held is the same either way
    std::vector<Held> held(static_cast<std::size_t>(connections) + 1);
    Tally tally;
    // One connection first, so OpenSSL's one-time set-up is not counted.
    asio::co_spawn(io, open_and_hold(io, context, server, held.back(), mode, pace.events, tally), asio::detached);
    while (tally.settled() < 1 && io.run_one() > 0) {
    }
    const long before = vm_rss_kib();
    constexpr int kInFlight = 50;  // handshakes at once: the server's listen queue is the limit
    for (int i = 0; i < connections; ++i) {
        asio::co_spawn(io, open_and_hold(io, context, server, held[static_cast<std::size_t>(i)], mode, pace.events, tally),
                       asio::detached);
        while (i + 2 - tally.settled() >= kInFlight && io.run_one() > 0) {
        }
    }
    while (tally.settled() < connections + 1 && io.run_one() > 0) {
    }
    io.poll();
    const long after = vm_rss_kib();
    if (tally.failed > 0) fail(std::to_string(tally.failed) + " of " + std::to_string(connections + 1) + " connections failed");
    while (tally.finished + tally.cut < connections + 1 && io.run_one() > 0) {
    }
    io.poll();
    const long after_events = vm_rss_kib();
    kill(child, SIGTERM);
    waitpid(child, nullptr, 0);
    if (tally.cut > 0) fail(std::to_string(tally.cut) + " connections were cut before their last event");
    std::printf("{\"stream\":\"%s\",\"connections\":%d,\"events\":%d,"
                "\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,\"rss_after_events_kib\":%ld,"
                "\"kib_per_connection\":%.1f,\"kib_per_connection_after_events\":%.1f}\n",
                mode == Mode::asio ? "asio::ssl::stream" : mode == Mode::plain ? "tcp::socket" : "core::TlsChannel",
                connections, pace.events,
                before, after, after_events,
                static_cast<double>(after - before) / connections,
                static_cast<double>(after_events - before) / connections);
    return 0;
}
