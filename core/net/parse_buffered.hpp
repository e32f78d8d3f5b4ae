#pragma once
// Parses what a read buffer already holds, with no I/O. A request's body (or
// a response's) usually arrives in the same read as its head; asking Beast
// for it with another asynchronous read completes that read through a posted
// handler, one more trip through the scheduler (a non-blocking epoll_wait)
// for bytes already in memory.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace sb::core {

// Feeds buffer (a flat_buffer or flat_static_buffer) to parser until the
// message is done or more bytes are needed (then ec is clear). ec is set on
// a parse error (limits included).
template <bool isRequest, class FlatBuffer>
void parse_buffered(boost::beast::http::basic_parser<isRequest> &parser, FlatBuffer &buffer,
                    boost::system::error_code &ec) {
    while (!parser.is_done() && buffer.size() > 0) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == boost::beast::http::error::need_more) {
            ec = {};
            return;
        }
        if (ec || used == 0) return;
    }
}

}  // namespace sb::core
