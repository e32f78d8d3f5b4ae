#include "support/raw_client.hpp"

#include <boost/asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>

namespace sb::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

RawClient::RawClient(unsigned short port, const char *local_address) : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(asio::ip::make_address(local_address), 0));
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

void RawClient::send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

bool RawClient::try_send(std::string_view bytes) noexcept {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
}

std::string RawClient::head(std::chrono::milliseconds within) { return receive(within, true); }

std::string RawClient::rest(std::chrono::milliseconds within) { return receive(within, false); }

bool RawClient::closed_within(std::chrono::milliseconds within) {
    receive(within, false);
    return closed_;
}

void RawClient::close() noexcept {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

std::string RawClient::receive(std::chrono::milliseconds within, bool head_only) {
    std::string got;
    const auto until = Clock::now() + within;
    char buf[4096];
    while (!closed_ && !(head_only && got.find("\r\n\r\n") != std::string::npos)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        if (left <= 0) break;
        pollfd p{socket_.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
        const ssize_t n = ::recv(socket_.native_handle(), buf, sizeof buf, 0);
        if (n <= 0) {
            closed_ = true;
            break;
        }
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

}  // namespace sb::test
