#include "core/upstream/upstream_client.hpp"

#include "core/bounded_memo.hpp"
#include "core/net/coarse_deadlines.hpp"
#include "core/net/exact_allocator.hpp"
#include "core/net/parse_buffered.hpp"
#include "core/net/tls_channel.hpp"
#include "core/net/write_now.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/flat_static_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace sb::core {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// The parts of an absolute http(s) URL the client needs. `origin` is what
// error messages may show; `target` (path and query) never appears in them.
struct Target {
    bool tls = false;
    std::string scheme;
    std::string host;  // for DNS / SNI / verification (IPv6 without brackets)
    std::string host_header;
    unsigned short port = 0;
    std::string target;
    std::string origin;  // scheme://host:port, also the pool key
};

// Letters, digits, '-' and '_' in dot-separated labels of 1 to 63 bytes, and
// written without percent-encoding: what DNS, SNI and Host all read alike.
bool plain_host_name(std::string_view host, std::string_view encoded) {
    if (host != encoded || host.empty() || host.size() > 253) return false;
    std::size_t label = 0;
    for (std::size_t i = 0; i < host.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(host[i]);
        if (c == '.') {
            if (label == 0 && i + 1 != host.size()) return false;  // an empty label (a final dot is the root)
            label = 0;
            continue;
        }
        if (!(std::isalnum(c) || c == '-' || c == '_') || ++label > 63) return false;
    }
    return true;
}

Target split_url(const std::string &url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) throw UpstreamError(UpstreamFailure::invalid_url, "invalid upstream URL: not an absolute URI");
    const auto &u = *parsed;
    Target t;
    if (u.scheme_id() == boost::urls::scheme::http) {
        t.scheme = "http";
    } else if (u.scheme_id() == boost::urls::scheme::https) {
        t.scheme = "https";
        t.tls = true;
    } else {
        throw UpstreamError(UpstreamFailure::invalid_url, "invalid upstream URL: scheme must be http or https");
    }
    if (!u.has_authority() || u.encoded_host().empty())
        throw UpstreamError(UpstreamFailure::invalid_url, "invalid upstream URL: no host");
    const bool ipv6 = u.host_type() == boost::urls::host_type::ipv6;
    if (u.host_type() == boost::urls::host_type::ipvfuture)
        throw UpstreamError(UpstreamFailure::invalid_url, "invalid upstream URL: unsupported host form");
    t.host = ipv6 ? u.host_ipv6_address().to_string() : std::string(u.host_address());
    // The host resolved, sent in SNI, verified and written in Host is one
    // string: a name that decoding changed (%00, %0d%0a) is refused outright.
    if (!ipv6 && !plain_host_name(t.host, u.encoded_host()))
        throw UpstreamError(UpstreamFailure::invalid_url, "invalid upstream URL: host is not a plain DNS name or IP address");
    const std::string bracketed = ipv6 ? "[" + t.host + "]" : t.host;
    const unsigned short default_port = t.tls ? 443 : 80;
    if (u.has_port()) {
        // port_number() wraps past 65535 ("99999" reads as 34463): judge the text.
        const auto port_text = u.port();
        if (port_text.empty() || port_text.size() > 5 || std::stoul(std::string(port_text)) > 65535 ||
            u.port_number() == 0)
            throw UpstreamError(UpstreamFailure::invalid_url, "invalid upstream URL: bad port");
        t.port = u.port_number();
    } else {
        t.port = default_port;
    }
    t.host_header = t.port == default_port ? bracketed : bracketed + ":" + std::to_string(t.port);
    // Boost.URL 1.81 ends an IPv4 authority early: "http://1.2.3.4x:80/" has
    // host 1.2.3.4 and path "x:80/". A path must start with '/'.
    if (!u.encoded_path().empty() && u.encoded_path().front() != '/')
        throw UpstreamError(UpstreamFailure::invalid_url, "invalid upstream URL: malformed authority");
    t.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) t.target += "?" + std::string(u.encoded_query());
    t.origin = t.scheme + "://" + bracketed + ":" + std::to_string(t.port);
    return t;
}

