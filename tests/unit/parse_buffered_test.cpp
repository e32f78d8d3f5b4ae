#define BOOST_TEST_MODULE parse_buffered
#include <boost/test/unit_test.hpp>

#include "core/net/parse_buffered.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>

namespace http = boost::beast::http;
using sb::core::parse_buffered;

namespace {

void fill(boost::beast::flat_buffer &buffer, const std::string &bytes) {
    buffer.commit(boost::asio::buffer_copy(buffer.prepare(bytes.size()), boost::asio::buffer(bytes)));
}

const std::string kHead = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n";

}  // namespace

BOOST_AUTO_TEST_CASE(a_body_already_buffered_completes_the_message) {
    http::request_parser<http::string_body> parser;
    boost::beast::flat_buffer buffer;
    fill(buffer, kHead + "{\"a\":\"bcd\"}GET /next");  // and the start of a pipelined request
    boost::system::error_code ec;
    parse_buffered(parser, buffer, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(parser.is_done());
    BOOST_TEST(parser.get().body() == "{\"a\":\"bcd\"}");
    BOOST_TEST(buffer.size() == 9u);  // the next request stays in the buffer
}

BOOST_AUTO_TEST_CASE(a_partial_body_asks_for_more_without_error) {
    http::request_parser<http::string_body> parser;
    boost::beast::flat_buffer buffer;
    fill(buffer, kHead + "{\"a\"");
    boost::system::error_code ec;
    parse_buffered(parser, buffer, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(!parser.is_done());
    fill(buffer, ":\"bcd\"}");
    parse_buffered(parser, buffer, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(parser.is_done());
    BOOST_TEST(parser.get().body() == "{\"a\":\"bcd\"}");
}

BOOST_AUTO_TEST_CASE(limits_still_apply) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(4);
    boost::beast::flat_buffer buffer;
    fill(buffer, kHead + "{\"a\":\"bcd\"}");
    boost::system::error_code ec;
    parse_buffered(parser, buffer, ec);
    BOOST_TEST((ec == http::error::body_limit), ec.message());
}

BOOST_AUTO_TEST_CASE(a_chunked_response_is_parsed_from_the_buffer) {
    http::response_parser<http::string_body> parser;
    boost::beast::flat_buffer buffer;
    fill(buffer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    boost::system::error_code ec;
    parse_buffered(parser, buffer, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(parser.is_done());
    BOOST_TEST(parser.get().body() == "abcde");
    BOOST_TEST(buffer.size() == 0u);
}
