// sb-relay: a zero-work TCP relay. Each client connection gets its own
// upstream connection and bytes are copied both ways without parsing, so a run
// through it measures what a proxy hop alone costs on this machine.
#include "options.hpp"
#include "common/tool_setup.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using sb::relay::Options;

constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr int kMaxEvents = 256;

constexpr char kTool[] = "sb-relay";

[[noreturn]] void die(const std::string &what) { sb::bench::die(kTool, what); }

sockaddr_in ipv4_address(const char *flag, const std::string &host_name, uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    const std::string host = host_name == "localhost" ? "127.0.0.1" : host_name;
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "sb-relay: %s needs an IPv4 address, got '%s'\n", flag, host.c_str());
        std::exit(2);
    }
    return addr;
}

int open_listener(const sockaddr_in &addr, const Options &options) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) < 0)
        die("bind " + options.listen_host + ":" + std::to_string(options.listen_port));
    if (listen(fd, SOMAXCONN) < 0) die("listen");
    return fd;
}

void warn_once(bool &warned, const char *what) {
    if (warned) return;
    warned = true;
    std::fprintf(stderr, "sb-relay: %s: %s (further ones not reported)\n", what, std::strerror(errno));
}

struct Pair;

// One socket of a relayed connection. `unsent` holds bytes read from the peer
// that this socket did not take yet; while it is non-empty the peer is not
// read, so a slow side holds the fast one back instead of growing a buffer.
struct Endpoint {
    int fd = -1;
    Pair *pair = nullptr;
    Endpoint *peer = nullptr;
    std::string unsent;
    uint32_t registered = 0;  // the events epoll is currently asked for
    bool in_epoll = false;
};

struct Pair {
    Endpoint client;
    Endpoint upstream;
    bool connecting = true;  // upstream connect() still in progress
    bool closed = false;

    Pair() {
        client.pair = upstream.pair = this;
        client.peer = &upstream;
        upstream.peer = &client;
    }
};

class Relay {
public:
    Relay(int listen_fd, int signal_fd, const sockaddr_in &upstream)
        : listen_fd_(listen_fd), signal_fd_(signal_fd), upstream_(upstream),
          read_buffer_(std::make_unique<char[]>(kReadBufferBytes)) {}

    void run();

private:
    void accept_all();
    void on_event(Endpoint &e, uint32_t events);
    bool finish_connect(Pair &p);
    bool read_side(Endpoint &e);
    bool forward(Endpoint &to, const char *data, std::size_t size);
    bool flush(Endpoint &e);
    uint32_t wanted_events(const Endpoint &e) const;
    bool update_interest(Endpoint &e);
    void close_pair(Pair &p);

    int listen_fd_;
    int signal_fd_;
    sockaddr_in upstream_;
    int epoll_fd_ = -1;
    std::unique_ptr<char[]> read_buffer_;
    // Owned by client fd. A closed pair moves to `closed_` until the end of
    // the event batch, since later events of the batch may still point at it.
    std::vector<std::unique_ptr<Pair>> pairs_;
    std::vector<std::unique_ptr<Pair>> closed_;
    bool warned_accept_ = false;
    bool warned_connect_ = false;
};

// Marker pointers for the two non-connection descriptors in epoll_event.data.
char listen_tag, signal_tag;

void Relay::run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) die("epoll_create1");
    for (auto [fd, tag] : {std::pair{listen_fd_, &listen_tag}, std::pair{signal_fd_, &signal_tag}}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = tag;
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    }
    epoll_event events[kMaxEvents];
    for (;;) {
        int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            void *ptr = events[i].data.ptr;
            if (ptr == &signal_tag) return;
            if (ptr == &listen_tag) {
                accept_all();
                continue;
            }
            auto &e = *static_cast<Endpoint *>(ptr);
            if (!e.pair->closed) on_event(e, events[i].events);
        }
        closed_.clear();
    }
}

void Relay::accept_all() {
    for (;;) {
        int client_fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client_fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) warn_once(warned_accept_, "accept");
            return;
        }
        int upstream_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (upstream_fd < 0) {
            warn_once(warned_connect_, "upstream socket");
            ::close(client_fd);
            continue;
        }
        // Streamed chunks are small and must leave at once, on both hops.
        int one = 1;
        setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(upstream_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

        auto owned = std::make_unique<Pair>();
        Pair &p = *owned;
        p.client.fd = client_fd;
        p.upstream.fd = upstream_fd;
        if (static_cast<std::size_t>(client_fd) >= pairs_.size())
            pairs_.resize(static_cast<std::size_t>(client_fd) * 2 + 64);
        pairs_[static_cast<std::size_t>(client_fd)] = std::move(owned);

        if (connect(upstream_fd, reinterpret_cast<const sockaddr *>(&upstream_), sizeof upstream_) == 0) {
            p.connecting = false;
        } else if (errno != EINPROGRESS) {
            warn_once(warned_connect_, "connect to upstream");
            close_pair(p);
            continue;
        }
        if (!update_interest(p.client) || !update_interest(p.upstream)) close_pair(p);
    }
}

