#define BOOST_TEST_MODULE event_deframer
#include <boost/test/unit_test.hpp>

#include "core/upstream/event_deframer.hpp"

#include <string>
#include <utility>
#include <vector>

using sb::core::EventDeframer;
using sb::core::StreamFraming;
using Events = std::vector<std::pair<std::string, std::string>>;

namespace {

Events feed_in_pieces(StreamFraming framing, const std::string &body, std::size_t piece_size) {
    Events events;
    EventDeframer deframer(framing);
    auto on_event = [&](std::string_view e, std::string_view d) {
        events.emplace_back(std::string(e), std::string(d));
        return true;
    };
    for (std::size_t i = 0; i < body.size(); i += piece_size) deframer.feed(body.substr(i, piece_size), on_event);
    deframer.finish(on_event);
    return events;
}

}  // namespace

BOOST_AUTO_TEST_CASE(sse_events_survive_any_split_point) {
    const std::string body =
        ": keep-alive comment\r\n"
        "event: message_start\r\n"
        "data: {\"a\":1}\r\n\r\n"
        "data: line one\n"
        "data: line two\n\n"
        "id: 7\nretry: 100\ndata:no-space\n\n"
        "event: ping\n\n"
        "data: cr\rdata: only\r\r"
        "data: [DONE]\n\n";
    const Events expected = {{"message_start", "{\"a\":1}"}, {"", "line one\nline two"}, {"", "no-space"},
                             {"", "cr\nonly"}, {"", "[DONE]"}};
    for (std::size_t piece = 1; piece <= body.size(); ++piece)
        BOOST_TEST((feed_in_pieces(StreamFraming::sse, body, piece) == expected), "piece size " << piece);
}

BOOST_AUTO_TEST_CASE(sse_last_event_without_blank_line_is_delivered_at_the_end) {
    const Events expected = {{"", "tail"}};
    BOOST_TEST((feed_in_pieces(StreamFraming::sse, "data: tail", 3) == expected));
}

BOOST_AUTO_TEST_CASE(ndjson_lines_are_events_and_blank_lines_are_skipped) {
    const std::string body = "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}";
    const Events expected = {{"", "{\"a\":1}"}, {"", "{\"b\":2}"}, {"", "{\"c\":3}"}};
    for (std::size_t piece = 1; piece <= body.size(); ++piece)
        BOOST_TEST((feed_in_pieces(StreamFraming::ndjson, body, piece) == expected), "piece size " << piece);
}

BOOST_AUTO_TEST_CASE(oversized_event_is_refused) {
    EventDeframer deframer(StreamFraming::sse, 64);
    auto ignore = [](std::string_view, std::string_view) { return true; };
    BOOST_CHECK_THROW(deframer.feed("data: " + std::string(100, 'x'), ignore), std::length_error);
}

BOOST_AUTO_TEST_CASE(handler_can_stop_delivery) {
    EventDeframer deframer(StreamFraming::sse);
    int seen = 0;
    bool more = deframer.feed("data: 1\n\ndata: 2\n\n", [&](std::string_view, std::string_view) {
        ++seen;
        return false;
    });
    BOOST_TEST(!more);
    BOOST_TEST(seen == 1);
}

BOOST_AUTO_TEST_CASE(nothing_is_held_between_whole_events) {
    // Thousands of streams wait between pieces: complete events leave no buffer behind.
    EventDeframer deframer(StreamFraming::sse);
    int seen = 0;
    auto count = [&](std::string_view, std::string_view) { return ++seen > 0; };
    const std::string payload(300, 'x');
    BOOST_TEST(deframer.feed("event: content_block_delta\ndata: " + payload + "\n\n", count));
    BOOST_TEST(deframer.feed("data: " + payload + "\ndata: " + payload + "\n\n", count));
    BOOST_TEST(seen == 2);
    BOOST_TEST(deframer.held_bytes() == 0u);
    // A split event keeps what it needs until it completes.
    BOOST_TEST(deframer.feed("data: " + payload + "\ndata: " + payload.substr(0, 100), count));
    BOOST_TEST(deframer.held_bytes() > 0u);
    BOOST_TEST(deframer.feed(payload.substr(100) + "\n\n", count));
    BOOST_TEST(seen == 3);
    BOOST_TEST(deframer.held_bytes() == 0u);
}
