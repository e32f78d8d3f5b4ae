#include "support/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace sb::test {

namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = (tmp && *tmp ? std::string(tmp) : std::string("/tmp")) + "/" +
                          std::string(prefix) + "-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    path_ = buf.data();
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

fs::path TempDir::subdir(std::string_view name) const {
    fs::path p = path_ / name;
    fs::create_directories(p);
    return p;
}

fs::path built_plugin_path(std::string_view file_name) {
    for (const char *dir : {SB_PLUGINS_DIR, SB_TEST_PLUGINS_DIR}) {
        fs::path candidate = fs::path(dir) / file_name;
        if (fs::exists(candidate)) return candidate;
    }
    throw std::runtime_error("plugin file not built: " + std::string(file_name) + " (looked in " +
                             SB_PLUGINS_DIR + " and " + SB_TEST_PLUGINS_DIR + ")");
}

fs::path make_plugins_dir(const fs::path &dir, const std::vector<std::string> &file_names) {
    fs::create_directories(dir);
    for (const auto &name : file_names)
        fs::copy_file(built_plugin_path(name), dir / name, fs::copy_options::overwrite_existing);
    return dir;
}

namespace {

std::string read_file(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Parses the port out of "... event=listening addr=127.0.0.1:43123".
bool find_listening_port(const std::string &log, unsigned short &port) {
    std::istringstream lines(log);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.find("event=listening") == std::string::npos) continue;
        auto at = line.find("addr=");
        if (at == std::string::npos) continue;
        auto end = line.find_first_of(" \t\r", at);
        std::string addr = line.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
        auto colon = addr.rfind(':');
        if (colon == std::string::npos) continue;
        int value = std::atoi(addr.c_str() + colon + 1);
        if (value <= 0 || value > 65535) continue;
        port = static_cast<unsigned short>(value);
        return true;
    }
    return false;
}

}  // namespace

DaemonProcess::DaemonProcess(DaemonOptions options) : options_(std::move(options)) {
    scratch_ = std::make_unique<TempDir>("sb-daemon");
    if (options_.home_dir.empty()) options_.home_dir = scratch_->path() / "home";
    fs::create_directories(options_.home_dir);
    if (!options_.state_dir.empty()) fs::create_directories(options_.state_dir);
    log_path_ = scratch_->path() / "daemon.log";

    // Everything the child needs is prepared before fork: the test process
    // runs mock-server threads, so the child may only make async-signal-safe
    // calls until execve.
    std::vector<std::string> args{options_.executable.string(), "--listen", options_.listen};
    if (!options_.plugins_dir.empty()) {
        args.push_back("--plugins-dir");
        args.push_back(options_.plugins_dir.string());
    }
    if (!options_.state_dir.empty()) {
        args.push_back("--state-dir");
        args.push_back(options_.state_dir.string());
    }
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    // SB_TEST_DAEMON_ARGS (space-separated) re-runs a whole suite with more
    // flags, e.g. "--plugin-isolation process" (tests/integration/isolation.cmake).
    if (const char *more = std::getenv("SB_TEST_DAEMON_ARGS")) {
        std::istringstream words(more);
        for (std::string w; words >> w;) args.push_back(w);
    }

    std::map<std::string, std::string> env{
        {"PATH", "/usr/local/bin:/usr/bin:/bin"},
        {"HOME", options_.home_dir.string()},
        {"XDG_DATA_HOME", (options_.home_dir / ".local/share").string()},
        {"XDG_CONFIG_HOME", (options_.home_dir / ".config").string()},
        {"XDG_STATE_HOME", (options_.home_dir / ".local/state").string()},
        {"XDG_CACHE_HOME", (options_.home_dir / ".cache").string()},
        {"LC_ALL", "C"},
        {"TZ", "UTC"},
    };
    for (const auto &[name, value] : options_.env) env[name] = value;
    std::vector<std::string> env_strings;
    for (const auto &[name, value] : env) env_strings.push_back(name + "=" + value);

    std::vector<char *> argv, envp;
    for (auto &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto &e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);

    int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "open daemon log");
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) {
        ::close(log_fd);
        throw std::system_error(errno, std::generic_category(), "open /dev/null");
    }
    struct rlimit limit {};
    long max_fd = 4096;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        max_fd = static_cast<long>(limit.rlim_cur);
    if (max_fd > 65536) max_fd = 65536;

    pid_t pid = ::fork();
    if (pid < 0) {
        int err = errno;
        ::close(log_fd);
        ::close(null_fd);
        throw std::system_error(err, std::generic_category(), "fork");
    }
    if (pid == 0) {
        ::dup2(null_fd, 0);
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
        // Sockets of the test's own servers must not leak into the daemon
        // (a leaked listener would keep a "closed" port accepting).
#ifdef SYS_close_range
        if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
            for (long fd = 3; fd < max_fd; ++fd) ::close(static_cast<int>(fd));
        ::execve(argv[0], argv.data(), envp.data());
        static const char msg[] = "daemon_process: execve failed\n";
        ssize_t ignored = ::write(2, msg, sizeof msg - 1);
        (void)ignored;
        ::_exit(127);
    }
    ::close(log_fd);
    ::close(null_fd);
    pid_ = pid;
    try {
        wait_until_listening(options_.start_timeout);
    } catch (...) {
        stop(std::chrono::milliseconds{1'000});
        throw;
    }
}

DaemonProcess::~DaemonProcess() {
    if (pid_ > 0 && !exited_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
}

bool DaemonProcess::reap(bool block) {
    if (exited_) return true;
    int status = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
        exited_ = true;
        if (WIFEXITED(status))
            exit_code_ = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            exit_code_ = 128 + WTERMSIG(status);
        return true;
    }
    if (r < 0) {  // not our child any more: treat as gone
        exited_ = true;
        return true;
    }
    return false;
}

bool DaemonProcess::running() { return pid_ > 0 && !reap(false); }

std::string DaemonProcess::log_text() const { return read_file(log_path_); }

void DaemonProcess::wait_until_listening(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (find_listening_port(log_text(), port_)) return;
        if (reap(false))
            throw std::runtime_error("switchboard exited (status " + std::to_string(exit_code_) +
                                     ") before listening; log:\n" + log_text());
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("switchboard did not log event=listening within " +
                                     std::to_string(timeout.count()) + " ms; log:\n" + log_text());
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
}

int DaemonProcess::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return -1;
    if (exited_) return exit_code_;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (reap(false)) return exit_code_;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    ::kill(pid_, SIGKILL);
    reap(true);
    return exit_code_;
}

}  // namespace sb::test
