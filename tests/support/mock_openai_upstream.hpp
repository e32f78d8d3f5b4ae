#pragma once
// A mock OpenAI-compatible vendor on the loopback server, scripted by what
// the request carries, so one instance serves every scenario of a test:
//
//   POST {prefix}/chat/completions
//     Authorization "Bearer sk-bad..."   -> 401 invalid_api_key; the message
//                                          echoes the whole key (the daemon
//                                          must redact it)
//     Authorization "Bearer sk-ratelimited" -> 429 rate_limit_exceeded, Retry-After: 1
//     model "missing-model"              -> 404 model_not_found
//     model "slow-model"                 -> never answers
//     model "boom-model"                 -> 500 server_error
//     "stream": true                     -> SSE chunks spelling "pong", then [DONE]
//     otherwise                          -> chat.completion "pong", usage 5/1/6,
//                                          echoing the requested model
//   GET {prefix}/models                  -> gpt-4o-mini, mock-model (same key rules)
//   POST {prefix}/embeddings             -> support/mock_embeddings.hpp (same key rules)
//   POST {prefix}/responses              -> one Responses API answer "pong" (same key rules)
//   anything under /notapi               -> 404 text/html "<html>Not Found</html>"
//   anything else                        -> 404 OpenAI-style "Invalid URL"
//
// A missing Authorization header is accepted (passthrough providers such as
// cecho need no key).
#include "support/loopback_http_server.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sb::test {

class MockOpenAiUpstream {
public:
    explicit MockOpenAiUpstream(std::string prefix = "/v1");

    unsigned short port() const { return server_.port(); }
    // "http://127.0.0.1:PORT/v1": what the daemon takes as api_base.
    std::string base_url() const { return server_.base_url() + prefix_; }
    // "http://127.0.0.1:PORT/notapi": a base that answers, but not as the API.
    std::string wrong_base_url() const { return server_.base_url() + "/notapi"; }

    std::vector<RecordedRequest> requests() const { return server_.requests(); }
    std::size_t request_count() const { return server_.request_count(); }
    // Requests whose path ends with /chat/completions, in arrival order.
    std::vector<RecordedRequest> chat_requests() const;
    std::optional<RecordedRequest> last_chat_request() const;
    // Requests whose path ends with /models.
    std::vector<RecordedRequest> model_list_requests() const;

    LoopbackHttpServer &server() { return server_; }

private:
    MockAction answer(const RecordedRequest &request) const;

    std::string prefix_;
    LoopbackHttpServer server_;
};

// The bodies the mock answers with, for tests that compare messages.
namespace mock_openai {
inline constexpr const char *reply_text = "pong";
inline constexpr const char *rate_limit_message =
    "Rate limit reached for gpt-4o-mini in organization org-mock on requests per min (RPM): "
    "Limit 3, Used 3, Requested 1.";
inline constexpr const char *model_not_found_message =
    "The model `missing-model` does not exist or you do not have access to it.";
inline constexpr const char *server_error_message =
    "The server had an error while processing your request. Sorry about that!";
}  // namespace mock_openai

}  // namespace sb::test