bool is_ip_literal(const std::string &host) {
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

// The certificate must name the host: its DNS name, or the address itself
// for an IP literal. False when OpenSSL would not take the name.
bool expect_peer_name(SSL *ssl, const std::string &host, bool ip_literal) {
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    if (ip_literal) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
    return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

long long ms(std::chrono::milliseconds d) { return static_cast<long long>(d.count()); }


// What an armed timer means if it fires; formatted only then.
struct ArmedTimeout {
    const char *what;
    std::chrono::milliseconds limit;
    bool total_bound;
};

struct Deadline {
    Clock::time_point total_end;
    std::chrono::milliseconds total;
    const Target *target;

    // Arms the connection's deadline for one operation: the smaller of
    // `limit` and what is left of the total.
    template <class Connection>
    ArmedTimeout arm(Connection &conn, std::chrono::milliseconds limit, const char *what) const {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(total_end - Clock::now());
        if (left.count() <= 0) expired();
        const bool total_bound = left < limit;
        conn.expires_after(total_bound ? left : limit);
        return {what, limit, total_bound};
    }
    [[noreturn]] void timed_out(const ArmedTimeout &armed) const {
        if (armed.total_bound) expired();
        fail(UpstreamFailure::timeout,
             std::string(armed.what) + " timed out after " + std::to_string(ms(armed.limit)) + " ms");
    }
    [[noreturn]] void expired() const {
        fail(UpstreamFailure::timeout, "total deadline of " + std::to_string(ms(total)) + " ms passed");
    }
    [[noreturn]] void fail(UpstreamFailure failure, const std::string &cause) const {
        throw UpstreamError(failure, "upstream " + target->origin + ": " + cause);
    }
};

}  // namespace

// Parses a response straight into an UpstreamResponse (status and headers
// as they arrive) and its body into a string a stream drains piece by
// piece: no field container of Beast's in between, which cost an allocation
// per header and lived as long as a held stream.
class ResponseReader final : public http::basic_parser<false> {
public:
    explicit ResponseReader(UpstreamResponse &out) : out_(out) {}
    std::string body;  // arrived and not taken yet

private:
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int, error_code &) override {}
    void on_response_impl(int code, beast::string_view, int, error_code &) override { out_.status = code; }
    void on_field_impl(http::field, beast::string_view name, beast::string_view value, error_code &) override {
        out_.headers.emplace_back(std::string(name), std::string(value));
    }
    void on_header_impl(error_code &) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t> &, error_code &) override {}
    std::size_t on_body_impl(beast::string_view piece, error_code &) override { return take(piece); }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code &) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view piece, error_code &) override {
        return take(piece);
    }
    void on_finish_impl(error_code &) override {}

    std::size_t take(beast::string_view piece) {
        body.append(piece.data(), piece.size());
        return piece.size();
    }

    UpstreamResponse &out_;
};

// One kept-alive connection: a TCP socket, with TLS on it for https. Its
// deadlines sit in its event loop's CoarseDeadlines: no timer state or
// timer operation of its own, which thousands of held streams would each
// carry.
struct PooledConnection {
    std::optional<tcp::socket> tcp_socket;  // made on the event loop it will run on
    std::unique_ptr<TlsChannel> secure;     // on tcp_socket, destroyed before it
    CoarseDeadlines::Entry deadline;        // destroyed before the socket
    beast::flat_buffer buffer;
    Clock::time_point idle_since{};

    tcp::socket &socket() { return *tcp_socket; }
    void expires_after(std::chrono::milliseconds within) { deadline.arm(within); }
    void expires_never() noexcept { deadline.disarm(); }
    // Whether ec is this connection's deadline having passed.
    bool timed_out(error_code ec) const noexcept {
        return ec == asio::error::operation_aborted && deadline.expired();
    }
    void close() {
        error_code ignored;
        socket().shutdown(tcp::socket::shutdown_both, ignored);
        socket().close(ignored);
    }
};

