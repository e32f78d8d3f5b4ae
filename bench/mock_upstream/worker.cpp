#include "worker.hpp"

#include "http_parse.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <queue>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

namespace sb::mock {

namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr int kMaxEvents = 256;
constexpr std::size_t kMaxIov = 8;
// A buffered request larger than this while a reply is in flight is abuse.
constexpr std::size_t kMaxBufferedInput = kMaxHeadBytes + kMaxBodyBytes;

}  // namespace

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

struct Worker::Connection {
    enum class Phase : uint8_t { reading, delayed, streaming, closing };

    int fd;
    uint64_t id;
    std::string in;   // received bytes not yet consumed as a request
    std::string out;  // response bytes the socket did not take yet
    const CannedReply *reply = nullptr;    // answer planned for the current request
    const CannedStream *stream = nullptr;  // or the stream planned for it
    uint64_t timer_token = 0;              // only the newest timer of a connection is live
    unsigned chunks_sent = 0;
    Phase phase = Phase::reading;
    bool keep_alive = true;
    bool continue_sent = false;
};

struct Worker::Timer {
    uint64_t deadline_ns;
    uint64_t connection_id;
    uint64_t token;
    int fd;

    bool operator>(const Timer &other) const { return deadline_ns > other.deadline_ns; }
};

class Worker::TimerHeap : public std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> {};

Worker::Worker(const Options &options, const CannedResponses &responses, int listen_fd, int stop_fd, uint64_t seed)
    : options_(options), responses_(responses), listen_fd_(listen_fd), stop_fd_(stop_fd),
      rng_state_(seed | 1), timers_(std::make_unique<TimerHeap>()),
      read_buffer_(std::make_unique<char[]>(kReadBufferBytes)) {}

Worker::~Worker() {
    for (auto &c : connections_)
        if (c) ::close(c->fd);
    if (timer_fd_ >= 0) ::close(timer_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Worker::run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epoll_fd_ < 0 || timer_fd_ < 0) {
        std::perror("sb-mock-upstream: epoll/timerfd");
        return;
    }
    for (int fd : {listen_fd_, stop_fd_, timer_fd_}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
    epoll_event events[kMaxEvents];
    for (;;) {
        run_due_timers();
        rearm_timerfd();
        int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::perror("sb-mock-upstream: epoll_wait");
            return;
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == stop_fd_) return;
            if (fd == listen_fd_) {
                accept_all();
            } else if (fd == timer_fd_) {
                uint64_t expirations;
                [[maybe_unused]] ssize_t r = ::read(timer_fd_, &expirations, sizeof expirations);
                armed_deadline_ns_ = 0;
            } else {
                on_connection_event(fd, events[i].events);
            }
        }
    }
}

void Worker::accept_all() {
    for (;;) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                static bool warned = false;
                if (!warned) std::fputs("sb-mock-upstream: out of file descriptors\n", stderr);
                warned = true;
            }
            return;
        }
        // Streams send small chunks that must leave at once.
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (static_cast<std::size_t>(fd) >= connections_.size()) connections_.resize(static_cast<std::size_t>(fd) * 2 + 64);
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        c->id = next_connection_id_++;
        connections_[static_cast<std::size_t>(fd)] = std::move(c);
        // Edge-triggered for both directions: no epoll_ctl per write stall.
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.fd = fd;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) close_connection(fd);
    }
}

void Worker::close_connection(int fd) {
    auto &slot = connections_[static_cast<std::size_t>(fd)];
    if (!slot) return;
    slot.reset();  // pending timers see a missing or newer connection and are skipped
    ::close(fd);
}

void Worker::on_connection_event(int fd, uint32_t events) {
    if (static_cast<std::size_t>(fd) >= connections_.size() || !connections_[static_cast<std::size_t>(fd)]) return;
    Connection &c = *connections_[static_cast<std::size_t>(fd)];
    if (events & (EPOLLERR | EPOLLHUP)) return close_connection(fd);
    if (events & EPOLLOUT) {
        if (!flush(c)) return close_connection(fd);
        if (c.phase == Connection::Phase::closing && c.out.empty()) return close_connection(fd);
    }
    if (events & (EPOLLIN | EPOLLRDHUP)) {
        if (!read_input(c)) return close_connection(fd);
        if (c.phase == Connection::Phase::reading && !serve_requests(c)) return close_connection(fd);
    }
}

