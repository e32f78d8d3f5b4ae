#pragma once
// Who holds the server's connection slots: a total cap, the share of it one
// client may hold, and the connections waiting idle for a request, longest
// idle first, which are closed to make room when the cap is reached. A few
// idle sockets then cannot lock everyone out, and one client cannot take
// every slot with busy ones.
//
// Shared by the accepting thread and the worker loops; every call takes one
// lock and allocates nothing but a client's count.
#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace sb::core {

class ConnectionSlots {
public:
    struct Limits {
        std::size_t max_connections = 10000;
        // Most connections one client may hold; 0: no limit. A client is an
        // IPv4 address or an IPv6 /64 (one host's usual allocation).
        std::size_t max_per_client = 0;
        // Whether loopback clients are held to max_per_client: not by
        // default, as a local reverse proxy carries every client's
        // connections from one loopback address.
        bool limit_loopback = false;
    };

    // Intrusive links of the idle list: listing costs no allocation.
    class Link {
        friend class ConnectionSlots;
        Link *prev_ = nullptr;
        Link *next_ = nullptr;
    };

    // A connection while it waits for the first byte of its next request.
    class Idle : private Link {
    public:
        virtual ~Idle() = default;
        // Closes the connection if it still has not received a byte. Called
        // on the accepting thread with the slots' lock held: post to the
        // connection's own executor, nothing more.
        virtual void close_if_idle() = 0;

    private:
        friend class ConnectionSlots;
    };

    enum class Verdict { admitted, client_share_used, full };

    explicit ConnectionSlots(Limits limits);
    ConnectionSlots(const ConnectionSlots &) = delete;
    ConnectionSlots &operator=(const ConnectionSlots &) = delete;

    // At accept: takes a slot for a connection from peer, or says why not.
    // At the total cap, the connection idle the longest is asked to close
    // and this one is admitted in its place (over the cap until it closes).
    Verdict admit(const boost::asio::ip::address &peer);
    // Gives back an admitted connection's slot.
    void release(const boost::asio::ip::address &peer) noexcept;
    // Around a connection's wait for its next request. `idle` stays alive
    // (and listed) until leave_idle; leaving twice is harmless.
    void enter_idle(Idle &idle) noexcept;
    void leave_idle(Idle &idle) noexcept;

    std::size_t open() const;
    std::size_t idle() const;

private:
    // Whether peer is held to max_per_client.
    bool limited(const boost::asio::ip::address &peer) const noexcept;

    Limits limits_;
    mutable std::mutex mutex_;
    std::size_t open_ = 0;
    std::size_t idle_count_ = 0;
    Link idle_head_;  // sentinel of the idle list, longest idle first
    std::unordered_map<boost::asio::ip::address, std::size_t> per_client_;
};

// The address a client's connections are counted under: IPv4 as it is (an
// IPv4-mapped IPv6 address as its IPv4 address), IPv6 cut to its /64.
boost::asio::ip::address client_of(const boost::asio::ip::address &peer);
// 127.0.0.0/8, ::1, and IPv4-mapped loopback.
bool is_loopback(const boost::asio::ip::address &address);

}  // namespace sb::core
