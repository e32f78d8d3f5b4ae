// sb-tls-hold: what one held TLS vendor connection costs in resident memory.
// The daemon's TLS vendor connections are beast::ssl_stream<beast::tcp_stream>
// (core/http/upstream_client.cpp); a held stream keeps one with a read
// pending. This opens N of them to a local TLS server (a forked child, so its
// memory is not counted), each with a request answered by a first SSE event
// and a read left pending, and reports VmRSS per connection.
#include "common/tool_setup.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/evp.h>
#include <openssl/x509.h>

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
using VendorStream = beast::ssl_stream<beast::tcp_stream>;  // as in upstream_client.cpp

constexpr const char *kUsage = R"(Usage: sb-tls-hold [--connections N] [--release-buffers]

Opens N TLS client connections (the daemon's vendor connection type) to a
local TLS server, sends a request on each, reads the first SSE event and
leaves a read pending, as a held stream does; then prints VmRSS before and
after and the KiB per connection as one JSON line.

  --connections N     connections to hold (default 1000; needs ~2 fds each)
  --release-buffers   set SSL_MODE_RELEASE_BUFFERS on the client context
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

// Answers each request with an SSE head and one event, then holds the
// connection until the client leaves.
asio::awaitable<void> serve(tcp::socket socket, ssl::context &context) {
    try {
        ssl::stream<tcp::socket> stream(std::move(socket), context);
        co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
        std::string request;
        co_await asio::async_read_until(stream, asio::dynamic_buffer(request), "\r\n\r\n", asio::use_awaitable);
        const std::string_view answer =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            "10\r\ndata: {\"n\":1}\n\n\r\n";
        co_await asio::async_write(stream, asio::buffer(answer), asio::use_awaitable);
        char byte;
        co_await stream.async_read_some(asio::buffer(&byte, 1), asio::use_awaitable);
    } catch (const std::exception &) {
        // the client left: the measurement is over
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor &acceptor, ssl::context &context) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), context), asio::detached);
    }
}

struct Held {
    std::unique_ptr<VendorStream> stream;
    std::string received;
    char pending_byte = 0;
};

asio::awaitable<void> open(asio::io_context &io, ssl::context &context, tcp::endpoint server, Held &held) {
    held.stream = std::make_unique<VendorStream>(io, context);
    co_await beast::get_lowest_layer(*held.stream).async_connect(server, asio::use_awaitable);
    co_await held.stream->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    const std::string_view request = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n\r\n";
    co_await asio::async_write(*held.stream, asio::buffer(request), asio::use_awaitable);
    co_await asio::async_read_until(*held.stream, asio::dynamic_buffer(held.received), "\n\n\r\n",
                                    asio::use_awaitable);
}

struct Tally {
    int opened = 0;
    int failed = 0;
    int settled() const { return opened + failed; }
};

asio::awaitable<void> open_and_hold(asio::io_context &io, ssl::context &context, tcp::endpoint server, Held &held,
                                    Tally &tally) {
    try {
        co_await open(io, context, server, held);
        ++tally.opened;
    } catch (const std::exception &e) {
        if (tally.failed++ == 0) std::fprintf(stderr, "sb-tls-hold: a connection failed: %s\n", e.what());
        co_return;
    }
    // What a held stream waits in; it completes only when the process ends.
    held.stream->async_read_some(asio::buffer(&held.pending_byte, 1), [](auto, auto) {});
}


}  // namespace

int main(int argc, char **argv) {
    int connections = 1000;
    bool release_buffers = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (flag == "--release-buffers") {
            release_buffers = true;
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
        asio::co_spawn(server_io, accept_loop(acceptor, server_context), asio::detached);
        server_io.run();
        return 0;
    }
    acceptor.close();

    asio::io_context io;
    ssl::context context(ssl::context::tls_client);
    context.set_verify_mode(ssl::verify_none);  // the memory held is the same either way
    if (release_buffers) SSL_CTX_set_mode(context.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    std::vector<Held> held(static_cast<std::size_t>(connections) + 1);
    Tally tally;
    // One connection first, so OpenSSL's one-time set-up is not counted.
    asio::co_spawn(io, open_and_hold(io, context, server, held.back(), tally), asio::detached);
    while (tally.settled() < 1 && io.run_one() > 0) {
    }
    const long before = vm_rss_kib();
    constexpr int kInFlight = 50;  // handshakes at once: the server's listen queue is the limit
    for (int i = 0; i < connections; ++i) {
        asio::co_spawn(io, open_and_hold(io, context, server, held[static_cast<std::size_t>(i)], tally),
                       asio::detached);
        while (i + 2 - tally.settled() >= kInFlight && io.run_one() > 0) {
        }
    }
    while (tally.settled() < connections + 1 && io.run_one() > 0) {
    }
    io.poll();
    const long after = vm_rss_kib();
    kill(child, SIGTERM);
    waitpid(child, nullptr, 0);
    if (tally.failed > 0) fail(std::to_string(tally.failed) + " of " + std::to_string(connections + 1) + " connections failed");
    std::printf("{\"connections\":%d,\"release_buffers\":%s,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
                "\"kib_per_connection\":%.1f}\n",
                connections, release_buffers ? "true" : "false", before, after,
                static_cast<double>(after - before) / connections);
    return 0;
}
