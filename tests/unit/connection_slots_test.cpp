#define BOOST_TEST_MODULE connection_slots
#include <boost/test/unit_test.hpp>

#include "core/net/connection_slots.hpp"

#include <string>
#include <vector>

// The connection slots without sockets: the total cap, a client's share,
// and which idle connection makes room.

using sb::core::ConnectionSlots;
using Verdict = ConnectionSlots::Verdict;
namespace ip = boost::asio::ip;

namespace {

ip::address addr(const char *text) { return ip::make_address(text); }

// An idle connection that records being asked to close.
struct FakeIdle final : ConnectionSlots::Idle {
    int asked = 0;
    void close_if_idle() override { ++asked; }
};

ConnectionSlots::Limits limits(std::size_t total, std::size_t per_client = 0, bool loopback = false) {
    return {total, per_client, loopback};
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_cap_holds_without_idle_connections) {
    ConnectionSlots slots(limits(2));
    BOOST_TEST((slots.admit(addr("10.0.0.1")) == Verdict::admitted));
    BOOST_TEST((slots.admit(addr("10.0.0.2")) == Verdict::admitted));
    BOOST_TEST((slots.admit(addr("10.0.0.3")) == Verdict::full));
    slots.release(addr("10.0.0.1"));
    BOOST_TEST((slots.admit(addr("10.0.0.3")) == Verdict::admitted));
    BOOST_TEST(slots.open() == 2u);
}

BOOST_AUTO_TEST_CASE(at_the_cap_the_longest_idle_connection_is_asked_to_close) {
    ConnectionSlots slots(limits(3));
    FakeIdle first, second, third;
    for (auto *who : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) BOOST_TEST((slots.admit(addr(who)) == Verdict::admitted));
    slots.enter_idle(second);
    slots.enter_idle(first);
    slots.enter_idle(third);
    slots.leave_idle(third);  // its request arrived: not idle any more
    BOOST_TEST(slots.idle() == 2u);
    BOOST_TEST((slots.admit(addr("10.0.0.4")) == Verdict::admitted));
    BOOST_TEST(second.asked == 1);  // idle the longest
    BOOST_TEST(first.asked == 0);
    BOOST_TEST((slots.admit(addr("10.0.0.5")) == Verdict::admitted));
    BOOST_TEST(first.asked == 1);
    BOOST_TEST(third.asked == 0);
    // Nobody idle: refused. Leaving after being taken is harmless.
    BOOST_TEST((slots.admit(addr("10.0.0.6")) == Verdict::full));
    slots.leave_idle(second);
    slots.leave_idle(first);
    BOOST_TEST(slots.idle() == 0u);
}

BOOST_AUTO_TEST_CASE(one_client_holds_its_share_and_no_more) {
    ConnectionSlots slots(limits(100, 2));
    BOOST_TEST((slots.admit(addr("192.0.2.7")) == Verdict::admitted));
    BOOST_TEST((slots.admit(addr("192.0.2.7")) == Verdict::admitted));
    BOOST_TEST((slots.admit(addr("192.0.2.7")) == Verdict::client_share_used));
    // The same IPv4 client seen through an IPv6 socket.
    BOOST_TEST((slots.admit(addr("::ffff:192.0.2.7")) == Verdict::client_share_used));
    BOOST_TEST((slots.admit(addr("192.0.2.8")) == Verdict::admitted));
    slots.release(addr("192.0.2.7"));
    BOOST_TEST((slots.admit(addr("::ffff:192.0.2.7")) == Verdict::admitted));
    BOOST_TEST(slots.open() == 3u);
}

BOOST_AUTO_TEST_CASE(an_ipv6_client_is_its_slash_64) {
    ConnectionSlots slots(limits(100, 2));
    BOOST_TEST((slots.admit(addr("2001:db8:1:2::1")) == Verdict::admitted));
    BOOST_TEST((slots.admit(addr("2001:db8:1:2:ffff::9")) == Verdict::admitted));
    BOOST_TEST((slots.admit(addr("2001:db8:1:2:abcd::5")) == Verdict::client_share_used));
    BOOST_TEST((slots.admit(addr("2001:db8:1:3::1")) == Verdict::admitted));
    BOOST_TEST(sb::core::client_of(addr("2001:db8:1:2:abcd::5")) == addr("2001:db8:1:2::"));
}

BOOST_AUTO_TEST_CASE(loopback_clients_are_held_to_the_share_only_when_asked) {
    ConnectionSlots exempt(limits(100, 1));
    for (int i = 0; i < 5; ++i) BOOST_TEST((exempt.admit(addr("127.0.0.1")) == Verdict::admitted));
    BOOST_TEST((exempt.admit(addr("::1")) == Verdict::admitted));
    ConnectionSlots held(limits(100, 1, true));
    BOOST_TEST((held.admit(addr("127.0.0.1")) == Verdict::admitted));
    BOOST_TEST((held.admit(addr("127.0.0.1")) == Verdict::client_share_used));
    BOOST_TEST((held.admit(addr("127.0.0.2")) == Verdict::admitted));
}
