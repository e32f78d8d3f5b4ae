#include "support/test_http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <optional>
#include <stdexcept>

namespace sb::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

using beast::iequals;

// Connects `stream` (deadline already set) to host:port, running `ioc`.
void connect(asio::io_context &ioc, beast::tcp_stream &stream, const std::string &host, unsigned short port) {
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(host, std::to_string(port));
    beast::error_code result;
    stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint &) { result = ec; });
    ioc.run();
    ioc.restart();
    if (result)
        throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + " failed: " + result.message());
}

}  // namespace

std::string TestHttpResponse::header(std::string_view name) const {
    for (const auto &[n, v] : headers)
        if (iequals(n, name)) return v;
    return {};
}

bool TestHttpResponse::has_header(std::string_view name) const {
    for (const auto &[n, v] : headers)
        if (iequals(n, name)) return true;
    return false;
}

std::string TestHttpResponse::headers_text() const {
    std::string text;
    for (const auto &[n, v] : headers) text += n + ": " + v + "\r\n";
    return text;
}

boost::json::value TestHttpResponse::json() const { return parse_json(body); }

boost::json::value parse_json(std::string_view text) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec)
        throw std::runtime_error("not JSON (" + ec.message() + "): " +
                                 std::string(text.substr(0, 2000)));
    return value;
}

TestHttpClient::TestHttpClient(std::string host, unsigned short port, std::chrono::milliseconds timeout)
    : host_(std::move(host)), port_(port), timeout_(timeout) {}

TestHttpResponse TestHttpClient::request(std::string_view method, std::string_view target,
                                         std::string_view body, const TestHeaders &headers) const {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout_);
    connect(ioc, stream, host_, port_);

    http::request<http::string_body> req;
    req.version(11);
    req.method_string(method);
    req.target(target);
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
    req.set(http::field::user_agent, "switchboard-tests");
    req.set(http::field::connection, "close");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto &[name, value] : headers) req.set(name, value);
    req.body() = std::string(body);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        req.content_length(body.size());

    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{512} << 20);
    parser.header_limit(1u << 20);
    beast::flat_buffer buffer;

    std::optional<beast::error_code> read_result, write_result;
    http::async_write(stream, req, [&](beast::error_code ec, std::size_t) { write_result = ec; });
    http::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) {
        read_result = ec;
        // The server answered (possibly early, e.g. 413): stop sending.
        if (!write_result) stream.socket().cancel();
    });
    ioc.run();

    if (!read_result || *read_result) {
        std::string why = read_result ? read_result->message() : std::string("no result");
        std::string wrote = write_result && *write_result ? " (write: " + write_result->message() + ")" : "";
        throw std::runtime_error(std::string(method) + " " + std::string(target) + " on port " +
                                 std::to_string(port_) + ": reading the response failed: " + why + wrote);
    }
    auto res = parser.release();
    TestHttpResponse out;
    out.status = res.result_int();
    for (const auto &field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.body = std::move(res.body());
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return out;
}

TestHttpResponse TestHttpClient::post_json(std::string_view target, const boost::json::value &body) const {
    return post(target, boost::json::serialize(body));
}

std::string send_raw_bytes(const std::string &host, unsigned short port, std::string_view bytes,
                           std::chrono::milliseconds timeout, bool shutdown_send) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    connect(ioc, stream, host, port);

    std::string received;
    auto sink = asio::dynamic_buffer(received);
    asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), [&](beast::error_code ec, std::size_t) {
        if (!ec && shutdown_send) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
    });
    asio::async_read(stream, sink, [](beast::error_code, std::size_t) {});
    ioc.run();
    return received;
}

}  // namespace sb::test
