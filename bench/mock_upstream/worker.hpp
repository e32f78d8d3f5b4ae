#pragma once

#include "canned.hpp"
#include "options.hpp"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sb::mock {

// One event loop: owns a SO_REUSEPORT listening socket and every connection
// the kernel hands to it. Runs until `stop_fd` (an eventfd) becomes readable.
class Worker {
public:
    Worker(const Options &options, const CannedResponses &responses, int listen_fd, int stop_fd, uint64_t seed);
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;
    ~Worker();

    void run();
    uint64_t requests_served() const { return requests_served_; }

private:
    struct Connection;
    struct Timer;
    class TimerHeap;

    void accept_all();
    void on_connection_event(int fd, uint32_t events);
    bool read_input(Connection &c);
    bool serve_requests(Connection &c);
    bool start_reply(Connection &c);
    bool continue_stream(Connection &c, uint64_t due_ns);
    bool finish_reply(Connection &c);
    bool send_parts(Connection &c, std::initializer_list<std::string_view> parts);
    bool flush(Connection &c);
    void close_connection(int fd);
    void schedule(Connection &c, uint64_t deadline_ns);
    void run_due_timers();
    void rearm_timerfd();
    uint64_t reply_delay_ns();
    double random_fraction();

    const Options &options_;
    const CannedResponses &responses_;
    int listen_fd_;
    int stop_fd_;
    int epoll_fd_ = -1;
    int timer_fd_ = -1;
    uint64_t armed_deadline_ns_ = 0;
    uint64_t rng_state_;
    uint64_t next_connection_id_ = 1;
    uint64_t requests_served_ = 0;
    std::vector<std::unique_ptr<Connection>> connections_;  // indexed by fd
    std::unique_ptr<TimerHeap> timers_;
    std::unique_ptr<char[]> read_buffer_;
    std::string chunked_body_;  // scratch for decoding chunked request bodies
};

uint64_t monotonic_ns();

}  // namespace sb::mock
