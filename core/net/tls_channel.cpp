#include "core/net/tls_channel.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <stdexcept>
#include <sys/socket.h>

namespace sb::core {

namespace {

// What the BIO knows of its socket, and the errno of its last failed call
// (OpenSSL reports SSL_ERROR_SYSCALL after it, other calls may clobber errno).
struct SocketLink {
    int fd = -1;
    int last_errno = 0;
};

// send() with MSG_NOSIGNAL: OpenSSL's own socket BIO writes with plain
// send(), and a peer gone away would raise SIGPIPE in the whole process.
int link_write(BIO *bio, const char *data, int size) {
    auto *link = static_cast<SocketLink *>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    link->last_errno = 0;
    for (;;) {
        const ssize_t n = ::send(link->fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_write(bio);
        else
            link->last_errno = errno;
        return -1;
    }
}

int link_read(BIO *bio, char *data, int size) {
    auto *link = static_cast<SocketLink *>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    link->last_errno = 0;
    for (;;) {
        const ssize_t n = ::recv(link->fd, data, static_cast<std::size_t>(size), 0);
        if (n >= 0) return static_cast<int>(n);  // 0: the peer closed the connection
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_read(bio);
        else
            link->last_errno = errno;
        return -1;
    }
}

long link_ctrl(BIO *, int command, long, void *) {
    return command == BIO_CTRL_FLUSH ? 1 : 0;  // writes are not buffered here
}

int link_create(BIO *bio) {
    BIO_set_data(bio, new SocketLink);
    BIO_set_init(bio, 1);
    return 1;
}

int link_destroy(BIO *bio) {
    delete static_cast<SocketLink *>(BIO_get_data(bio));
    BIO_set_data(bio, nullptr);
    return 1;
}

BIO_METHOD *link_method() {
    static BIO_METHOD *method = [] {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "switchboard socket");
        if (!m || !BIO_meth_set_write(m, link_write) || !BIO_meth_set_read(m, link_read) ||
            !BIO_meth_set_ctrl(m, link_ctrl) || !BIO_meth_set_create(m, link_create) ||
            !BIO_meth_set_destroy(m, link_destroy))
            return static_cast<BIO_METHOD *>(nullptr);
        return m;
    }();
    return method;
}

boost::system::error_code truncated() { return boost::asio::ssl::error::stream_truncated; }

}  // namespace

TlsChannel::TlsChannel(boost::asio::ip::tcp::socket &socket, SSL_CTX *context)
    : socket_(socket), ssl_(SSL_new(context)) {
    BIO *bio = link_method() ? BIO_new(link_method()) : nullptr;
    if (!ssl_ || !bio) {
        BIO_free(bio);
        SSL_free(ssl_);
        throw std::runtime_error("cannot create a TLS session");
    }
    static_cast<SocketLink *>(BIO_get_data(bio))->fd = socket.native_handle();
    SSL_set_bio(ssl_, bio, bio);  // the session owns the BIO from here
    SSL_set_connect_state(ssl_);
    // Partial writes are what async_write_some reports; record buffers are
    // freed while the connection is idle, as a held stream mostly is.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

TlsChannel::Outcome TlsChannel::attempt(Step step, void *data, std::size_t size) {
    ERR_clear_error();
    std::size_t moved = 0;
    int result = 1;
    switch (step) {
    case Step::handshake:
        result = SSL_do_handshake(ssl_);
        break;
    case Step::read:
        if (size == 0) return {};
        result = SSL_read_ex(ssl_, data, size, &moved);
        break;
    case Step::write:
        if (size == 0) return {};
        result = SSL_write_ex(ssl_, data, size, &moved);
        break;
    }
    if (result == 1) return {Outcome::done, {}, moved};
    switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
        // Nothing left to decrypt: the ~17 KiB record buffer need not wait
        // with the connection (a held stream mostly waits).
        SSL_free_buffers(ssl_);
        return {Outcome::want_read, {}, 0};
    case SSL_ERROR_WANT_WRITE:
        return {Outcome::want_write, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // close_notify
        return {Outcome::done, boost::asio::error::eof, 0};
    case SSL_ERROR_SYSCALL: {
        const int failed = static_cast<SocketLink *>(BIO_get_data(SSL_get_rbio(ssl_)))->last_errno;
        if (ERR_peek_error() == 0 && failed != 0)
            return {Outcome::done, boost::system::error_code(failed, boost::system::system_category()), 0};
        return {Outcome::done, truncated(), 0};
    }
    default: {
        const unsigned long error = ERR_get_error();
        if (ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return {Outcome::done, truncated(), 0};
        // Asio's SSL category, so messages read as they did with asio::ssl::stream.
        return {Outcome::done,
                boost::system::error_code(static_cast<int>(error), boost::asio::error::get_ssl_category()), 0};
    }
    }
}

}  // namespace sb::core
