// Incremental HTTP/1.1 response parser with an optional SSE event splitter.
//
// It is fed whatever recv() returned, at any byte boundary, and keeps only a
// small line accumulator as state, so 10,000 concurrent streams cost little
// memory: bodies are never buffered. Chunked bodies are de-chunked first and
// the payload bytes are then split into SSE lines, so events split across
// TCP reads or across HTTP chunks are handled the same way.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sb::loadgen {

class ResponseParser {
public:
    enum class Result { NeedMore, Complete, Error };

    struct Step {
        size_t consumed;  // bytes of the input belonging to this response
        Result result;
    };

    // Prepares for the next response. `head_request`: the response has no body.
    // `split_sse`: report body SSE events to the listener.
    void reset(bool head_request, bool split_sse);

    // Consumes bytes until the response ends or the input runs out. Listener
    // must provide on_head(int status) and on_event(). Bytes past the end of
    // the response are left unconsumed.
    template <class Listener>
    Step feed(const char *data, size_t len, Listener &listener);

    // The peer closed the connection: true if that legitimately ends the body
    // (no Content-Length and not chunked), which completes the response.
    bool complete_on_eof() const { return state_ == State::BodyUntilClose; }

    bool received_any_byte() const { return received_any_byte_; }
    bool head_received() const { return head_received_; }
    int status() const { return status_; }
    // False when the server asked to close the connection after this response.
    bool keep_alive() const { return keep_alive_; }
    const char *error() const { return error_; }

private:
    enum class State { StatusLine, HeaderLine, BodyLength, ChunkSize, ChunkData, ChunkDataEnd, Trailer, BodyUntilClose, Done };

    static constexpr size_t kMaxLineBytes = 16 * 1024;

    template <class Listener>
    Result handle_line(std::string_view line, Listener &listener);
    Result finish_head();
    Result fail(const char *why) {
        error_ = why;
        return Result::Error;
    }
    template <class Listener>
    void body_bytes(const char *data, size_t len, Listener &listener);
    template <class Listener>
    void end_sse_line(Listener &listener);

    State state_ = State::StatusLine;
    std::string line_;
    uint64_t remaining_ = 0;
    int status_ = 0;
    const char *error_ = "";
    bool head_request_ = false;
    bool split_sse_ = false;
    bool received_any_byte_ = false;
    bool head_received_ = false;
    bool chunked_ = false;
    bool has_length_ = false;
    bool keep_alive_ = true;
    bool http10_ = false;
    bool http10_keep_alive_ = false;

    // SSE line state: only the first bytes of a line matter ("data" / "data:").
    char sse_prefix_[5] = {};
    uint8_t sse_line_len_ = 0;  // saturates at 6
    bool sse_last_was_cr_ = false;
    bool sse_block_has_data_ = false;
};

// ---- implementation (header-only so the hot path inlines) -------------------

namespace detail {
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

inline bool icontains(std::string_view haystack, std::string_view needle) {
    if (needle.size() > haystack.size()) return false;
    for (size_t i = 0; i + needle.size() <= haystack.size(); ++i)
        if (iequals(haystack.substr(i, needle.size()), needle)) return true;
    return false;
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}
}  // namespace detail

inline void ResponseParser::reset(bool head_request, bool split_sse) {
    state_ = State::StatusLine;
    line_.clear();
    remaining_ = 0;
    status_ = 0;
    error_ = "";
    head_request_ = head_request;
    split_sse_ = split_sse;
    received_any_byte_ = false;
    head_received_ = false;
    chunked_ = false;
    has_length_ = false;
    keep_alive_ = true;
    http10_ = false;
    http10_keep_alive_ = false;
    sse_line_len_ = 0;
    sse_last_was_cr_ = false;
    sse_block_has_data_ = false;
}

template <class Listener>
ResponseParser::Step ResponseParser::feed(const char *data, size_t len, Listener &listener) {
    size_t pos = 0;
    if (len > 0) received_any_byte_ = true;
    while (pos < len) {
        switch (state_) {
        case State::StatusLine:
        case State::HeaderLine:
        case State::ChunkSize:
        case State::ChunkDataEnd:
        case State::Trailer: {
            const void *newline = std::memchr(data + pos, '\n', len - pos);
            if (newline == nullptr) {
                line_.append(data + pos, len - pos);
                if (line_.size() > kMaxLineBytes) return {len, fail("line too long")};
                return {len, Result::NeedMore};
            }
            const size_t end = static_cast<size_t>(static_cast<const char *>(newline) - data);
            std::string_view line;
            if (line_.empty()) {
                line = std::string_view(data + pos, end - pos);
            } else {
                line_.append(data + pos, end - pos);
                line = line_;
            }
            pos = end + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.size() > kMaxLineBytes) return {pos, fail("line too long")};
            const Result r = handle_line(line, listener);
            line_.clear();
            if (r != Result::NeedMore) return {pos, r};
            break;
        }
        case State::BodyLength:
        case State::ChunkData: {
            const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, len - pos));
            body_bytes(data + pos, take, listener);
            pos += take;
            remaining_ -= take;
            if (remaining_ == 0) {
                if (state_ == State::BodyLength) {
                    state_ = State::Done;
                    return {pos, Result::Complete};
                }
                state_ = State::ChunkDataEnd;
            }
            break;
        }
        case State::BodyUntilClose:
            body_bytes(data + pos, len - pos, listener);
            pos = len;
            break;
        case State::Done:
            return {pos, Result::Complete};
        }
    }
    return {pos, Result::NeedMore};
}

