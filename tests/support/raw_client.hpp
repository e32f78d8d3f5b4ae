#pragma once
// A plain TCP client for tests that must see exactly what a server sends and
// when: bytes go out as given, and every read is bounded in time whatever
// the server does (poll, then recv on the descriptor).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace sb::test {

class RawClient {
public:
    // Connects to 127.0.0.1:port from local_address (another loopback
    // address is another client to the server).
    explicit RawClient(unsigned short port, const char *local_address = "127.0.0.1");
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    void send(std::string_view bytes);
    // false when the server has closed or reset the connection.
    bool try_send(std::string_view bytes) noexcept;
    // Up to the end of a response head, or what came within `within`.
    std::string head(std::chrono::milliseconds within);
    // What comes until the server closes the connection or `within` passes.
    std::string rest(std::chrono::milliseconds within);
    // Whether the server closed the connection (EOF or reset) within `within`.
    bool closed_within(std::chrono::milliseconds within);
    // The client leaves.
    void close() noexcept;

private:
    std::string receive(std::chrono::milliseconds within, bool head_only);

    boost::asio::io_context io_;
    boost::asio::ip::tcp::socket socket_;
    bool closed_ = false;
};

}  // namespace sb::test
