#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sb::mock {

// What the mock needs from a request head; views point into the read buffer.
struct RequestHead {
    std::string_view method;
    std::string_view target;
    std::size_t head_bytes = 0;  // including the blank line
    std::size_t content_length = 0;
    bool chunked = false;
    bool keep_alive = true;
    bool expect_continue = false;
};

enum class ParseResult { incomplete, complete, bad };

// Largest request head accepted; a longer one is answered 431.
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
// Largest request body accepted; a longer one is answered 413.
constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;

ParseResult parse_request_head(std::string_view buffer, RequestHead &head);

// Decodes a chunked body that starts at data[0]. On complete, `body` holds
// the payload and `consumed` the encoded length including the trailer.
ParseResult decode_chunked_body(std::string_view data, std::string &body, std::size_t &consumed);

// Whether a JSON body says "stream": true; a substring scan is enough for a
// mock (the daemon writes the field at the top level).
bool body_requests_stream(std::string_view body);

}  // namespace sb::mock
