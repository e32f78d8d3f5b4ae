// sb-mock-upstream: a benchmark stand-in for LLM vendor APIs. Every response
// is rendered once at start-up; worker threads only parse heads and copy bytes.
#include "canned.hpp"
#include "common/tool_setup.hpp"
#include "options.hpp"
#include "worker.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <pthread.h>
#include <string>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using sb::mock::Options;

constexpr char kTool[] = "sb-mock-upstream";

[[noreturn]] void die(const std::string &what) { sb::bench::die(kTool, what); }

// One listening socket per worker, all on the same port via SO_REUSEPORT so
// the kernel spreads new connections across threads.
int open_listener(const Options &options, uint16_t port, bool share_port = true) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    const std::string host = options.listen_host == "localhost" ? "127.0.0.1" : options.listen_host;
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        std::fprintf(stderr, "sb-mock-upstream: --listen needs an IPv4 address, got '%s'\n", host.c_str());
        std::exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (share_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) die("SO_REUSEPORT");
    if (bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0)
        die("bind " + options.listen_host + ":" + std::to_string(port));
    if (!share_port) return fd;
    if (listen(fd, SOMAXCONN) < 0) die("listen");
    return fd;
}

}  // namespace

int main(int argc, char **argv) {
    const Options options = sb::mock::parse_options(argc, argv);
    sb::bench::raise_fd_limit();
    std::signal(SIGPIPE, SIG_IGN);

    // Workers inherit this mask; only the main thread waits for the signals.
    const sigset_t stop_signals = sb::bench::block_stop_signals(kTool);

    const sb::mock::CannedResponses responses = sb::mock::render_responses(options);

    // SO_REUSEPORT would let a second mock silently share a fixed port with a
    // running one; an exclusive trial bind refuses that.
    if (options.listen_port != 0) close(open_listener(options, options.listen_port, false));
    std::vector<int> listeners;
    listeners.push_back(open_listener(options, options.listen_port));
    const uint16_t port = sb::bench::bound_port(kTool, listeners.front());
    for (unsigned i = 1; i < options.threads; ++i) listeners.push_back(open_listener(options, port));

    // Readable forever once written, so it wakes every worker.
    const int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0) die("eventfd");

    std::vector<std::unique_ptr<sb::mock::Worker>> workers;
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < options.threads; ++i) {
        workers.push_back(std::make_unique<sb::mock::Worker>(options, responses, listeners[i], stop_fd,
                                                             sb::mock::monotonic_ns() + 0x9E3779B97F4A7C15ull * (i + 1)));
        threads.emplace_back([w = workers.back().get()] { w->run(); });
    }

    if (!options.port_file.empty()) sb::bench::write_port_file(kTool, options.port_file, port);
    std::printf("listening %s:%u\n", options.listen_host.c_str(), port);
    std::fflush(stdout);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);

    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(stop_fd, &one, sizeof one);
    for (auto &t : threads) t.join();

    if (options.print_stats) {
        uint64_t served = 0;
        for (auto &w : workers) served += w->requests_served();
        std::printf("requests served %llu\n", static_cast<unsigned long long>(served));
        std::fflush(stdout);
    }
    workers.clear();
    for (int fd : listeners) close(fd);
    close(stop_fd);
    return 0;
}