bool Worker::read_input(Connection &c) {
    for (;;) {
        ssize_t n = ::read(c.fd, read_buffer_.get(), kReadBufferBytes);
        if (n > 0) {
            c.in.append(read_buffer_.get(), static_cast<std::size_t>(n));
            if (c.in.size() > kMaxBufferedInput) return false;
            if (static_cast<std::size_t>(n) < kReadBufferBytes) return true;  // drained for now
            continue;
        }
        if (n == 0) return false;  // the client went away; drop whatever was in flight
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

// Parses and answers complete requests in `c.in` until one is incomplete or a
// reply is in flight. Returns false when the connection must be closed now.
bool Worker::serve_requests(Connection &c) {
    while (c.phase == Connection::Phase::reading && !c.in.empty()) {
        RequestHead head;
        ParseResult parsed = parse_request_head(c.in, head);
        if (parsed == ParseResult::incomplete) return true;
        auto answer_and_close = [&](const CannedReply &reply) {
            c.keep_alive = false;
            c.reply = &reply;
            c.in.clear();
            return start_reply(c);
        };
        if (parsed == ParseResult::bad)
            return answer_and_close(c.in.size() > kMaxHeadBytes ? responses_.head_too_large : responses_.bad_request);

        std::string_view body;
        std::size_t request_bytes = head.head_bytes;
        const std::string_view after_head = std::string_view(c.in).substr(head.head_bytes);
        if (head.chunked) {
            std::size_t consumed = 0;
            ParseResult decoded = decode_chunked_body(after_head, chunked_body_, consumed);
            if (decoded == ParseResult::bad) return answer_and_close(responses_.bad_request);
            if (decoded == ParseResult::incomplete) {
                if (head.expect_continue && !c.continue_sent) {
                    c.continue_sent = true;
                    return send_parts(c, {responses_.continue_100});
                }
                return true;
            }
            body = chunked_body_;
            request_bytes += consumed;
        } else {
            if (head.content_length > kMaxBodyBytes) return answer_and_close(responses_.body_too_large);
            if (after_head.size() < head.content_length) {
                if (head.expect_continue && !c.continue_sent) {
                    c.continue_sent = true;
                    return send_parts(c, {responses_.continue_100});
                }
                return true;
            }
            body = after_head.substr(0, head.content_length);
            request_bytes += head.content_length;
        }

        const Route route = route_request(head.method, head.target);
        c.keep_alive = head.keep_alive;
        c.reply = nullptr;
        c.stream = nullptr;
        bool is_chat = true;
        const Dialect *dialect = nullptr;
        switch (route) {
        case Route::openai: dialect = &responses_.openai; break;
        case Route::anthropic: dialect = &responses_.anthropic; break;
        case Route::gemini:
        case Route::gemini_stream: dialect = &responses_.gemini; break;
        case Route::cohere: dialect = &responses_.cohere; break;
        case Route::models: c.reply = &responses_.models, is_chat = false; break;
        case Route::health: c.reply = &responses_.health, is_chat = false; break;
        case Route::not_found: c.reply = &responses_.not_found, is_chat = false; break;
        }
        if (dialect) {
            const bool stream = route == Route::gemini_stream || (route != Route::gemini && body_requests_stream(body));
            if (stream) c.stream = &dialect->stream;
            else c.reply = &dialect->reply;
        }
        if (is_chat && (options_.fail_rate > 0 || options_.rate_429 > 0)) {
            const double draw = random_fraction();
            if (draw < options_.fail_rate) c.reply = &responses_.server_error, c.stream = nullptr;
            else if (draw < options_.fail_rate + options_.rate_429) c.reply = &responses_.rate_limited, c.stream = nullptr;
        }

        // The views into c.in die here.
        if (request_bytes == c.in.size()) {
            c.in.clear();
            if (c.in.capacity() > 16 * 1024) c.in.shrink_to_fit();  // a big body must not pin memory
        } else {
            c.in.erase(0, request_bytes);
        }
        c.continue_sent = false;
        ++requests_served_;

        const uint64_t delay = is_chat ? reply_delay_ns() : 0;
        if (delay > 0) {
            c.phase = Connection::Phase::delayed;
            schedule(c, monotonic_ns() + delay);
            return true;
        }
        if (!start_reply(c)) return false;
    }
    return true;
}

// Writes the head (and everything that is due at once) of the planned answer.
bool Worker::start_reply(Connection &c) {
    if (c.reply) {
        if (!send_parts(c, {c.reply->pick(c.keep_alive)})) return false;
        return finish_reply(c);
    }
    const CannedStream &s = *c.stream;
    const std::string &head = s.head.pick(c.keep_alive);
    if (options_.chunk_interval_us == 0) {
        if (!send_parts(c, {head, s.whole})) return false;
        return finish_reply(c);
    }
    if (options_.chunks == 0) {
        if (!send_parts(c, {head, s.prologue, s.empty_end})) return false;
        return finish_reply(c);
    }
    if (options_.chunks == 1) {
        if (!send_parts(c, {head, s.prologue, s.last})) return false;
        return finish_reply(c);
    }
    if (!send_parts(c, {head, s.prologue, s.content})) return false;
    c.phase = Connection::Phase::streaming;
    c.chunks_sent = 1;
    const uint64_t now = monotonic_ns();
    schedule(c, now + options_.chunk_interval_us * 1000);
    return true;
}

bool Worker::continue_stream(Connection &c, uint64_t due_ns) {
    const CannedStream &s = *c.stream;
    if (c.chunks_sent + 1 >= options_.chunks) {
        if (!send_parts(c, {s.last})) return false;
        return finish_reply(c);
    }
    if (!send_parts(c, {s.content})) return false;
    ++c.chunks_sent;
    // Spacing counts from the due time, so a late wake-up does not stretch the stream.
    schedule(c, due_ns + options_.chunk_interval_us * 1000);
    return true;
}

bool Worker::finish_reply(Connection &c) {
    c.reply = nullptr;
    c.stream = nullptr;
    if (c.keep_alive) {
        c.phase = Connection::Phase::reading;
        return true;
    }
    c.phase = Connection::Phase::closing;
    return !c.out.empty();  // close once the tail is flushed
}

bool Worker::send_parts(Connection &c, std::initializer_list<std::string_view> parts) {
    if (!c.out.empty()) {
        // Already stalled: keep order, the next EPOLLOUT edge flushes it.
        for (auto p : parts) c.out.append(p);
        return true;
    }
    iovec iov[kMaxIov];
    std::size_t count = 0, total = 0;
    for (auto p : parts) {
        if (p.empty()) continue;
        iov[count].iov_base = const_cast<char *>(p.data());
        iov[count].iov_len = p.size();
        total += p.size();
        ++count;
    }
    if (count == 0) return true;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t n;
    do n = sendmsg(c.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
        n = 0;
    }
    if (static_cast<std::size_t>(n) == total) return true;
    // Keep the unsent tail; EPOLLOUT will deliver it.
    std::size_t skip = static_cast<std::size_t>(n);
    for (std::size_t i = 0; i < count; ++i) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        c.out.append(static_cast<const char *>(iov[i].iov_base) + skip, iov[i].iov_len - skip);
        skip = 0;
    }
    return true;
}

bool Worker::flush(Connection &c) {
    std::size_t sent = 0;
    while (sent < c.out.size()) {
        ssize_t n = ::send(c.fd, c.out.data() + sent, c.out.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    c.out.erase(0, sent);
    if (c.out.empty() && c.out.capacity() > 16 * 1024) c.out.shrink_to_fit();
    return true;
}

void Worker::schedule(Connection &c, uint64_t deadline_ns) {
    timers_->push(Timer{deadline_ns, c.id, ++c.timer_token, c.fd});
}

void Worker::run_due_timers() {
    if (timers_->empty()) return;
    const uint64_t now = monotonic_ns();
    while (!timers_->empty() && timers_->top().deadline_ns <= now) {
        const Timer t = timers_->top();
        timers_->pop();
        if (static_cast<std::size_t>(t.fd) >= connections_.size()) continue;
        Connection *c = connections_[static_cast<std::size_t>(t.fd)].get();
        if (!c || c->id != t.connection_id || c->timer_token != t.token) continue;
        bool alive = true;
        if (c->phase == Connection::Phase::delayed) alive = start_reply(*c);
        else if (c->phase == Connection::Phase::streaming) alive = continue_stream(*c, t.deadline_ns);
        if (alive && c->phase == Connection::Phase::reading) alive = serve_requests(*c);
        if (!alive) close_connection(t.fd);
    }
}

void Worker::rearm_timerfd() {
    if (timers_->empty()) return;
    const uint64_t next = timers_->top().deadline_ns;
    if (armed_deadline_ns_ != 0 && armed_deadline_ns_ <= next) return;
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(next / 1'000'000'000ull);
    spec.it_value.tv_nsec = static_cast<long>(next % 1'000'000'000ull);
    timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
    armed_deadline_ns_ = next;
}

uint64_t Worker::reply_delay_ns() {
    uint64_t us = options_.latency_us;
    if (options_.jitter_us > 0) us += static_cast<uint64_t>(random_fraction() * static_cast<double>(options_.jitter_us + 1));
    return us * 1000;
}

// xorshift64*: per-thread, lock-free and plenty for sampling fractions.
double Worker::random_fraction() {
    rng_state_ ^= rng_state_ >> 12;
    rng_state_ ^= rng_state_ << 25;
    rng_state_ ^= rng_state_ >> 27;
    const uint64_t r = rng_state_ * 0x2545F4914F6CDD1Dull;
    return static_cast<double>(r >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace sb::mock
