#pragma once
// TLS on a plain socket: OpenSSL reads and writes the socket's descriptor
// itself, through a small BIO of ours. asio::ssl::stream copies every byte
// through buffers it allocates per connection (two 17 KiB record buffers and
// a 2 x 17 KiB BIO pair): about 80 KiB per held TLS connection, where a whole
// plain (unencrypted) stream costs about 5 KB. Here a connection keeps OpenSSL's state
// alone, and its record buffers are released while idle: about 21 KiB
// (bench/sb-tls-hold).
//
// The socket stays the owner's: connected and non-blocking before the
// handshake, its deadlines (CoarseDeadlines) cancel the waits below.
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace sb::core {

class TlsChannel {
public:
    using executor_type = boost::asio::ip::tcp::socket::executor_type;

    // A client session on socket. Throws std::runtime_error if OpenSSL
    // cannot make one.
    TlsChannel(boost::asio::ip::tcp::socket &socket, SSL_CTX *context);
    ~TlsChannel();
    TlsChannel(const TlsChannel &) = delete;
    TlsChannel &operator=(const TlsChannel &) = delete;

    SSL *native_handle() const noexcept { return ssl_; }
    executor_type get_executor() noexcept { return socket_.get_executor(); }

    // Completion signatures: void(error_code) and void(error_code, size_t).
    // A close_notify reads as asio::error::eof; the peer closing without one
    // as asio::ssl::error::stream_truncated.
    template <class Token>
    auto async_handshake(Token &&token) {
        return boost::asio::async_compose<Token, void(boost::system::error_code)>(
            StepOp<false>(*this, Step::handshake, nullptr, 0), token, socket_);
    }
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers &buffers, Token &&token) {
        const boost::asio::mutable_buffer b = first_buffer(buffers);
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            StepOp<true>(*this, Step::read, b.data(), b.size()), token, socket_);
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers &buffers, Token &&token) {
        const boost::asio::const_buffer b = first_buffer(buffers);
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            StepOp<true>(*this, Step::write, const_cast<void *>(b.data()), b.size()), token, socket_);
    }

private:
    enum class Step { handshake, read, write };
    struct Outcome {
        enum Next { done, want_read, want_write } next = done;
        boost::system::error_code ec;
        std::size_t bytes = 0;
    };
    // One try of SSL_do_handshake, SSL_read_ex or SSL_write_ex.
    Outcome attempt(Step step, void *data, std::size_t size);

    // The first non-empty buffer: one record's worth is all a try moves.
    template <class Buffers>
    static auto first_buffer(const Buffers &buffers) {
        using Buffer = std::decay_t<decltype(*boost::asio::buffer_sequence_begin(buffers))>;
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it)
            if (Buffer b(*it); b.size() > 0) return b;
        return Buffer();
    }

    // Tries, waits for the socket as OpenSSL asks, tries again. A result at
    // the first try is posted: a completion never runs inside its initiation.
    template <bool WithBytes>
    struct StepOp {
        StepOp(TlsChannel &channel, Step step, void *data, std::size_t size)
            : channel(channel), step(step), data(data), size(size) {}

        TlsChannel &channel;
        Step step;
        void *data;
        std::size_t size;
        bool waited = false;  // went through the event loop at least once
        std::optional<Outcome> ready;

        template <class Self>
        void operator()(Self &self, boost::system::error_code ec = {}) {
            if (ready) return finish(self, *ready);
            if (ec) return finish(self, {Outcome::done, ec, 0});
            const Outcome out = channel.attempt(step, data, size);
            if (out.next != Outcome::done) {
                waited = true;
                const auto wait = out.next == Outcome::want_read ? boost::asio::ip::tcp::socket::wait_read
                                                                 : boost::asio::ip::tcp::socket::wait_write;
                return channel.socket_.async_wait(wait, std::move(self));
            }
            if (!waited) {
                waited = true;
                ready = out;
                return boost::asio::post(channel.socket_.get_executor(), std::move(self));
            }
            finish(self, out);
        }

        template <class Self>
        static void finish(Self &self, const Outcome &out) {
            if constexpr (WithBytes)
                self.complete(out.ec, out.bytes);
            else
                self.complete(out.ec);
        }
    };

    boost::asio::ip::tcp::socket &socket_;
    SSL *ssl_;
};

}  // namespace sb::core
