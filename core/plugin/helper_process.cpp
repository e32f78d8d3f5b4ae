#include "core/plugin/helper_process.hpp"

#include "core/plugin/helper_protocol.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

namespace sb::core {
namespace {

namespace hp = helper_protocol;

// Waits until fd is ready for events or the deadline passes.
bool wait_ready(int fd, short events, HelperProcess::Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - HelperProcess::Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
        if (n > 0) return true;
        if (n < 0 && errno != EINTR) return true;  // let the read or write report it
    }
}

}  // namespace

std::string_view failure_kind_name(HelperFailure::Kind kind) noexcept {
    switch (kind) {
    case HelperFailure::Kind::crashed: return "crash";
    case HelperFailure::Kind::timed_out: return "timeout";
    default: return "protocol";
    }
}

HelperProcess::HelperProcess(const HelperSettings &settings, const std::filesystem::path &plugin_file) {
    // Everything the child needs is made before fork: the daemon is
    // multi-threaded, so the child makes only async-signal-safe calls.
    std::vector<std::string> args{settings.executable.string(), plugin_file.string(),
                                  std::to_string(settings.memory_bytes), std::to_string(settings.cpu_seconds)};
    std::vector<char *> argv;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    char *no_environment[] = {nullptr};
    rlimit files{};
    const long max_fd = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                            ? static_cast<long>(std::min<rlim_t>(files.rlim_cur, 1 << 20))
                            : 65536;
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        throw std::system_error(errno, std::generic_category(), "socketpair");
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        ::close(pair[0]);
        ::close(pair[1]);
        throw std::system_error(err, std::generic_category(), "fork");
    }
    if (pid == 0) {
        // fd 3 is the helper's end (dup2 clears close-on-exec); nothing else
        // of the daemon's survives exec, not even stdin/stdout/stderr.
        if (pair[1] == hp::kChannelFd)
            ::fcntl(hp::kChannelFd, F_SETFD, 0);
        else if (::dup2(pair[1], hp::kChannelFd) < 0)
            ::_exit(126);
#ifdef SYS_close_range
        if (::syscall(SYS_close_range, 4u, ~0u, 0u) != 0)
#endif
            for (long fd = 4; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
        for (int fd = 0; fd < 3; ++fd) ::close(fd);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a hung helper dies with the daemon
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(argv[0], argv.data(), no_environment);
        ::_exit(127);
    }
    ::close(pair[1]);
    fd_ = pair[0];
    pid_ = pid;
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

HelperProcess::~HelperProcess() { stop(); }

std::string HelperProcess::stop(std::chrono::milliseconds grace) {
    if (pid_ < 0) return ended_;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    for (auto until = Clock::now() + grace; r == 0 && Clock::now() < until; r = ::waitpid(pid_, &status, WNOHANG))
        ::usleep(1000);
    bool killed = false;
    if (r == 0) {
        ::kill(pid_, SIGKILL);
        killed = true;
        do r = ::waitpid(pid_, &status, 0);
        while (r < 0 && errno == EINTR);
    }
    pid_ = -1;
    if (r < 0) return ended_ = "could not be reaped";
    if (killed) return ended_ = "was killed";
    if (WIFSIGNALED(status))
        return ended_ = "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                        ::strsignal(WTERMSIG(status)) + ")";
    return ended_ = "exited with status " + std::to_string(WEXITSTATUS(status));
}

HelperFailure HelperProcess::died(std::string_view doing) {
    // The socket closed: the process is gone or on its way; a moment's
    // grace lets the reason name the signal.
    return HelperFailure(HelperFailure::Kind::crashed,
                         "its helper process " + stop(std::chrono::milliseconds(100)) + " " + std::string(doing));
}

void HelperProcess::send(std::string_view frame, Clock::time_point deadline) {
    while (!frame.empty()) {
        if (fd_ < 0) throw died("before the call");
        const ssize_t n = ::send(fd_, frame.data(), frame.size(), MSG_NOSIGNAL);
        if (n > 0) {
            frame.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_ready(fd_, POLLOUT, deadline))
                throw HelperFailure(HelperFailure::Kind::timed_out, "its helper process stopped reading");
            continue;
        }
        throw died("during the call");
    }
}

std::string HelperProcess::receive(Clock::time_point deadline) {
    auto read_exact = [&](char *into, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            if (fd_ < 0) throw died("during the call");
            const ssize_t r = ::recv(fd_, into + got, n - got, 0);
            if (r > 0) {
                got += static_cast<std::size_t>(r);
                continue;
            }
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!wait_ready(fd_, POLLIN, deadline))
                    throw HelperFailure(HelperFailure::Kind::timed_out, "its helper process did not answer in time");
                continue;
            }
            throw died("during the call");
        }
    };
    char head[4];
    read_exact(head, 4);
    const std::uint32_t n = hp::frame_length(head);
    if (n == 0 || n > hp::kMaxFrame)
        throw HelperFailure(HelperFailure::Kind::protocol, "its helper process sent a malformed frame");
    std::string payload(n, '\0');
    read_exact(payload.data(), n);
    return payload;
}

}  // namespace sb::core
