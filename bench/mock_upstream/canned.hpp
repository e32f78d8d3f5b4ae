#pragma once

#include "options.hpp"

#include <string>
#include <string_view>

namespace sb::mock {

// A whole response (head and body) rendered once at start-up, in the two
// variants a connection may need.
struct CannedReply {
    std::string keep_alive;
    std::string close;  // carries "Connection: close"

    const std::string &pick(bool keep) const { return keep ? keep_alive : close; }
};

// An SSE response as pre-encoded HTTP chunks. A stream of N content chunks is
// head + prologue + content x (N-1) + last; with N = 0 it is head + prologue + empty_end.
struct CannedStream {
    CannedReply head;
    std::string prologue;   // e.g. the role chunk or message_start
    std::string content;    // one content chunk
    std::string last;       // the final content chunk, the closing events and the 0-length chunk
    std::string empty_end;  // the closing events and the 0-length chunk when there is no content
    std::string whole;      // prologue to the end in one piece, for streams without chunk spacing
};

struct Dialect {
    CannedReply reply;
    CannedStream stream;
};

enum class Route { openai, anthropic, gemini, gemini_stream, cohere, models, health, not_found };

// Every response the mock can send, rendered from the options.
struct CannedResponses {
    Dialect openai, anthropic, gemini, cohere;
    CannedReply models, health, not_found, server_error, rate_limited, head_too_large, body_too_large, bad_request;
    std::string continue_100;
};

CannedResponses render_responses(const Options &options);

// Picks the route by method and path suffix; `target` may carry a query.
Route route_request(std::string_view method, std::string_view target);

}  // namespace sb::mock
