#include "worker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <ctime>

namespace sb::loadgen {

std::atomic<bool> g_stop_requested{false};

namespace {
constexpr size_t kRecvBufferBytes = 64 * 1024;  // one per thread, not per connection
constexpr int kMaxEventsPerWait = 512;
constexpr int kIdleWaitMs = 50;                 // bounds how late a deadline is noticed
constexpr uint64_t kReopenBackoffUs = 10'000;   // only for connections that never got a response

uint64_t pack_tag(uint32_t index, uint32_t generation) { return (uint64_t{generation} << 32) | index; }
}  // namespace

uint64_t monotonic_now_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

uint64_t Stats::errors() const {
    uint64_t total = connect_errors + io_errors + parse_errors;
    for (const auto &[status, count] : error_statuses) total += count;
    return total;
}

void Stats::merge(const Stats &other) {
    latency_us.merge(other.latency_us);
    ttfb_us.merge(other.ttfb_us);
    event_gap_us.merge(other.event_gap_us);
    responses += other.responses;
    ok += other.ok;
    events += other.events;
    for (const auto &[status, count] : other.error_statuses) error_statuses[status] += count;
    connect_errors += other.connect_errors;
    io_errors += other.io_errors;
    parse_errors += other.parse_errors;
    streams_started += other.streams_started;
    streams_completed += other.streams_completed;
    streams_stalled += other.streams_stalled;
    streams_unfinished += other.streams_unfinished;
    max_gap_us = std::max(max_gap_us, other.max_gap_us);
}

// Bridges parser callbacks to the worker with the timestamp of the current read.
struct Worker::ParseListener {
    Worker &worker;
    Connection &conn;
    uint64_t now;
    void on_head(int status) { worker.on_head(conn, status, now); }
    void on_event() { worker.on_event(conn, now); }
};

Worker::Worker(const Options &options, const std::string &request, SharedRun &shared, unsigned connection_count)
    : options_(options),
      request_(request),
      shared_(shared),
      hold_(options.hold > 0),
      head_method_(options.method == "HEAD"),
      ramp_per_worker_per_s_(options.ramp_per_s * connection_count / std::max(1u, options.connections)),
      connections_(connection_count),
      recv_buffer_(kRecvBufferBytes) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
}

Worker::~Worker() {
    for (Connection &conn : connections_)
        if (conn.fd >= 0) ::close(conn.fd);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool Worker::recording(uint64_t now) const {
    return hold_ || (now >= shared_.warmup_end_us && !shared_.stop.load(std::memory_order_relaxed));
}

bool Worker::stopping(uint64_t now) const {
    return now >= shared_.deadline_us || shared_.stop.load(std::memory_order_relaxed) ||
           g_stop_requested.load(std::memory_order_relaxed);
}

void Worker::run() {
    if (epoll_fd_ < 0) {
        stats_.connect_errors += connections_.size();
        return;
    }
    std::vector<epoll_event> events(kMaxEventsPerWait);
    const uint64_t ramp_start = monotonic_now_us();
    for (;;) {
        uint64_t now = monotonic_now_us();
        if (stopping(now)) break;
        if (hold_ && finished_count_ == connections_.size()) break;

        // Ramp: the first connection opens at once, then at most the per-thread rate.
        const double elapsed_s = static_cast<double>(now - ramp_start) / 1e6;
        const uint64_t allowed = std::min<uint64_t>(
            connections_.size(), 1 + static_cast<uint64_t>(std::floor(elapsed_s * ramp_per_worker_per_s_)));
        while (opened_count_ < allowed) open_connection(opened_count_++, now);

        if (!pending_reopen_.empty()) {
            std::vector<uint32_t> due;
            std::erase_if(pending_reopen_, [&](uint32_t index) {
                if (connections_[index].reopen_due_us > now) return false;
                due.push_back(index);
                return true;
            });
            for (uint32_t index : due) open_connection(index, now);
        }

        const int ready = epoll_wait(epoll_fd_, events.data(), kMaxEventsPerWait, wait_timeout_ms(now));
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < ready; ++i) {
            const uint32_t index = static_cast<uint32_t>(events[i].data.u64);
            const uint32_t generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
            Connection &conn = connections_[index];
            if (conn.generation != generation || conn.fd < 0) continue;  // stale: fd was closed earlier in this batch
            const uint32_t flags = events[i].events;

            if (conn.phase == Phase::Connecting) {
                int socket_error = 0;
                socklen_t length = sizeof(socket_error);
                getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &socket_error, &length);
                if (socket_error != 0) {
                    fail_connection(conn, ErrorKind::Connect, monotonic_now_us());
                    continue;
                }
                if (!(flags & EPOLLOUT)) continue;
                start_request(conn);
            } else if (conn.phase == Phase::Writing && (flags & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                continue_write(conn);
            }
            if (conn.fd >= 0 && conn.generation == generation &&
                (conn.phase == Phase::Reading || conn.phase == Phase::Writing) &&
                (flags & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
                read_available(conn);
        }
    }
    account_unfinished(monotonic_now_us());
}

int Worker::wait_timeout_ms(uint64_t now) const {
    uint64_t wait_us = static_cast<uint64_t>(kIdleWaitMs) * 1000;
    if (opened_count_ < connections_.size()) wait_us = 1000;  // keep ramping
    for (uint32_t index : pending_reopen_) {
        const uint64_t due = connections_[index].reopen_due_us;
        wait_us = std::min(wait_us, due > now ? due - now : 0);
    }
    if (shared_.deadline_us > now) wait_us = std::min(wait_us, shared_.deadline_us - now);
    return static_cast<int>((wait_us + 999) / 1000);
}

void Worker::open_connection(uint32_t index, uint64_t now) {
    Connection &conn = connections_[index];
    ++conn.generation;
    conn.phase = Phase::Connecting;
    conn.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conn.fd < 0) {
        fail_connection(conn, ErrorKind::Connect, now);
        return;
    }
    const int one = 1;
    setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    // Edge-triggered, registered once: no epoll_ctl per request.
    epoll_event registration{};
    registration.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    registration.data.u64 = pack_tag(index, conn.generation);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, conn.fd, &registration) != 0) {
        fail_connection(conn, ErrorKind::Connect, now);
        return;
    }

    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(options_.port);
    address.sin_addr.s_addr = options_.ipv4_address;
    if (::connect(conn.fd, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) == 0) {
        start_request(conn);  // the EPOLLOUT edge will also arrive and be ignored
    } else if (errno != EINPROGRESS) {
        fail_connection(conn, ErrorKind::Connect, now);
    }
}