// What a response being read needs between reads: its connection, parser
// and deadlines.
struct UpstreamBody::State {
    State(UpstreamClient::Impl &client, std::shared_ptr<const Target> t, const Deadline &d,
          const UpstreamTimeouts &limits, const asio::execution_context *pool_key)
        : impl(client), target(std::move(t)), deadline(d), timeouts(limits), pool(pool_key) {}
    ~State();
    State(const State &) = delete;
    State &operator=(const State &) = delete;

    UpstreamClient::Impl &impl;
    std::shared_ptr<const Target> target;  // the deadline's messages name its origin
    Deadline deadline;
    UpstreamTimeouts timeouts;
    const asio::execution_context *pool;
    std::unique_ptr<PooledConnection> conn;
    UpstreamResponse head;

    // A parser for the next response head on the connection (after a 1xx,
    // another one): a parser reads one message only.
    void start_response(std::size_t max_body, bool head_only) {
        head.status = 0;
        head.headers.clear();
        std::destroy_at(&parser);
        std::construct_at(&parser, head);
        parser.header_limit(64u * 1024);
        parser.body_limit(max_body);
        if (head_only) parser.skip(true);
    }
    ResponseReader parser{head};
    // The last read_more() or wait(): reported by the next check_read().
    error_code read_ec;
    ArmedTimeout read_armed{"reading the response", {}, false};
    char waited_byte = 0;  // what wait() read
    bool waited = false;
};

struct UpstreamClient::Impl {
    UpstreamClientOptions options;
    mutable std::mutex mutex;
    // By the execution context a connection's I/O runs on, then by origin;
    // looked up without copying the origin.
    using PoolKey = std::pair<const asio::execution_context *, std::string>;
    struct PoolKeyLess {
        using is_transparent = void;
        template <class A, class B>
        bool operator()(const A &a, const B &b) const {
            if (a.first != b.first) return std::less<const void *>()(a.first, b.first);
            return std::string_view(a.second) < std::string_view(b.second);
        }
    };
    std::map<PoolKey, std::deque<std::unique_ptr<PooledConnection>>, PoolKeyLess> idle;

    explicit Impl(UpstreamClientOptions opts) : options(std::move(opts)) {
        if (!options.ca_file.empty()) tls_context();  // a bad CA file fails start-up, not the first request
    }

    // Built on first use: loading the system CA store and initialising
    // OpenSSL costs about 3 MiB of resident memory a daemon that never
    // speaks TLS (a local vendor, a benchmark) should not pay.
    ssl::context &tls_context() {
        std::call_once(tls_once_, [this] {
            auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
            ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                             ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
            error_code ec;
            ctx->set_default_verify_paths(ec);  // the system store; absent is not fatal
            if (!options.ca_file.empty()) {
                ctx->load_verify_file(options.ca_file, ec);
                if (ec) throw std::runtime_error("cannot load CA file " + options.ca_file + ": " + ec.message());
            }
            ctx->set_verify_mode(options.verify_tls ? ssl::verify_peer : ssl::verify_none);
            tls_context_ = std::move(ctx);
        });
        return *tls_context_;
    }

    // ---- pool -------------------------------------------------------------

    static const asio::execution_context *context_of(const asio::any_io_executor &ex) {
        return &asio::query(ex, asio::execution::context);
    }

    std::unique_ptr<PooledConnection> take_idle(const std::string &origin, const asio::execution_context *home) {
        std::lock_guard lock(mutex);
        auto it = idle.find(std::pair<const asio::execution_context *, std::string_view>(home, origin));
        if (it == idle.end()) return nullptr;
        auto &list = it->second;
        const auto now = Clock::now();
        while (!list.empty()) {
            auto conn = std::move(list.back());
            list.pop_back();
            if (now - conn->idle_since < options.idle_keepalive) return conn;
            conn->close();
        }
        return nullptr;
    }

