#pragma once
// A write that completes on the spot. A response, a vendor request or an SSE
// event nearly always fits the socket's send buffer: written directly it
// costs one system call, where an asynchronous write also arms its deadline
// timer and takes two more trips through the scheduler (its completion and
// the cancelled timer's). Only what the socket does not take now goes the
// asynchronous way, deadline included.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_suffix.hpp>

#include <cstddef>

namespace sb::core {

// The socket must be in non-blocking mode. Returns the bytes written; ec is
// set only on a real failure (a full buffer is not one).
template <class ConstBuffers>
std::size_t write_now(boost::asio::ip::tcp::socket &socket, const ConstBuffers &buffers,
                      boost::system::error_code &ec) {
    const std::size_t size = boost::asio::buffer_size(buffers);
    std::size_t written = 0;
    while (written < size) {
        boost::beast::buffers_suffix<ConstBuffers> rest(buffers);
        rest.consume(written);
        const std::size_t n = socket.write_some(rest, ec);
        if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
            ec = {};
            break;
        }
        if (ec) break;
        written += n;
    }
    return written;
}

}  // namespace sb::core