template <class Listener>
ResponseParser::Result ResponseParser::handle_line(std::string_view line, Listener &listener) {
    switch (state_) {
    case State::StatusLine: {
        if (line.empty()) return Result::NeedMore;  // tolerate stray CRLF before a response
        // "HTTP/1.x SSS reason"
        if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[8] != ' ') return fail("bad status line");
        int code = 0;
        for (size_t i = 9; i < 12; ++i) {
            if (line[i] < '0' || line[i] > '9') return fail("bad status code");
            code = code * 10 + (line[i] - '0');
        }
        status_ = code;
        http10_ = line[7] == '0';
        state_ = State::HeaderLine;
        return Result::NeedMore;
    }
    case State::HeaderLine: {
        if (line.empty()) {
            // 1xx (other than 101) are interim: the real response follows.
            if (status_ >= 100 && status_ < 200 && status_ != 101) {
                state_ = State::StatusLine;
                chunked_ = has_length_ = false;
                return Result::NeedMore;
            }
            head_received_ = true;
            listener.on_head(status_);
            return finish_head();
        }
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos) return fail("bad header line");
        const std::string_view name = detail::trim(line.substr(0, colon));
        const std::string_view value = detail::trim(line.substr(colon + 1));
        if (detail::iequals(name, "content-length")) {
            uint64_t n = 0;
            if (value.empty()) return fail("bad content-length");
            for (char c : value) {
                if (c < '0' || c > '9' || n > (uint64_t{1} << 60)) return fail("bad content-length");
                n = n * 10 + static_cast<uint64_t>(c - '0');
            }
            remaining_ = n;
            has_length_ = true;
        } else if (detail::iequals(name, "transfer-encoding")) {
            if (detail::icontains(value, "chunked")) chunked_ = true;
        } else if (detail::iequals(name, "connection")) {
            if (detail::icontains(value, "close")) keep_alive_ = false;
            if (detail::icontains(value, "keep-alive")) http10_keep_alive_ = true;
        }
        return Result::NeedMore;
    }
    case State::ChunkSize: {
        uint64_t size = 0;
        size_t digits = 0;
        for (char c : line) {
            int v;
            if (c >= '0' && c <= '9') v = c - '0';
            else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
            else break;  // ';' chunk extensions or whitespace
            if (size > (uint64_t{1} << 56)) return fail("chunk too large");
            size = size * 16 + static_cast<uint64_t>(v);
            ++digits;
        }
        if (digits == 0) return fail("bad chunk size");
        if (size == 0) {
            state_ = State::Trailer;
        } else {
            remaining_ = size;
            state_ = State::ChunkData;
        }
        return Result::NeedMore;
    }
    case State::ChunkDataEnd:
        if (!line.empty()) return fail("missing CRLF after chunk");
        state_ = State::ChunkSize;
        return Result::NeedMore;
    case State::Trailer:
        if (!line.empty()) return Result::NeedMore;  // trailer fields are ignored
        state_ = State::Done;
        return Result::Complete;
    default:
        return fail("parser state error");
    }
}

inline ResponseParser::Result ResponseParser::finish_head() {
    if (http10_ && !http10_keep_alive_) keep_alive_ = false;
    if (head_request_ || status_ == 204 || status_ == 304 || status_ == 101) {
        state_ = State::Done;
        return Result::Complete;
    }
    if (chunked_) {
        state_ = State::ChunkSize;
    } else if (has_length_) {
        if (remaining_ == 0) {
            state_ = State::Done;
            return Result::Complete;
        }
        state_ = State::BodyLength;
    } else {
        state_ = State::BodyUntilClose;
        keep_alive_ = false;
    }
    return Result::NeedMore;
}

template <class Listener>
void ResponseParser::body_bytes(const char *data, size_t len, Listener &listener) {
    if (!split_sse_) return;
    for (size_t i = 0; i < len; ++i) {
        const char c = data[i];
        if (c == '\n' && sse_last_was_cr_) {  // second half of a CRLF
            sse_last_was_cr_ = false;
            continue;
        }
        sse_last_was_cr_ = c == '\r';
        if (c == '\r' || c == '\n') {
            end_sse_line(listener);
        } else if (sse_line_len_ < 6) {
            if (sse_line_len_ < 5) sse_prefix_[sse_line_len_] = c;
            ++sse_line_len_;
        }
    }
}

template <class Listener>
void ResponseParser::end_sse_line(Listener &listener) {
    if (sse_line_len_ == 0) {  // blank line: dispatch the event block
        if (sse_block_has_data_) listener.on_event();
        sse_block_has_data_ = false;
        return;
    }
    // A "data" field: "data" alone or "data:..." (SSE field name match).
    if (sse_line_len_ >= 4 && std::string_view(sse_prefix_, 4) == "data" &&
        (sse_line_len_ == 4 || sse_prefix_[4] == ':'))
        sse_block_has_data_ = true;
    sse_line_len_ = 0;
}

}  // namespace sb::loadgen
