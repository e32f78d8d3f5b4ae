#define BOOST_TEST_MODULE coarse_deadlines
#include <boost/test/unit_test.hpp>

#include "core/net/coarse_deadlines.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <optional>

using namespace std::chrono_literals;
using sb::core::CoarseDeadlines;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A connected pair on loopback: reads on `near` wait until `far` writes.
struct SocketPair {
    explicit SocketPair(asio::io_context &ioc) : near(ioc), far(ioc) {
        tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        near.connect(acceptor.local_endpoint());
        acceptor.accept(far);
    }
    tcp::socket near;
    tcp::socket far;
};

using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_passed_deadline_cancels_the_wait_within_a_grain) {
    asio::io_context ioc;
    SocketPair pair(ioc);
    CoarseDeadlines *deadlines = CoarseDeadlines::of(ioc.get_executor());
    BOOST_REQUIRE(deadlines);
    CoarseDeadlines::Entry entry(*deadlines, pair.near);
    char byte;
    std::optional<boost::system::error_code> result;
    long long took = -1;
    const auto start = Clock::now();
    entry.arm(300ms);
    BOOST_TEST(deadlines->armed() == 1u);
    pair.near.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) {
        result = ec;
        took = ms_since(start);
    });
    ioc.run_for(3s);
    BOOST_REQUIRE(result);
    BOOST_TEST((*result == asio::error::operation_aborted));
    BOOST_TEST(entry.expired());
    BOOST_TEST(took >= 300);
    BOOST_TEST(took < 300 + 250 + 500);  // a grain late at most, with room for a slow machine
    BOOST_TEST(deadlines->armed() == 0u);
}

BOOST_AUTO_TEST_CASE(a_disarmed_or_destroyed_entry_cancels_nothing) {
    asio::io_context ioc;
    SocketPair pair(ioc);
    CoarseDeadlines &deadlines = *CoarseDeadlines::of(ioc.get_executor());
    CoarseDeadlines::Entry kept(deadlines, pair.near);
    {
        CoarseDeadlines::Entry gone(deadlines, pair.near);  // destroyed armed: must unlink itself
        gone.arm(100ms);
        kept.arm(100ms);
        BOOST_TEST(deadlines.armed() == 2u);
    }
    BOOST_TEST(deadlines.armed() == 1u);
    kept.disarm();
    BOOST_TEST(deadlines.armed() == 0u);
    char byte;
    std::optional<boost::system::error_code> result;
    pair.near.async_read_some(asio::buffer(&byte, 1),
                              [&](boost::system::error_code ec, std::size_t) { result = ec; });
    asio::steady_timer write_later(ioc, 700ms);
    write_later.async_wait([&](boost::system::error_code) { asio::write(pair.far, asio::buffer("x", 1)); });
    ioc.run_for(3s);
    BOOST_REQUIRE(result);
    BOOST_TEST(!*result);  // the read got its byte: no deadline cut it
    BOOST_TEST(!kept.expired());
}

BOOST_AUTO_TEST_CASE(entries_fire_in_any_order_and_rearm) {
    asio::io_context ioc;
    SocketPair first(ioc), second(ioc);
    CoarseDeadlines &deadlines = *CoarseDeadlines::of(ioc.get_executor());
    CoarseDeadlines::Entry early(deadlines, first.near), late(deadlines, second.near);
    late.arm(900ms);
    early.arm(100ms);
    char a, b;
    std::optional<boost::system::error_code> first_result, second_result;
    long long second_took = -1;
    const auto start = Clock::now();
    first.near.async_read_some(asio::buffer(&a, 1), [&](boost::system::error_code ec, std::size_t) {
        first_result = ec;
        // Re-armed from the completion: the same entry serves the next wait.
        early.arm(100ms);
        first.near.async_read_some(asio::buffer(&a, 1), [](boost::system::error_code, std::size_t) {});
    });
    second.near.async_read_some(asio::buffer(&b, 1), [&](boost::system::error_code ec, std::size_t) {
        second_result = ec;
        second_took = ms_since(start);
        early.disarm();
        first.near.cancel();
    });
    ioc.run_for(4s);
    BOOST_REQUIRE(first_result);
    BOOST_REQUIRE(second_result);
    BOOST_TEST((*first_result == asio::error::operation_aborted));
    BOOST_TEST((*second_result == asio::error::operation_aborted));
    BOOST_TEST(second_took >= 900);
    BOOST_TEST(deadlines.armed() == 0u);
}

BOOST_AUTO_TEST_CASE(only_a_plain_io_context_executor_has_one) {
    asio::io_context ioc;
    BOOST_TEST(CoarseDeadlines::of(ioc.get_executor()) != nullptr);
    BOOST_TEST(CoarseDeadlines::of(ioc.get_executor()) == CoarseDeadlines::of(ioc.get_executor()));
    BOOST_TEST(CoarseDeadlines::of(asio::make_strand(ioc)) == nullptr);  // may run on many threads
}
