#include "http_parse.hpp"

#include <cctype>
#include <charconv>

namespace sb::mock {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        auto comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

ParseResult parse_request_head(std::string_view buffer, RequestHead &head) {
    auto end = buffer.find("\r\n\r\n");
    if (end == std::string_view::npos) return buffer.size() > kMaxHeadBytes ? ParseResult::bad : ParseResult::incomplete;
    head = RequestHead{};
    head.head_bytes = end + 4;
    std::string_view lines = buffer.substr(0, end + 2);

    auto line_end = lines.find("\r\n");
    std::string_view request_line = lines.substr(0, line_end);
    lines.remove_prefix(line_end + 2);
    auto sp1 = request_line.find(' ');
    auto sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return ParseResult::bad;
    head.method = request_line.substr(0, sp1);
    head.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = request_line.substr(sp2 + 1);
    if (version.substr(0, 5) != "HTTP/") return ParseResult::bad;
    const bool http10 = version == "HTTP/1.0";
    head.keep_alive = !http10;

    bool saw_length = false;
    while (!lines.empty()) {
        line_end = lines.find("\r\n");
        std::string_view line = lines.substr(0, line_end);
        lines.remove_prefix(line_end + 2);
        auto colon = line.find(':');
        if (colon == std::string_view::npos) return ParseResult::bad;
        std::string_view name = line.substr(0, colon);
        std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "content-length")) {
            auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), head.content_length);
            if (ec != std::errc() || ptr != value.data() + value.size()) return ParseResult::bad;
            saw_length = true;
        } else if (iequals(name, "transfer-encoding")) {
            head.chunked = has_token(value, "chunked");
        } else if (iequals(name, "connection")) {
            if (has_token(value, "close")) head.keep_alive = false;
            else if (has_token(value, "keep-alive")) head.keep_alive = true;
        } else if (iequals(name, "expect")) {
            head.expect_continue = has_token(value, "100-continue");
        }
    }
    if (head.chunked) head.content_length = 0;  // chunked wins over a stray length (RFC 9112 6.3)
    else if (!saw_length) head.content_length = 0;
    return ParseResult::complete;
}

ParseResult decode_chunked_body(std::string_view data, std::string &body, std::size_t &consumed) {
    body.clear();
    std::size_t pos = 0;
    for (;;) {
        auto line_end = data.find("\r\n", pos);
        if (line_end == std::string_view::npos)
            return data.size() - pos > 1024 ? ParseResult::bad : ParseResult::incomplete;
        std::string_view size_text = data.substr(pos, line_end - pos);
        size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions are ignored
        size_text = trim(size_text);
        std::size_t size = 0;
        auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
        if (size_text.empty() || ec != std::errc() || ptr != size_text.data() + size_text.size())
            return ParseResult::bad;
        pos = line_end + 2;
        if (size == 0) {
            // Trailer fields end with an empty line; usually there are none.
            for (;;) {
                auto trailer_end = data.find("\r\n", pos);
                if (trailer_end == std::string_view::npos) return ParseResult::incomplete;
                bool empty = trailer_end == pos;
                pos = trailer_end + 2;
                if (empty) {
                    consumed = pos;
                    return ParseResult::complete;
                }
            }
        }
        if (body.size() + size > kMaxBodyBytes) return ParseResult::bad;
        if (data.size() < pos + size + 2) return ParseResult::incomplete;
        body.append(data.substr(pos, size));
        if (data.substr(pos + size, 2) != "\r\n") return ParseResult::bad;
        pos += size + 2;
    }
}

bool body_requests_stream(std::string_view body) {
    constexpr std::string_view key = "\"stream\"";
    for (auto at = body.find(key); at != std::string_view::npos; at = body.find(key, at + 1)) {
        std::size_t i = at + key.size();
        while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
        if (i >= body.size() || body[i] != ':') continue;
        ++i;
        while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
        if (body.substr(i, 4) == "true") return true;
    }
    return false;
}

}  // namespace sb::mock
