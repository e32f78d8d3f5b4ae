#pragma once
// Deadlines checked four times a second by one timer per event loop, for
// waits that are many and long: thousands of held streams each waiting on
// a socket would otherwise each hold a timer operation (about 260 bytes).
// A deadline fires up to a quarter second late.
//
// For an io_context run by one thread: entries are armed, disarmed and
// fired on that thread only.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>

namespace sb::core {

class CoarseDeadlines final : public boost::asio::execution_context::service {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration kGrain = std::chrono::milliseconds(250);
    static boost::asio::execution_context::id id;

    // One socket's deadline: when it passes, the socket's pending operations
    // are cancelled (they complete with operation_aborted) and expired()
    // turns true. Bound to its loop's service and its socket once; disarmed
    // on destruction.
    class Entry {
    public:
        Entry() = default;  // bind() before arm()
        Entry(CoarseDeadlines &deadlines, boost::asio::ip::tcp::socket &socket) noexcept
            : deadlines_(&deadlines), socket_(&socket) {}
        ~Entry() { disarm(); }
        Entry(const Entry &) = delete;
        Entry &operator=(const Entry &) = delete;

        void bind(CoarseDeadlines &deadlines, boost::asio::ip::tcp::socket &socket) noexcept;
        void arm(Clock::duration within);
        void disarm() noexcept;
        bool expired() const noexcept { return expired_; }

    private:
        friend class CoarseDeadlines;
        CoarseDeadlines *deadlines_ = nullptr;
        boost::asio::ip::tcp::socket *socket_ = nullptr;
        Clock::time_point at_{};
        Entry *prev_ = nullptr;
        Entry *next_ = nullptr;
        bool armed_ = false;
        bool expired_ = false;
    };

    explicit CoarseDeadlines(boost::asio::execution_context &context);
    // The service of the io_context an executor runs on; null for any other
    // executor (a strand, say: its context may have many threads).
    static CoarseDeadlines *of(const boost::asio::any_io_executor &executor);
    std::size_t armed() const noexcept { return armed_; }

private:
    void shutdown() override;
    void start_ticking();
    void tick();

    boost::asio::steady_timer timer_;
    Entry *first_ = nullptr;
    std::size_t armed_ = 0;
    bool ticking_ = false;
};

}  // namespace sb::core