    void put_idle(const std::string &origin, const asio::execution_context *home,
                  std::unique_ptr<PooledConnection> conn) {
        if (options.max_idle_per_origin == 0) {
            conn->close();
            return;
        }
        conn->idle_since = Clock::now();
        std::lock_guard lock(mutex);
        auto it = idle.find(std::pair<const asio::execution_context *, std::string_view>(home, origin));
        if (it == idle.end()) it = idle.try_emplace(PoolKey(home, origin)).first;
        auto &list = it->second;
        // Oldest first (take_idle uses the back): drop the expired ones and,
        // when full, the oldest.
        while (!list.empty() && (list.size() >= options.max_idle_per_origin ||
                                 conn->idle_since - list.front()->idle_since >= options.idle_keepalive)) {
            list.front()->close();
            list.pop_front();
        }
        list.push_back(std::move(conn));
    }

    BoundedMemo<Target> urls{1024};  // a vendor's few URLs, parsed once
    std::once_flag tls_once_;
    std::unique_ptr<ssl::context> tls_context_;

    // ---- connecting -------------------------------------------------------

    asio::awaitable<tcp::resolver::results_type> resolve(const Target &t, const Deadline &d,
                                                         std::chrono::milliseconds connect_limit,
                                                         const asio::any_io_executor &home) {
        // getaddrinfo cannot be interrupted: race it against a timer and, on
        // timeout, abandon it (the shared state outlives this frame).
        struct State {
            explicit State(const asio::any_io_executor &ex) : resolver(ex), timer(ex) {}
            tcp::resolver resolver;
            asio::steady_timer timer;
            bool done = false;
            error_code ec;
            tcp::resolver::results_type results;
        };
        error_code literal_ec;
        const auto literal = asio::ip::make_address(t.host, literal_ec);
        if (!literal_ec)  // an IP address: no resolver thread needed
            co_return tcp::resolver::results_type::create(tcp::endpoint(literal, t.port), t.host,
                                                          std::to_string(t.port));
        auto state = std::make_shared<State>(home);
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(d.total_end - Clock::now());
        if (left.count() <= 0) d.expired();
        const bool total_bound = left < connect_limit;
        state->timer.expires_after(std::min(left, connect_limit));
        state->resolver.async_resolve(t.host, std::to_string(t.port),
                                      [state](error_code ec, tcp::resolver::results_type results) {
                                          state->done = true;
                                          state->ec = ec;
                                          state->results = std::move(results);
                                          state->timer.cancel();
                                      });
        co_await state->timer.async_wait(use_tuple);
        if (!state->done) {
            state->resolver.cancel();
            if (total_bound) d.expired();
            d.fail(UpstreamFailure::timeout,
                   "name resolution timed out after " + std::to_string(ms(connect_limit)) + " ms");
        }
        if (state->ec) d.fail(UpstreamFailure::resolve, "cannot resolve host: " + state->ec.message());
        co_return state->results;
    }

    asio::awaitable<std::unique_ptr<PooledConnection>> connect(const Target &t, const Deadline &d,
                                                               std::chrono::milliseconds connect_limit,
                                                               const asio::any_io_executor &home) {
        auto results = co_await resolve(t, d, connect_limit, home);
        std::vector<tcp::endpoint> endpoints;
        for (const auto &entry : results)
            if (!options.address_allowed || options.address_allowed(entry.endpoint().address()))
                endpoints.push_back(entry.endpoint());
        if (endpoints.empty())
            d.fail(UpstreamFailure::connect, "refusing to connect: the host resolves only to link-local or "
                                             "cloud metadata addresses");
        auto conn = std::make_unique<PooledConnection>();
        CoarseDeadlines *const deadlines = CoarseDeadlines::of(home);
        if (!deadlines) d.fail(UpstreamFailure::connect, "requests must run on an io_context's own executor");
        conn->deadline.bind(*deadlines, conn->tcp_socket.emplace(home));
        {
            // One deadline for all the addresses, as one connect.
            const auto armed = d.arm(*conn, connect_limit, "connect");
            error_code ec = asio::error::host_not_found;
            for (const tcp::endpoint &endpoint : endpoints) {
                error_code ignored;
                conn->socket().close(ignored);  // after a failed address
                std::tie(ec) = co_await conn->socket().async_connect(endpoint, use_tuple);
                if (!ec || conn->timed_out(ec)) break;
            }
            conn->expires_never();
            if (conn->timed_out(ec)) d.timed_out(armed);
            if (ec) d.fail(UpstreamFailure::connect, "cannot connect: " + ec.message());
        }
        conn->socket().set_option(tcp::no_delay(true));
        conn->socket().non_blocking(true);  // for write_now and TLS's own reads and writes
        if (t.tls) {
            conn->secure = std::make_unique<TlsChannel>(conn->socket(), tls_context().native_handle());
            SSL *native = conn->secure->native_handle();
            const bool ip_literal = is_ip_literal(t.host);
            if (!ip_literal && SSL_set_tlsext_host_name(native, t.host.c_str()) != 1)
                d.fail(UpstreamFailure::tls, "cannot send the host name in SNI");
            if (options.verify_tls && !expect_peer_name(native, t.host, ip_literal))
                d.fail(UpstreamFailure::tls, "cannot set the host name to verify");
            const auto armed = d.arm(*conn, connect_limit, "TLS handshake");
            auto [ec] = co_await conn->secure->async_handshake(use_tuple);
            if (conn->timed_out(ec)) d.timed_out(armed);
            if (ec) {
                std::string cause = ec.message();
                const long verify = SSL_get_verify_result(native);
                if (verify != X509_V_OK) cause += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
                d.fail(UpstreamFailure::tls, "TLS handshake failed: " + cause);
            }
        }
        co_return conn;
    }

