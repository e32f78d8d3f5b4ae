#pragma once
// A scripted HTTP/1.1 server on 127.0.0.1 for tests. It runs its own
// io_context on its own thread; every request is recorded and answered with
// the MockAction the handler returns. The destructor closes every socket and
// joins the thread (bounded: it never waits on a test's peer).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::test {

using MockHeaders = std::vector<std::pair<std::string, std::string>>;

struct RecordedRequest {
    std::string method;  // "POST"
    std::string target;  // path and query, as sent: "/v1/chat?x=1"
    MockHeaders headers; // in the order received
    std::string body;

    // Case-insensitive lookup; the first value, or "" when absent.
    std::string header(std::string_view name) const;
    bool has_header(std::string_view name) const;
};

struct MockAction {
    enum class Kind { reply, hang, close, stream, raw };

    Kind kind = Kind::reply;
    int status = 200;
    MockHeaders headers;
    std::string body;                 // reply
    bool keep_alive = true;           // reply: false adds "Connection: close" and closes
    std::vector<std::string> pieces;  // stream: chunked body pieces
    std::chrono::milliseconds piece_delay{0};  // stream: wait before each piece
    bool truncate = false;            // stream: close without the final chunk
    std::string raw_bytes;            // raw: written as is, then the connection closes

    // A complete response (Content-Length set). Keep-alive is honoured unless
    // the request asked for "Connection: close".
    static MockAction reply(int status, MockHeaders headers = {}, std::string body = {});
    // Reply, then close the connection.
    static MockAction reply_and_close(int status, MockHeaders headers = {}, std::string body = {});
    // Never answer; keep reading until the peer closes (counted as closed by peer).
    static MockAction hang();
    // Close the connection at once without answering.
    static MockAction close();
    // Status and headers, then each piece as one chunk (Transfer-Encoding:
    // chunked), each written after `piece_delay`. truncate: close after the
    // last piece without sending the terminating chunk.
    static MockAction stream(int status, MockHeaders headers, std::vector<std::string> pieces,
                             std::chrono::milliseconds piece_delay = std::chrono::milliseconds{0},
                             bool truncate = false);
    // Write exactly these bytes, then close.
    static MockAction raw(std::string bytes);
    // Write each piece as is, `piece_delay` before each, then close: a
    // response framed by hand (HTTP/1.0, close-delimited, 1xx heads...).
    static MockAction raw_pieces(std::vector<std::string> pieces, std::chrono::milliseconds piece_delay);
};

class LoopbackHttpServer {
public:
    using Handler = std::function<MockAction(const RecordedRequest &)>;

    // Listens on 127.0.0.1:<OS-chosen port> and starts serving at once.
    // The handler runs on the server thread, one request at a time.
    explicit LoopbackHttpServer(Handler handler);
    ~LoopbackHttpServer();
    LoopbackHttpServer(const LoopbackHttpServer &) = delete;
    LoopbackHttpServer &operator=(const LoopbackHttpServer &) = delete;

    unsigned short port() const;
    std::string base_url() const;  // "http://127.0.0.1:PORT"

    // Replaces the handler for requests read from now on (thread-safe).
    void set_handler(Handler handler);

    std::vector<RecordedRequest> requests() const;  // a copy, in arrival order
    std::size_t request_count() const;
    std::size_t connections_accepted() const;
    // Connections on which a read or write failed because the peer closed
    // or reset it (not counting the server's own closes).
    std::size_t connections_closed_by_peer() const;
    // Waits until connections_closed_by_peer() >= n or the timeout passes;
    // returns whether it got there.
    bool wait_for_closed_by_peer(std::size_t n, std::chrono::milliseconds timeout) const;
    // Waits until request_count() >= n or the timeout passes.
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

    // Closes the listener and every connection and joins the thread.
    // Idempotent; the destructor calls it.
    void stop();

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace sb::test