void Worker::start_request(Connection &conn) {
    conn.parser.reset(head_method_, options_.stream);
    conn.events_in_response = 0;
    conn.write_offset = 0;
    conn.phase = Phase::Writing;
    conn.request_start_us = monotonic_now_us();
    continue_write(conn);
}

void Worker::continue_write(Connection &conn) {
    while (conn.write_offset < request_.size()) {
        const ssize_t sent = ::send(conn.fd, request_.data() + conn.write_offset, request_.size() - conn.write_offset,
                                    MSG_NOSIGNAL);
        if (sent > 0) {
            conn.write_offset += static_cast<size_t>(sent);
        } else if (sent < 0 && errno == EINTR) {
            continue;
        } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;  // the next EPOLLOUT edge resumes
        } else {
            fail_connection(conn, ErrorKind::Io, monotonic_now_us());
            return;
        }
    }
    conn.phase = Phase::Reading;
}

void Worker::read_available(Connection &conn) {
    const uint32_t generation = conn.generation;
    for (;;) {
        const ssize_t received = ::recv(conn.fd, recv_buffer_.data(), recv_buffer_.size(), 0);
        const uint64_t now = monotonic_now_us();
        if (received > 0) {
            const char *data = recv_buffer_.data();
            size_t left = static_cast<size_t>(received);
            while (left > 0) {
                if (conn.phase != Phase::Reading && conn.phase != Phase::Writing) {
                    // Bytes with no request outstanding (e.g. after the run stopped): protocol error unless stopping.
                    if (!stopping(now)) fail_connection(conn, ErrorKind::Parse, now);
                    return;
                }
                ParseListener listener{*this, conn, now};
                const ResponseParser::Step step = conn.parser.feed(data, left, listener);
                data += step.consumed;
                left -= step.consumed;
                if (step.result == ResponseParser::Result::Error) {
                    fail_connection(conn, ErrorKind::Parse, now);
                    return;
                }
                if (step.result == ResponseParser::Result::Complete) {
                    if (!complete_response(conn, now)) return;
                    if (conn.generation != generation || conn.fd < 0) return;
                }
            }
        } else if (received == 0) {
            const bool outstanding = conn.phase == Phase::Reading || conn.phase == Phase::Writing;
            if (outstanding && conn.parser.complete_on_eof()) {
                complete_response(conn, now);  // closes: the body was delimited by EOF
            } else if (outstanding) {
                fail_connection(conn, ErrorKind::Io, now);
            } else {
                close_connection(conn);
            }
            return;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            fail_connection(conn, ErrorKind::Io, now);
            return;
        }
    }
}