    // ---- one exchange -----------------------------------------------------

    // The request head as it goes on the wire. Written by hand rather than
    // with Beast's serializer: that one walks a buffer sequence per field and
    // cost a tenth of the daemon's instructions per proxied request.
    static std::string serialize_head(const UpstreamRequest &r, const Target &t) {
        auto invalid = [](std::string_view what) {
            throw UpstreamError(UpstreamFailure::invalid_url, "the plugin built an invalid request " + std::string(what));
        };
        auto is_token = [](std::string_view s) {
            return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
                return c > 0x20 && c < 0x7f && !std::strchr("\"(),/:;<=>?@[\\]{}", c);
            });
        };
        if (!is_token(r.method)) invalid("method");
        const auto has_line_break = [](std::string_view s) { return s.find_first_of("\r\n\0", 0, 3) != s.npos; };
        if (has_line_break(t.target) || has_line_break(t.host_header)) invalid("target");
        bool has_host = false, has_agent = false, has_length = false, has_encoding = false;
        std::string head;
        head.reserve(256 + t.target.size());
        head.append(r.method).append(" ").append(t.target).append(" HTTP/1.1\r\n");
        for (const auto &[name, value] : r.headers) {
            if (!is_token(name)) invalid("header name");
            if (has_line_break(value)) invalid("header value");
            has_host |= beast::iequals(name, "host");
            has_agent |= beast::iequals(name, "user-agent");
            has_length |= beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding");
            has_encoding |= beast::iequals(name, "accept-encoding");
            head.append(name).append(": ").append(value).append("\r\n");
        }
        if (!has_host) head.append("Host: ").append(t.host_header).append("\r\n");
        if (!has_agent) head.append("User-Agent: switchboard/" SWITCHBOARD_VERSION "\r\n");
        // Bodies are parsed as they come: nothing compressed, whatever the vendor's default.
        if (!has_encoding) head.append("Accept-Encoding: identity\r\n");
        if (!has_length && (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH"))
            head.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
        head.append("\r\n");
        return head;
    }

    // Sends the request and reads the response head, on a pooled connection
    // when there is one (once more on a fresh one if it turns out stale).
    asio::awaitable<UpstreamBody> open(const UpstreamRequest &request, UpstreamTimeouts timeouts) {
        auto target = urls.get(request.url, [&] { return split_url(request.url); });
        const std::string request_head = serialize_head(request, *target);
        const asio::any_io_executor home = co_await asio::this_coro::executor;
        const asio::execution_context *const pool = context_of(home);
        const Deadline d{Clock::now() + timeouts.total, timeouts.total, target.get()};

        bool fresh_only = false;
        for (;;) {
            auto s = std::make_unique<UpstreamBody::State>(*this, target, d, timeouts, pool);
            if (!fresh_only) s->conn = take_idle(target->origin, pool);
            const bool reused = s->conn != nullptr;
            if (!reused) s->conn = co_await connect(*target, d, timeouts.connect, home);
            PooledConnection &conn = *s->conn;
            {
                const std::array<asio::const_buffer, 2> wire{asio::buffer(request_head), asio::buffer(request.body)};
                error_code ec;
                // Plain TCP: written on the spot when the socket takes it all.
                const std::size_t sent = conn.secure ? 0 : write_now(conn.socket(), wire, ec);
                if (!ec && sent < asio::buffer_size(wire)) {
                    beast::buffers_suffix<std::array<asio::const_buffer, 2>> rest(wire);
                    rest.consume(sent);
                    const auto armed = d.arm(conn, timeouts.read, "sending the request");
                    if (conn.secure)
                        std::tie(ec, std::ignore) = co_await asio::async_write(*conn.secure, rest, use_tuple);
                    else
                        std::tie(ec, std::ignore) = co_await asio::async_write(conn.socket(), rest, use_tuple);
                    if (conn.timed_out(ec)) d.timed_out(armed);
                }
                if (ec && reused) {
                    fresh_only = true;  // a stale kept-alive connection
                    continue;
                }
                if (ec) d.fail(UpstreamFailure::protocol, "sending the request failed: " + ec.message());
            }
            const auto first_byte = timeouts.first_byte.count() > 0 ? timeouts.first_byte : timeouts.read;
            const auto armed = d.arm(conn, first_byte, "waiting for the response");
            error_code ec;
            for (bool interim = true; interim;) {  // 1xx heads come before the real one
                s->start_response(options.max_response_bytes, request.method == "HEAD");
                if (conn.secure)
                    std::tie(ec, std::ignore) =
                        co_await http::async_read_header(*conn.secure, conn.buffer, s->parser, use_tuple);
                else
                    std::tie(ec, std::ignore) =
                        co_await http::async_read_header(conn.socket(), conn.buffer, s->parser, use_tuple);
                interim = !ec && s->head.status >= 100 && s->head.status < 200 && s->head.status != 101;
            }
            if (ec && reused && !s->parser.got_some() && conn.buffer.size() == 0 && !conn.timed_out(ec)) {
                fresh_only = true;  // a stale kept-alive connection
                continue;
            }
            if (ec) read_failed(ec, armed, d, s->parser.got_some());
            if (s->head.status == 101) d.fail(UpstreamFailure::protocol, "unexpected 101 Switching Protocols");
            if (const auto coding = encoding_of(s->head); !coding.empty())
                d.fail(UpstreamFailure::protocol, "unsupported Content-Encoding: " + std::string(coding.substr(0, 32)) +
                                                      " (identity was asked for)");
            co_return UpstreamBody(std::move(s));
        }
    }

    // A Content-Encoding other than identity, or empty.
    static std::string_view encoding_of(const UpstreamResponse &head) {
        for (const auto &[name, value] : head.headers)
            if (beast::iequals(name, "content-encoding") && !value.empty() && !beast::iequals(value, "identity"))
                return value;
        return {};
    }

    // `started`: the response had begun, so a close is a truncation (a
    // network failure), not a server that does not speak HTTP.
    [[noreturn]] void read_failed(error_code ec, const ArmedTimeout &armed, const Deadline &d, bool started) const {
        if (ec == beast::error::timeout || ec == asio::error::operation_aborted) d.timed_out(armed);
        if (ec == http::error::body_limit)
            d.fail(UpstreamFailure::too_large,
                   "response larger than " + std::to_string(options.max_response_bytes) + " bytes");
        if (ec == http::error::header_limit) d.fail(UpstreamFailure::too_large, "response header too large");
        if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
            ec == asio::error::connection_reset || ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated)
            d.fail(started ? UpstreamFailure::truncated : UpstreamFailure::protocol,
                   "connection closed before the response ended");
        d.fail(UpstreamFailure::protocol, "malformed HTTP response: " + ec.message());
    }

    // One read into the parser under the read timeout; its error waits in
    // the state for check_read(). Not a coroutine: a waiting stream holds
    // the read alone, no frame of its own.
    static asio::awaitable<std::size_t> read_more(UpstreamBody::State &s);

    // A close ends a body that has no length (RFC 9112 6.3); any other
    // failure of the last read is thrown.
    void check_read(UpstreamBody::State &s) const {
        if (!s.read_ec) return;
        if (s.read_ec == asio::error::eof) {
            s.waited = false;  // the wait read nothing
            error_code ec;
            s.parser.put_eof(ec);
            if (!ec) {
                s.read_ec = {};
                return;
            }
        }
        read_failed(s.read_ec, s.read_armed, s.deadline, true);
    }

    static asio::awaitable<std::size_t> wait(UpstreamBody::State &s);

    // After wait(): its byte and whatever else has arrived are parsed from
    // the stack. A heap buffer per wake-up, interleaved with thousands of
    // streams' small blocks, fragmented the heap more than it saved; only
    // what cannot be parsed yet (a few bytes of chunk framing) is kept.
    void take_waited(UpstreamBody::State &s) const {
        constexpr std::size_t kReadAtOnce = 4096;  // more stays in the socket for the next read
        s.waited = false;
        beast::flat_buffer &kept = s.conn->buffer;
        if (kept.size() > 256) {  // not mere framing: take the plain way
            kept.commit(asio::buffer_copy(kept.prepare(1), asio::buffer(&s.waited_byte, 1)));
            return;
        }
        beast::flat_static_buffer<256 + 1 + kReadAtOnce> arrived;
        arrived.commit(asio::buffer_copy(arrived.prepare(kept.size()), kept.data()));
        const asio::mutable_buffer space = arrived.prepare(1 + kReadAtOnce);
        *static_cast<char *>(space.data()) = s.waited_byte;
        error_code ec;  // would_block when nothing followed; a failure shows at the next read
        const std::size_t n = s.conn->socket().read_some(space + 1, ec);
        arrived.commit(1 + (ec ? 0 : n));
        parse(s, arrived);
        kept.clear();
        kept.shrink_to_fit();
        kept.commit(asio::buffer_copy(kept.prepare(arrived.size()), arrived.data()));
    }

    // Feeds bytes read to the parser; a malformed response throws.
    template <class FlatBuffer>
    void parse(UpstreamBody::State &s, FlatBuffer &bytes) const {
        error_code ec;
        core::parse_buffered(s.parser, bytes, ec);
        if (ec) read_failed(ec, ArmedTimeout{"reading the response", s.timeouts.read, false}, s.deadline, true);
    }

    // Parses what the connection's buffer holds; true when that is enough.
    bool parse_arrived(UpstreamBody::State &s, bool whole) const {
        check_read(s);
        if (s.waited) take_waited(s);
        parse(s, s.conn->buffer);
        return s.parser.is_done() || (!whole && !s.parser.body.empty());
    }

    asio::awaitable<UpstreamResponse> read_all(UpstreamBody::State &s) {
        while (!parse_arrived(s, true)) co_await read_more(s);
        s.head.body = std::exchange(s.parser.body, std::string());
        co_return std::move(s.head);
    }

    asio::awaitable<UpstreamResponse> send(UpstreamRequest request, UpstreamTimeouts timeouts) {
        const UpstreamBody body = co_await open(request, timeouts);
        co_return co_await read_all(*body.state_);
    }

    // An ended body on a kept-alive connection goes back to the pool.
    void release(UpstreamBody::State &s);
};

