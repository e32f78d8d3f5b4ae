#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "options.hpp"
#include "response_parser.hpp"

namespace sb::loadgen {

uint64_t monotonic_now_us();

// Set by SIGINT/SIGTERM: workers stop and the results are still printed.
extern std::atomic<bool> g_stop_requested;

// State shared by all worker threads of one run.
struct SharedRun {
    uint64_t start_us = 0;
    uint64_t warmup_end_us = 0;
    uint64_t deadline_us = 0;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> stop_time_us{0};  // set when --requests was reached
    std::atomic<uint64_t> recorded_responses{0};
    std::atomic<int64_t> open_streams{0};
    std::atomic<int64_t> peak_open_streams{0};
};

// Per-thread results, merged by the main thread at the end.
struct Stats {
    Histogram latency_us;    // 2xx responses only
    Histogram ttfb_us;       // request start to first SSE event
    Histogram event_gap_us;  // between consecutive SSE events of one response
    uint64_t responses = 0;  // complete responses, any status
    uint64_t ok = 0;         // 2xx responses
    uint64_t events = 0;
    std::map<int, uint64_t> error_statuses;
    uint64_t connect_errors = 0;
    uint64_t io_errors = 0;  // reset / EOF while a request was outstanding
    uint64_t parse_errors = 0;
    // Hold mode.
    uint64_t streams_started = 0;
    uint64_t streams_completed = 0;
    uint64_t streams_stalled = 0;
    uint64_t streams_unfinished = 0;
    uint64_t max_gap_us = 0;

    uint64_t errors() const;
    void merge(const Stats &other);
};

// One thread's epoll loop over its share of the connections.
class Worker {
public:
    Worker(const Options &options, const std::string &request, SharedRun &shared, unsigned connection_count);
    ~Worker();
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;

    void run();
    const Stats &stats() const { return stats_; }

private:
    enum class Phase : uint8_t { Closed, Connecting, Writing, Reading, Finished };

    struct Connection {
        int fd = -1;
        uint32_t generation = 0;  // guards against stale epoll events after a reopen
        Phase phase = Phase::Closed;
        bool had_response = false;  // reopen without back-off after a failure
        bool stream_open = false;   // hold: counted in SharedRun::open_streams
        bool stalled = false;
        uint32_t events_in_response = 0;
        size_t write_offset = 0;
        uint64_t request_start_us = 0;
        uint64_t last_event_us = 0;
        uint64_t last_progress_us = 0;  // hold: head or latest event, for stall detection
        uint64_t reopen_due_us = 0;
        ResponseParser parser;
    };

    struct ParseListener;
    friend struct ParseListener;

    enum class ErrorKind { Connect, Io, Parse };

    void open_connection(uint32_t index, uint64_t now);
    void start_request(Connection &conn);
    void continue_write(Connection &conn);
    void read_available(Connection &conn);
    bool complete_response(Connection &conn, uint64_t now);
    void fail_connection(Connection &conn, ErrorKind kind, uint64_t now);
    void close_connection(Connection &conn);
    void finish_hold(Connection &conn);
    void on_head(Connection &conn, int status, uint64_t now);
    void on_event(Connection &conn, uint64_t now);
    bool recording(uint64_t now) const;
    bool stopping(uint64_t now) const;
    int wait_timeout_ms(uint64_t now) const;
    void account_unfinished(uint64_t now);

    const Options &options_;
    const std::string &request_;
    SharedRun &shared_;
    const bool hold_;
    const bool head_method_;
    const double ramp_per_worker_per_s_;
    int epoll_fd_ = -1;
    std::vector<Connection> connections_;
    std::vector<uint32_t> pending_reopen_;
    uint32_t opened_count_ = 0;  // ramp progress
    uint32_t finished_count_ = 0;
    std::vector<char> recv_buffer_;
    Stats stats_;
};

}  // namespace sb::loadgen
