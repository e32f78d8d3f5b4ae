#pragma once
// Splits a streamed response body into events, incrementally: SSE
// (text/event-stream: event + data fields, blank-line terminated) or NDJSON
// (one JSON document per line). Pieces may split lines and events anywhere.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sb::core {

enum class StreamFraming { sse, ndjson };

class EventDeframer {
public:
    // Return false to stop: the deframer is spent after that. The views are
    // valid only during the call.
    using EventHandler = std::function<bool(std::string_view event, std::string_view data)>;

    explicit EventDeframer(StreamFraming framing, std::size_t max_event_bytes = 16u << 20)
        : framing_(framing), max_event_bytes_(max_event_bytes) {}

    // Feeds one piece of the body. Throws std::length_error when one event
    // exceeds max_event_bytes. Returns false if the handler stopped it.
    bool feed(std::string_view piece, const EventHandler &on_event);
    // The body ended: delivers a last event that had no terminator.
    bool finish(const EventHandler &on_event);
    // Heap bytes kept between pieces: only what a split line or event needs.
    std::size_t held_bytes() const noexcept;

private:
    bool take_line(std::string_view line, const EventHandler &on_event);
    bool dispatch(const EventHandler &on_event);

    StreamFraming framing_;
    std::size_t max_event_bytes_;
    std::string line_;        // the current, unterminated line
    bool skip_lf_ = false;    // the previous piece ended in '\r'
    std::string event_name_;
    std::string data_;
    bool has_data_ = false;
};

}  // namespace sb::core