UpstreamBody::State::~State() {
    if (conn) impl.release(*this);
}

void UpstreamClient::Impl::release(UpstreamBody::State &s) {
    std::unique_ptr<PooledConnection> conn = std::move(s.conn);
    if (s.parser.is_done() && s.parser.keep_alive() && conn->buffer.size() == 0) {
        conn->expires_never();
        put_idle(s.target->origin, s.pool, std::move(conn));
    } else {
        conn->close();
    }
}

asio::awaitable<std::size_t> UpstreamClient::Impl::read_more(UpstreamBody::State &s) {
    PooledConnection &conn = *s.conn;
    if (s.waited && !s.read_ec) s.impl.take_waited(s);  // not lost should a reader skip next_piece()
    s.read_armed = s.deadline.arm(conn, s.timeouts.read, "reading the response");
    if (conn.secure)
        return http::async_read_some(*conn.secure, conn.buffer, s.parser,
                                     asio::redirect_error(asio::use_awaitable, s.read_ec));
    return http::async_read_some(conn.socket(), conn.buffer, s.parser,
                                 asio::redirect_error(asio::use_awaitable, s.read_ec));
}

UpstreamBody::UpstreamBody() noexcept = default;
UpstreamBody::UpstreamBody(std::unique_ptr<State> state) : state_(std::move(state)) {}
UpstreamBody::~UpstreamBody() = default;
UpstreamBody::UpstreamBody(UpstreamBody &&) noexcept = default;
UpstreamBody &UpstreamBody::operator=(UpstreamBody &&) noexcept = default;
const UpstreamResponse &UpstreamBody::head() const noexcept { return state_->head; }
void UpstreamBody::drop_headers() noexcept { HeaderList().swap(state_->head.headers); }
bool UpstreamBody::next_piece(std::string &piece) {
    if (!state_->impl.parse_arrived(*state_, false)) return false;
    piece = std::exchange(state_->parser.body, std::string());
    return true;
}

