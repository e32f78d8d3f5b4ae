#pragma once
// A small synchronous HTTP/1.1 client for tests: one connection and one
// request per call, every step bounded by a deadline.
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::test {

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

struct TestHttpResponse {
    unsigned status = 0;
    TestHeaders headers;
    std::string body;

    // First value of the named header (case-insensitive), "" when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
    // Every header line as "Name: value\r\n", for searching.
    std::string headers_text() const;
    // Parses the body; throws with the body in the message when it is not JSON.
    boost::json::value json() const;
};

class TestHttpClient {
public:
    TestHttpClient(std::string host, unsigned short port,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds{15'000});

    // Sends one request. The body is sent with Content-Length (and
    // Content-Type when the body is not empty and no Content-Type is given).
    // The response is read concurrently with the write, so a server that
    // answers early (413) and closes is seen, not a broken pipe. Throws on
    // connection failure or timeout.
    TestHttpResponse request(std::string_view method, std::string_view target,
                             std::string_view body = {}, const TestHeaders &headers = {}) const;

    TestHttpResponse get(std::string_view target, const TestHeaders &headers = {}) const {
        return request("GET", target, {}, headers);
    }
    TestHttpResponse post(std::string_view target, std::string_view body,
                          const TestHeaders &headers = {}) const {
        return request("POST", target, body, headers);
    }
    TestHttpResponse post_json(std::string_view target, const boost::json::value &body) const;

    unsigned short port() const noexcept { return port_; }

private:
    std::string host_;
    unsigned short port_;
    std::chrono::milliseconds timeout_;
};

// Connects, writes `bytes` as is, then half-closes when `shutdown_send` is
// set, and returns whatever the server sent back before it closed or before
// `timeout` passed (no exception on reset or timeout).
std::string send_raw_bytes(const std::string &host, unsigned short port, std::string_view bytes,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds{5'000},
                           bool shutdown_send = true);

// Parses JSON text; throws std::runtime_error quoting the text on failure.
boost::json::value parse_json(std::string_view text);

}  // namespace sb::test