void Worker::on_head(Connection &conn, int /*status*/, uint64_t now) {
    conn.last_progress_us = now;
    if (!hold_) return;
    ++stats_.streams_started;
    conn.stream_open = true;
    const int64_t open = shared_.open_streams.fetch_add(1, std::memory_order_relaxed) + 1;
    int64_t peak = shared_.peak_open_streams.load(std::memory_order_relaxed);
    while (open > peak && !shared_.peak_open_streams.compare_exchange_weak(peak, open, std::memory_order_relaxed)) {
    }
}

void Worker::on_event(Connection &conn, uint64_t now) {
    const bool record = recording(now);
    if (conn.events_in_response == 0) {
        if (record) stats_.ttfb_us.record(now - conn.request_start_us);
    } else if (record) {
        stats_.event_gap_us.record(now - conn.last_event_us);
    }
    if (record) ++stats_.events;
    ++conn.events_in_response;
    conn.last_event_us = now;
    if (hold_) {
        const uint64_t gap = now - conn.last_progress_us;
        stats_.max_gap_us = std::max(stats_.max_gap_us, gap);
        if (gap > options_.stall_ms * 1000) conn.stalled = true;
        conn.last_progress_us = now;
    }
}

// Returns true if the connection carries on with a new request.
bool Worker::complete_response(Connection &conn, uint64_t now) {
    const int status = conn.parser.status();
    const bool ok = status >= 200 && status < 300;
    const uint64_t latency = now - conn.request_start_us;
    conn.had_response = true;

    bool record = recording(now);
    if (record && !hold_ && options_.request_limit > 0) {
        const uint64_t slot = shared_.recorded_responses.fetch_add(1, std::memory_order_relaxed);
        if (slot >= options_.request_limit) {
            record = false;
        } else if (slot + 1 == options_.request_limit) {
            uint64_t unset = 0;
            shared_.stop_time_us.compare_exchange_strong(unset, now);
            shared_.stop.store(true, std::memory_order_relaxed);
        }
    }
    if (record) {
        ++stats_.responses;
        if (ok) {
            ++stats_.ok;
            stats_.latency_us.record(latency);
        } else {
            ++stats_.error_statuses[status];
        }
    }

    if (hold_) {
        if (ok) ++stats_.streams_completed;
        finish_hold(conn);
        return false;
    }
    if (!conn.parser.keep_alive()) {
        close_connection(conn);  // server asked to close: reopen, not an error
        conn.reopen_due_us = now;
        pending_reopen_.push_back(static_cast<uint32_t>(&conn - connections_.data()));
        return false;
    }
    if (stopping(now)) {
        conn.phase = Phase::Closed;  // idle until the loop exits
        return false;
    }
    start_request(conn);
    return conn.fd >= 0;
}

void Worker::fail_connection(Connection &conn, ErrorKind kind, uint64_t now) {
    if (recording(now) && !stopping(now)) {
        switch (kind) {
        case ErrorKind::Connect: ++stats_.connect_errors; break;
        case ErrorKind::Io: ++stats_.io_errors; break;
        case ErrorKind::Parse: ++stats_.parse_errors; break;
        }
    } else if (hold_) {
        // A hold stream that fails during shutdown is reported as unfinished instead.
        close_connection(conn);
        return;
    }
    if (hold_) {
        finish_hold(conn);
        return;
    }
    close_connection(conn);
    conn.reopen_due_us = now + (conn.had_response ? 0 : kReopenBackoffUs);
    pending_reopen_.push_back(static_cast<uint32_t>(&conn - connections_.data()));
}

void Worker::close_connection(Connection &conn) {
    if (conn.fd >= 0) ::close(conn.fd);  // also removes it from the epoll set
    conn.fd = -1;
    conn.phase = Phase::Closed;
    if (conn.stream_open) {
        shared_.open_streams.fetch_sub(1, std::memory_order_relaxed);
        conn.stream_open = false;
    }
}

void Worker::finish_hold(Connection &conn) {
    close_connection(conn);
    conn.phase = Phase::Finished;
    ++finished_count_;
    if (conn.stalled) ++stats_.streams_stalled;
}

// Hold mode: streams still running (or never opened) when the run ended count
// as unfinished and as stalled; their open gap counts toward the max gap.
void Worker::account_unfinished(uint64_t now) {
    if (!hold_) return;
    for (Connection &conn : connections_) {
        if (conn.phase == Phase::Finished) continue;
        ++stats_.streams_unfinished;
        ++stats_.streams_stalled;
        if (conn.stream_open) stats_.max_gap_us = std::max(stats_.max_gap_us, now - conn.last_progress_us);
        close_connection(conn);
    }
}

}  // namespace sb::loadgen