asio::awaitable<std::size_t> UpstreamClient::Impl::wait(UpstreamBody::State &s) {
    PooledConnection &conn = *s.conn;
    conn.buffer.shrink_to_fit();  // a waiting stream keeps only the bytes it cannot parse yet
    s.waited = true;
    s.read_armed = s.deadline.arm(conn, s.timeouts.read, "reading the response");
    return conn.socket().async_read_some(
        asio::buffer(&s.waited_byte, 1),
        asio::bind_allocator(ExactAllocator<>(), asio::redirect_error(asio::use_awaitable, s.read_ec)));
}

bool UpstreamBody::can_wait() const noexcept {
    // Bytes still buffered were offered to the parser by the last
    // next_piece(): the start of a piece that needs more.
    // A TLS connection reads inside next(): OpenSSL may hold decrypted
    // bytes the socket no longer shows.
    return state_ && state_->conn && !state_->conn->secure && !state_->parser.is_done() && !state_->read_ec &&
           !state_->waited;
}

// Not coroutines themselves: each returns the inner awaitable, so a waiting
// stream carries no frame of theirs.
boost::asio::awaitable<std::size_t> UpstreamBody::read_more() { return UpstreamClient::Impl::read_more(*state_); }
boost::asio::awaitable<std::size_t> UpstreamBody::wait() { return UpstreamClient::Impl::wait(*state_); }
boost::asio::awaitable<UpstreamResponse> UpstreamBody::read_all() { return state_->impl.read_all(*state_); }

UpstreamClient::UpstreamClient(UpstreamClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

UpstreamClient::~UpstreamClient() {
    std::lock_guard lock(impl_->mutex);
    for (auto &[origin, list] : impl_->idle)
        for (auto &conn : list) conn->close();
    impl_->idle.clear();
}

boost::asio::awaitable<UpstreamResponse> UpstreamClient::send(UpstreamRequest request, UpstreamTimeouts timeouts) {
    return impl_->send(std::move(request), timeouts);
}

boost::asio::awaitable<UpstreamBody> UpstreamClient::open(const UpstreamRequest &request, UpstreamTimeouts timeouts) {
    return impl_->open(request, timeouts);
}

std::size_t UpstreamClient::idle_connections() const {
    std::lock_guard lock(impl_->mutex);
    std::size_t n = 0;
    const auto now = Clock::now();
    for (const auto &[origin, list] : impl_->idle)
        n += std::count_if(list.begin(), list.end(),
                           [&](const auto &c) { return now - c->idle_since < impl_->options.idle_keepalive; });
    return n;
}

}  // namespace sb::core
