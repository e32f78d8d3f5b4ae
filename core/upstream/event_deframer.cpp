#include "core/upstream/event_deframer.hpp"

namespace sb::core {

namespace {

std::size_t line_end(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '\n' || s[i] == '\r') return i;
    return std::string_view::npos;
}

// A held stream waits between pieces for minutes: what an empty buffer
// still holds would be kept by every waiting stream.
void release_if_empty(std::string &s) {
    if (s.empty() && s.capacity() > std::string().capacity()) std::string().swap(s);
}

}  // namespace

// Lines wholly inside a piece are taken in place; only a line split across
// pieces is copied. Buffers are cleared, not moved out, while a piece is
// read, and released once it is done unless they hold part of an event.
bool EventDeframer::feed(std::string_view piece, const EventHandler &on_event) {
    if (skip_lf_ && !piece.empty()) {
        skip_lf_ = false;
        if (piece.front() == '\n') piece.remove_prefix(1);
    }
    for (std::size_t end = line_end(piece); end != std::string_view::npos; end = line_end(piece)) {
        const std::string_view line = piece.substr(0, end);
        const bool cr = piece[end] == '\r';
        piece.remove_prefix(end + 1);
        if (cr) {
            if (piece.empty()) skip_lf_ = true;
            else if (piece.front() == '\n') piece.remove_prefix(1);
        }
        bool more;
        if (line_.empty()) {
            more = take_line(line, on_event);
        } else {
            line_.append(line);
            more = take_line(line_, on_event);
            line_.clear();
        }
        if (!more) return false;
    }
    line_.append(piece);
    if (line_.size() > max_event_bytes_) throw std::length_error("stream event exceeds the size limit");
    release_if_empty(line_);
    release_if_empty(data_);
    release_if_empty(event_name_);
    return true;
}

std::size_t EventDeframer::held_bytes() const noexcept {
    const std::size_t inline_capacity = std::string().capacity();
    std::size_t held = 0;
    for (const std::string *s : {&line_, &data_, &event_name_})
        if (s->capacity() > inline_capacity) held += s->capacity();
    return held;
}

bool EventDeframer::finish(const EventHandler &on_event) {
    if (!line_.empty()) {
        const bool more = take_line(line_, on_event);
        line_.clear();
        if (!more) return false;
    }
    if (framing_ == StreamFraming::sse) return dispatch(on_event);
    return true;
}

bool EventDeframer::take_line(std::string_view line, const EventHandler &on_event) {
    if (line.size() > max_event_bytes_) throw std::length_error("stream event exceeds the size limit");
    if (framing_ == StreamFraming::ndjson) {
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        if (line.empty()) return true;
        return on_event({}, line);
    }
    if (line.empty()) return dispatch(on_event);
    if (line.front() == ':') return true;  // comment / keep-alive
    std::string_view field = line, value;
    if (auto colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        if (has_data_) data_ += '\n';
        data_.append(value);
        has_data_ = true;
        if (data_.size() > max_event_bytes_) throw std::length_error("stream event exceeds the size limit");
    } else if (field == "event") {
        event_name_.assign(value);
    }
    // id and retry are irrelevant to a proxied response.
    return true;
}

bool EventDeframer::dispatch(const EventHandler &on_event) {
    if (!has_data_) {
        event_name_.clear();
        return true;
    }
    const bool more = on_event(event_name_, data_);
    event_name_.clear();
    data_.clear();
    has_data_ = false;
    return more;
}

}  // namespace sb::core
