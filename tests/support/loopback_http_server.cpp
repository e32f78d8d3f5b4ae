#include "support/loopback_http_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>
#include <future>
#include <set>
#include <thread>

namespace sb::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string reason_for(int status) {
    auto reason = http::obsolete_reason(static_cast<http::status>(status));
    return reason.empty() ? std::string("Status") : std::string(reason);
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
    for (const auto &[key, value] : headers)
        if (iequals(key, name)) return value;
    return {};
}

bool RecordedRequest::has_header(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto &h) { return iequals(h.first, name); });
}

MockAction MockAction::reply(int status, MockHeaders headers, std::string body) {
    MockAction a;
    a.kind = Kind::reply;
    a.status = status;
    a.headers = std::move(headers);
    a.body = std::move(body);
    return a;
}

MockAction MockAction::reply_and_close(int status, MockHeaders headers, std::string body) {
    MockAction a = reply(status, std::move(headers), std::move(body));
    a.keep_alive = false;
    return a;
}

MockAction MockAction::hang() {
    MockAction a;
    a.kind = Kind::hang;
    return a;
}

MockAction MockAction::close() {
    MockAction a;
    a.kind = Kind::close;
    return a;
}

MockAction MockAction::stream(int status, MockHeaders headers, std::vector<std::string> pieces,
                              std::chrono::milliseconds piece_delay, bool truncate) {
    MockAction a;
    a.kind = Kind::stream;
    a.status = status;
    a.headers = std::move(headers);
    a.pieces = std::move(pieces);
    a.piece_delay = piece_delay;
    a.truncate = truncate;
    return a;
}

MockAction MockAction::raw_pieces(std::vector<std::string> pieces, std::chrono::milliseconds piece_delay) {
    MockAction a;
    a.kind = Kind::raw;
    a.pieces = std::move(pieces);
    a.piece_delay = piece_delay;
    return a;
}

MockAction MockAction::raw(std::string bytes) {
    MockAction a;
    a.kind = Kind::raw;
    a.raw_bytes = std::move(bytes);
    return a;
}

// One accepted connection; only touched on the server thread.
struct Connection {
    explicit Connection(asio::io_context &ioc) : socket(ioc), timer(ioc) {}
    tcp::socket socket;
    asio::steady_timer timer;
};

struct LoopbackHttpServer::Impl {
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
    std::unique_ptr<tcp::acceptor> acceptor;
    std::thread thread;
    std::future<void> finished;
    unsigned short port = 0;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    Handler handler;
    std::vector<RecordedRequest> recorded;
    std::size_t accepted = 0;
    std::size_t closed_by_peer = 0;
    bool stopped = false;  // guarded by mutex (stop() is idempotent)

    // Server thread only.
    bool stopping = false;
    std::set<std::shared_ptr<Connection>> connections;

    void peer_closed() {
        {
            std::lock_guard lock(mutex);
            ++closed_by_peer;
        }
        changed.notify_all();
    }

    // A failed read/write counts as closed by peer unless we are stopping.
    void note_failure(const boost::system::error_code &ec) {
        if (!stopping && ec != asio::error::operation_aborted) peer_closed();
    }