void Relay::on_event(Endpoint &e, uint32_t events) {
    Pair &p = *e.pair;
    // A failed connect also reports EPOLLERR; SO_ERROR says why.
    if (&e == &p.upstream && p.connecting) {
        if (!finish_connect(p)) close_pair(p);
        return;
    }
    // Flushing is not owed to a side that failed; nor is the other side kept.
    if (events & (EPOLLERR | EPOLLHUP)) return close_pair(p);
    if ((events & EPOLLOUT) && !flush(e)) return close_pair(p);
    if ((events & EPOLLIN) && !read_side(e)) return close_pair(p);
    // A flush may have unblocked the peer's reading, a read may have blocked it.
    if (!update_interest(e) || !update_interest(*e.peer)) close_pair(p);
}

// The upstream socket became writable: the connect finished, well or not.
bool Relay::finish_connect(Pair &p) {
    int error = 0;
    socklen_t len = sizeof error;
    if (getsockopt(p.upstream.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error != 0) {
        if (error != 0) errno = error;
        warn_once(warned_connect_, "connect to upstream");
        return false;
    }
    p.connecting = false;
    // What the client sent meanwhile goes out first.
    if (!flush(p.upstream)) return false;
    return update_interest(p.upstream) && update_interest(p.client);
}

// Copies what `e` has received to its peer until `e` is drained or the peer
// stops taking bytes. False when the pair must close (EOF or an error).
bool Relay::read_side(Endpoint &e) {
    if (!e.peer->unsent.empty()) return true;  // level-triggered: asked again later
    for (;;) {
        ssize_t n = ::recv(e.fd, read_buffer_.get(), kReadBufferBytes, 0);
        if (n > 0) {
            if (!forward(*e.peer, read_buffer_.get(), static_cast<std::size_t>(n))) return false;
            if (!e.peer->unsent.empty()) return true;  // backpressure
            // A short read almost always means drained; if not, epoll says so again.
            if (static_cast<std::size_t>(n) < kReadBufferBytes) return true;
            continue;
        }
        if (n == 0) return false;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

bool Relay::forward(Endpoint &to, const char *data, std::size_t size) {
    // Kept until the upstream connect completes, or queued behind bytes already waiting.
    if ((to.pair->connecting && &to == &to.pair->upstream) || !to.unsent.empty()) {
        to.unsent.append(data, size);
        return true;
    }
    std::size_t sent = 0;
    while (sent < size) {
        ssize_t n = ::send(to.fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    if (sent < size) to.unsent.append(data + sent, size - sent);
    return true;
}

bool Relay::flush(Endpoint &e) {
    std::size_t sent = 0;
    while (sent < e.unsent.size()) {
        ssize_t n = ::send(e.fd, e.unsent.data() + sent, e.unsent.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    e.unsent.erase(0, sent);
    return true;
}

// Level-triggered interest: write only while bytes wait, read only while the
// peer has room. A connecting upstream waits for writability alone.
uint32_t Relay::wanted_events(const Endpoint &e) const {
    const Pair &p = *e.pair;
    if (&e == &p.upstream && p.connecting) return EPOLLOUT;
    uint32_t events = 0;
    if (e.peer->unsent.empty()) events |= EPOLLIN;
    if (!e.unsent.empty()) events |= EPOLLOUT;
    return events;
}

// epoll_ctl only when the wanted set changed: none in the steady state.
bool Relay::update_interest(Endpoint &e) {
    const uint32_t wanted = wanted_events(e);
    if (e.in_epoll && e.registered == wanted) return true;
    epoll_event ev{};
    ev.events = wanted;  // 0 is fine: errors and hang-ups are reported anyway
    ev.data.ptr = &e;
    if (epoll_ctl(epoll_fd_, e.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, e.fd, &ev) < 0) return false;
    e.in_epoll = true;
    e.registered = wanted;
    return true;
}

void Relay::close_pair(Pair &p) {
    if (p.closed) return;
    p.closed = true;
    ::close(p.client.fd);
    ::close(p.upstream.fd);
    closed_.push_back(std::move(pairs_[static_cast<std::size_t>(p.client.fd)]));
}

}  // namespace

int main(int argc, char **argv) {
    const Options options = sb::relay::parse_options(argc, argv);
    const sockaddr_in listen_addr = ipv4_address("--listen", options.listen_host, options.listen_port);
    const sockaddr_in upstream_addr = ipv4_address("--upstream", options.upstream_host, options.upstream_port);
    sb::bench::raise_fd_limit();
    std::signal(SIGPIPE, SIG_IGN);

    // Stop signals arrive as an event of the loop, so the exit is a clean 0.
    const sigset_t stop_signals = sb::bench::block_stop_signals(kTool);
    const int signal_fd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) die("signalfd");

    const int listen_fd = open_listener(listen_addr, options);
    const uint16_t port = sb::bench::bound_port(kTool, listen_fd);
    if (!options.port_file.empty()) sb::bench::write_port_file(kTool, options.port_file, port);
    std::printf("listening %s:%u\n", options.listen_host.c_str(), port);
    std::fflush(stdout);

    Relay(listen_fd, signal_fd, upstream_addr).run();
    return 0;
}
