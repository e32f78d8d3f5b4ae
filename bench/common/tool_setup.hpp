// Start-up helpers shared by the bench tools: fatal errors, the descriptor
// limit and the --port-file handshake with bench/run.py.
#pragma once

#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <netinet/in.h>
#include <pthread.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>

namespace sb::bench {

[[noreturn]] inline void die(const char *tool, const std::string &what) {
    std::fprintf(stderr, "%s: %s: %s\n", tool, what.c_str(), std::strerror(errno));
    std::exit(1);
}

// 10,000+ connections need more descriptors than the usual soft limit of 1024.
inline void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// SIGTERM and SIGINT are blocked, to be waited for (sigwait, signalfd) rather
// than delivered; threads started afterwards inherit the mask.
inline sigset_t block_stop_signals(const char *tool) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) die(tool, "pthread_sigmask");
    return stop_signals;
}

inline uint16_t bound_port(const char *tool, int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) < 0) die(tool, "getsockname");
    return ntohs(addr.sin_port);
}

// Written to a temporary name first so a driver polling the file never reads half a number.
inline void write_port_file(const char *tool, const std::string &path, uint16_t port) {
    const std::string tmp = path + ".tmp";
    FILE *f = std::fopen(tmp.c_str(), "w");
    if (!f) die(tool, "open " + tmp);
    std::fprintf(f, "%u\n", port);
    if (std::fclose(f) != 0) die(tool, "write " + tmp);
    if (std::rename(tmp.c_str(), path.c_str()) < 0) die(tool, "rename " + tmp);
}

}  // namespace sb::bench