    // Writes all of `bytes`; false (and the failure noted) if the peer is gone.
    asio::awaitable<bool> write_raw(Connection &conn, const std::string &bytes) {
        boost::system::error_code ec;
        co_await asio::async_write(conn.socket, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) note_failure(ec);
        co_return !ec;
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto conn = std::make_shared<Connection>(*ioc);
            boost::system::error_code ec;
            co_await acceptor->async_accept(conn->socket, asio::redirect_error(asio::use_awaitable, ec));
            if (ec || stopping) co_return;
            {
                std::lock_guard lock(mutex);
                ++accepted;
            }
            changed.notify_all();
            connections.insert(conn);
            asio::co_spawn(*ioc, serve(conn), asio::detached);
        }
    }

    asio::awaitable<void> serve(std::shared_ptr<Connection> conn) {
        try {
            co_await serve_requests(*conn);
        } catch (...) {
        }
        boost::system::error_code ignored;
        conn->socket.close(ignored);
        connections.erase(conn);
    }

    MockAction decide(const RecordedRequest &request) {
        Handler h;
        {
            std::lock_guard lock(mutex);
            recorded.push_back(request);
            h = handler;
        }
        changed.notify_all();
        if (!h) return MockAction::reply(500, {}, "no handler");
        try {
            return h(request);
        } catch (const std::exception &e) {
            return MockAction::reply(500, {}, std::string("handler threw: ") + e.what());
        }
    }

    asio::awaitable<void> serve_requests(Connection &conn) {
        boost::beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(256u << 20);
            parser.header_limit(1u << 20);
            boost::system::error_code ec;
            co_await http::async_read(conn.socket, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                // A clean close between requests or a reset: both are the peer's doing.
                note_failure(ec);
                co_return;
            }
            auto &msg = parser.get();
            RecordedRequest request;
            request.method = std::string(msg.method_string());
            request.target = std::string(msg.target());
            for (const auto &field : msg)
                request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
            request.body = msg.body();
            const bool client_keep_alive = msg.keep_alive();

            MockAction action = decide(request);
            if (stopping) co_return;

            switch (action.kind) {
            case MockAction::Kind::reply: {
                http::response<http::string_body> res{static_cast<http::status>(action.status), 11};
                for (const auto &[k, v] : action.headers) res.insert(k, v);
                res.body() = std::move(action.body);
                res.prepare_payload();
                const bool keep = client_keep_alive && action.keep_alive;
                res.keep_alive(keep);
                co_await http::async_write(conn.socket, res, asio::redirect_error(asio::use_awaitable, ec));
                if (ec) {
                    note_failure(ec);
                    co_return;
                }
                if (!keep) {
                    conn.socket.shutdown(tcp::socket::shutdown_send, ec);
                    co_return;
                }
                break;
            }
            case MockAction::Kind::hang: {
                // Read (and drop) until the peer goes away or we stop.
                char sink[4096];
                for (;;) {
                    co_await conn.socket.async_read_some(asio::buffer(sink),
                                                         asio::redirect_error(asio::use_awaitable, ec));
                    if (ec) {
                        note_failure(ec);
                        co_return;
                    }
                }
            }
            case MockAction::Kind::close:
                co_return;
            case MockAction::Kind::raw: {
                if (!co_await write_raw(conn, action.raw_bytes)) co_return;
                for (const auto &piece : action.pieces) {
                    conn.timer.expires_after(action.piece_delay);
                    co_await conn.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                    if (stopping || !co_await write_raw(conn, piece)) co_return;
                }
                conn.socket.shutdown(tcp::socket::shutdown_send, ec);
                co_return;
            }
            case MockAction::Kind::stream: {
                std::string head = "HTTP/1.1 " + std::to_string(action.status) + " " +
                                   reason_for(action.status) + "\r\n";
                for (const auto &[k, v] : action.headers) head += k + ": " + v + "\r\n";
                head += "Transfer-Encoding: chunked\r\n\r\n";
                if (!co_await write_raw(conn, head)) co_return;
                for (const auto &piece : action.pieces) {
                    if (action.piece_delay.count() > 0) {
                        conn.timer.expires_after(action.piece_delay);
                        co_await conn.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
                        if (stopping) co_return;
                    }
                    if (piece.empty()) continue;  // an empty chunk would end the body
                    char size[32];
                    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
                    std::string chunk = size + piece + "\r\n";
                    if (!co_await write_raw(conn, chunk)) co_return;
                }
                if (action.truncate) {
                    conn.socket.shutdown(tcp::socket::shutdown_send, ec);
                    co_return;
                }
                if (!co_await write_raw(conn, "0\r\n\r\n")) co_return;
                if (!client_keep_alive) {
                    conn.socket.shutdown(tcp::socket::shutdown_send, ec);
                    co_return;
                }
                break;
            }
            }
        }
    }

    void close_all() {
        stopping = true;
        boost::system::error_code ignored;
        if (acceptor) acceptor->close(ignored);
        for (const auto &conn : connections) {
            conn->timer.cancel();
            conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
            conn->socket.close(ignored);
        }
    }
};

LoopbackHttpServer::LoopbackHttpServer(Handler handler) : impl_(std::make_shared<Impl>()) {
    impl_->handler = std::move(handler);
    impl_->acceptor = std::make_unique<tcp::acceptor>(*impl_->ioc);
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor->bind(endpoint);
    impl_->acceptor->listen();
    impl_->port = impl_->acceptor->local_endpoint().port();
    asio::co_spawn(*impl_->ioc, impl_->accept_loop(), asio::detached);
    std::packaged_task<void()> task([impl = impl_.get()] { impl->ioc->run(); });
    impl_->finished = task.get_future();
    impl_->thread = std::thread(std::move(task));
}

LoopbackHttpServer::~LoopbackHttpServer() { stop(); }

void LoopbackHttpServer::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopped) return;
        impl_->stopped = true;
    }
    asio::post(*impl_->ioc, [impl = impl_.get()] { impl->close_all(); });
    // Let the aborted operations unwind; never wait long.
    if (impl_->finished.wait_for(std::chrono::seconds(2)) != std::future_status::ready) impl_->ioc->stop();
    if (impl_->thread.joinable()) impl_->thread.join();
    // Destroy leftover coroutine frames (and their sockets) while Impl is whole.
    impl_->connections.clear();
    impl_->acceptor.reset();
    impl_->ioc.reset();
}

unsigned short LoopbackHttpServer::port() const { return impl_->port; }

std::string LoopbackHttpServer::base_url() const {
    return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void LoopbackHttpServer::set_handler(Handler handler) {
    std::lock_guard lock(impl_->mutex);
    impl_->handler = std::move(handler);
}

std::vector<RecordedRequest> LoopbackHttpServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->recorded;
}

std::size_t LoopbackHttpServer::request_count() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->recorded.size();
}

std::size_t LoopbackHttpServer::connections_accepted() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->accepted;
}

std::size_t LoopbackHttpServer::connections_closed_by_peer() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->closed_by_peer;
}

bool LoopbackHttpServer::wait_for_closed_by_peer(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->closed_by_peer >= n; });
}

bool LoopbackHttpServer::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->recorded.size() >= n; });
}

}  // namespace sb::test
