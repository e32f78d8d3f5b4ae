#pragma once
// Mock vendor APIs on the loopback server, one per wire dialect the provider
// plugins speak, for end-to-end tests through the real daemon. Each mock is
// scripted by what the request carries, so one instance serves every
// scenario of a test, and it records every request it gets.
//
//   Anthropic  POST {root}/v1/messages        x-api-key + anthropic-version (a date, 2023-06-01 or later)
//              POST {root}/v1/messages/count_tokens -> {"input_tokens":11}
//              GET  {root}/v1/models           (models.json)
//              SSE: "event: <type>\ndata: <payload>\n\n"
//   Gemini     POST {root}/v1beta/models/{model}:generateContent
//              POST {root}/v1beta/models/{model}:streamGenerateContent?alt=sse
//              GET  {root}/v1beta/models        x-goog-api-key; a "key=" query
//              parameter anywhere is refused with 400 (the key must never be
//              put in a URL). SSE: "data: <payload>\r\n\r\n", no [DONE].
//   Cohere     POST {root}/v2/chat, GET {root}/v1/models, Authorization: Bearer;
//              SSE: "event: <type>\ndata: <payload>\n\n", no [DONE].
//   Mistral    POST {root}/v1/chat/completions, GET {root}/v1/models, Bearer;
//              SSE "data: ..." ending in "data: [DONE]".
//   Together   as Mistral; GET /v1/models answers a bare JSON array.
//   OpenAI     as Mistral (tests/fixtures/openai): OpenAI's own error bodies
//              (401 invalid_api_key, 404 model_not_found, 429
//              rate_limit_exceeded, 500 server_error); also serves the
//              "custom" provider (any OpenAI-compatible server).
//
// Embeddings (every dialect but Anthropic's, which has none): see
// support/mock_embeddings.hpp.
//
// Scripting (every dialect):
//   key "bad-key"            -> the vendor's invalid-key answer (Anthropic 401
//                               authentication_error; Gemini 400
//                               INVALID_ARGUMENT reason API_KEY_INVALID; Cohere
//                               401 "invalid api token"; Mistral 401
//                               {"message":"Unauthorized"}; Together 401
//                               invalid_api_key)
//   key "bad-key-498"        -> Cohere only: 498 "invalid api token"
//   missing key              -> the vendor's missing-key answer
//   model "missing-model"    -> the vendor's model-not-found answer (Mistral:
//                               400 invalid_model code 1500)
//   model "ratelimited-model"-> the vendor's 429 (error-429-*.json; Gemini
//                               RESOURCE_EXHAUSTED with RetryInfo), Retry-After: 1
//   model "boom-model"       -> the vendor's 500 (error-500-*.json)
//   any path under /notapi   -> 404 text/html (nginx's page): a wrong API base
//   otherwise                -> the reply fixture (plain) or the stream fixture
//                               (streaming), both from tests/fixtures/<id>/ and
//                               replaceable at run time.
#include "support/loopback_http_server.hpp"

#include <boost/json/value.hpp>

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sb::test {

// openai was added last (additively): existing code switching over the
// first five is unaffected.
enum class VendorDialect { anthropic, gemini, cohere, mistral, together, openai };

// The daemon's provider id for the dialect ("anthropic", "google", ...).
std::string provider_id(VendorDialect dialect);
// tests/fixtures/<provider id>
std::filesystem::path vendor_fixture_dir(VendorDialect dialect);
// Every line of a file (no trailing newline), empty lines dropped.
std::vector<std::string> read_fixture_lines(const std::filesystem::path &file);
std::string read_fixture_file(const std::filesystem::path &file);

class MockVendorUpstream {
public:
    explicit MockVendorUpstream(VendorDialect dialect);

    VendorDialect dialect() const { return dialect_; }
    std::string provider() const { return provider_id(dialect_); }
    unsigned short port() const { return server_.port(); }
    // What the daemon takes as <ID>_API_BASE: anthropic/mistral/together
    // ".../v1", google ".../v1beta", cohere the bare root.
    std::string base_url() const;

    // Fixture files (names inside tests/fixtures/<id>/, or absolute paths)
    // answered from now on. Thread-safe.
    void set_reply_fixture(const std::string &file);
    void set_stream_fixture(const std::string &file);
    // Streams are written one event per chunk by default; n > 0 cuts the
    // stream bytes into n-byte chunks instead (events split anywhere, even
    // inside "\r\n" or a UTF-8 sequence), as real networks do.
    void set_fragment_size(std::size_t n);
    // true: successful chat answers (plain and streamed) are framed as an
    // HTTP/1.0 server frames them: no length, no chunks, the close ends them.
    void set_close_delimited(bool on);
    // Models the vendor has shut down: answered as it answers an unknown model.
    void set_retired_models(std::vector<std::string> models);
    std::filesystem::path reply_fixture() const;
    std::filesystem::path stream_fixture() const;

    std::vector<RecordedRequest> requests() const { return server_.requests(); }
    std::size_t request_count() const { return server_.request_count(); }
    // Requests to the chat endpoint (plain and streaming), in arrival order.
    std::vector<RecordedRequest> chat_requests() const;
    std::optional<RecordedRequest> last_chat_request() const;
    // Requests to the models list.
    std::vector<RecordedRequest> model_list_requests() const;
    // The key the request authenticated with (x-api-key, x-goog-api-key or
    // the Bearer token), "" when absent.
    std::string sent_key(const RecordedRequest &request) const;

    LoopbackHttpServer &server() { return server_; }

private:
    MockAction answer(const RecordedRequest &request) const;
    MockAction chat(const RecordedRequest &request, const std::string &model, bool stream) const;
    std::optional<MockAction> auth_failure(const RecordedRequest &request) const;
    MockAction model_not_found(const std::string &model) const;
    MockAction not_found_path(const RecordedRequest &request) const;
    bool is_chat_path(const std::string &path) const;
    bool is_models_path(const std::string &path) const;

    VendorDialect dialect_;
    mutable std::mutex mutex_;
    std::filesystem::path reply_fixture_;
    std::filesystem::path stream_fixture_;
    std::size_t fragment_size_ = 0;
    bool close_delimited_ = false;
    std::vector<std::string> retired_models_;
    LoopbackHttpServer server_;
};

// What a client of the daemon should get out of a vendor fixture, read in
// the vendor's own dialect (independently of the plugins).
namespace vendor_expect {

// The assistant text of a plain (non-streaming) vendor response.
std::string reply_text(VendorDialect dialect, const boost::json::value &response);
// The concatenated text deltas of a stream fixture (one payload per line).
std::string stream_text(VendorDialect dialect, const std::vector<std::string> &payloads);

struct ToolCall {
    std::string id;         // "" when the vendor gives none (Gemini)
    std::string name;
    std::string arguments;  // the concatenated JSON text ("" when none)
};
// The tool calls of a stream fixture, in OpenAI index order.
std::vector<ToolCall> stream_tool_calls(VendorDialect dialect, const std::vector<std::string> &payloads);
// The tool calls of a plain (non-streaming) vendor response, in order.
std::vector<ToolCall> reply_tool_calls(VendorDialect dialect, const boost::json::value &response);
// Whether the stream fixture reports a mid-stream error.
bool stream_has_error(VendorDialect dialect, const std::vector<std::string> &payloads);

}  // namespace vendor_expect

}  // namespace sb::test
