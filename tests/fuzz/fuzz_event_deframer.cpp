// libFuzzer harness: core/upstream/event_deframer (SSE and NDJSON).
//
// Input: byte 0 picks the framing (bit 0) and a small or large event limit
// (bit 1); bytes 1-2 pick a split point; the rest is the streamed body. The
// body is fed whole, in two pieces split at the chosen point, and in small
// pieces (one byte at a time up to 4 KiB). Invariants: no crash; only std::length_error may escape; when nothing
// threw, all three feeds deliver the same events; NDJSON events have an empty
// name and a non-empty, single-line data without trailing blanks; SSE names and
// data never hold '\r', names never hold '\n'; SSE data never exceeds the limit.
#include "core/upstream/event_deframer.hpp"
#include "fuzz_support.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using sb::core::EventDeframer;
using sb::core::StreamFraming;
using Events = std::vector<std::pair<std::string, std::string>>;

struct Run {
    Events events;
    bool threw = false;
};

// stop_after: the handler returns false after that many events (0 = never).
Run feed(StreamFraming framing, std::size_t limit, const std::vector<std::string_view> &pieces,
         std::size_t stop_after) {
    Run run;
    EventDeframer deframer(framing, limit);
    bool stopped = false;
    auto handler = [&](std::string_view event, std::string_view data) {
        run.events.emplace_back(event, data);
        if (framing == StreamFraming::ndjson) {
            FUZZ_CHECK(event.empty());
            FUZZ_CHECK(!data.empty());
            FUZZ_CHECK(data.find('\n') == std::string_view::npos);
            FUZZ_CHECK(data.find('\r') == std::string_view::npos);
            FUZZ_CHECK(data.back() != ' ' && data.back() != '\t');
        } else {
            FUZZ_CHECK(event.find('\n') == std::string_view::npos);
            FUZZ_CHECK(event.find('\r') == std::string_view::npos);
            FUZZ_CHECK(data.find('\r') == std::string_view::npos);
        }
        // SSE data grows field by field and is checked as it grows.
        if (framing == StreamFraming::sse) FUZZ_CHECK(data.size() <= limit);
        return stop_after == 0 || run.events.size() < stop_after;
    };
    try {
        for (auto piece : pieces) {
            if (!deframer.feed(piece, handler)) {
                stopped = true;
                break;
            }
        }
        if (!stopped) deframer.finish(handler);
    } catch (const std::length_error &) {
        run.threw = true;
    }
    if (stop_after != 0) FUZZ_CHECK(run.events.size() <= stop_after);
    return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    if (size < 3) return 0;
    const StreamFraming framing = (data[0] & 1) ? StreamFraming::ndjson : StreamFraming::sse;
    const std::size_t limit = (data[0] & 2) ? 64 : (16u << 20);
    const std::size_t stop_after = (data[0] >> 2) & 7;  // 0 = never stop
    std::string_view body(reinterpret_cast<const char *>(data) + 3, size - 3);
    const std::size_t split = body.empty() ? 0 : ((std::size_t(data[1]) << 8 | data[2]) % (body.size() + 1));

    Run whole = feed(framing, limit, {body}, stop_after);
    Run two = feed(framing, limit, {body.substr(0, split), body.substr(split)}, stop_after);
    // Small pieces: one byte at a time for short bodies, else ~256 pieces.
    const std::size_t step = body.size() <= 4096 ? 1 : body.size() / 256;
    std::vector<std::string_view> pieces;
    pieces.reserve(body.size() / step + 2);
    pieces.emplace_back();  // an empty piece is legal too
    for (std::size_t i = 0; i < body.size(); i += step) pieces.push_back(body.substr(i, step));
    Run single = feed(framing, limit, pieces, stop_after);

    if (!whole.threw && !two.threw && !single.threw) {
        FUZZ_CHECK(whole.events == two.events);
        FUZZ_CHECK(whole.events == single.events);
    }
    return 0;
}
