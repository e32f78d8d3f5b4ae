#pragma once
// Runs the real switchboard binary for end-to-end tests: a clean, explicit
// environment (the developer's OPENAI_API_KEY never leaks in), output
// captured to a file, the OS-chosen port read from the "listening" log line.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sb::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
public:
    explicit TempDir(std::string_view prefix = "sb-test");
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;

    const std::filesystem::path &path() const noexcept { return path_; }
    // path() / name, created as a directory when missing.
    std::filesystem::path subdir(std::string_view name) const;

private:
    std::filesystem::path path_;
};

// Where a plugin file built by this tree lives: SB_PLUGINS_DIR for the real
// plugins (switchboard-*.so), SB_TEST_PLUGINS_DIR for the test plugins.
// Throws when the file does not exist.
std::filesystem::path built_plugin_path(std::string_view file_name);

// Creates `dir` (when missing) and copies each named plugin file into it.
// Returns `dir`.
std::filesystem::path make_plugins_dir(const std::filesystem::path &dir,
                                       const std::vector<std::string> &file_names);

struct DaemonOptions {
    std::filesystem::path executable = SB_DAEMON_PATH;
    std::filesystem::path plugins_dir;
    std::filesystem::path state_dir;
    // HOME and XDG_* point here; created when missing. A private temporary
    // directory when empty.
    std::filesystem::path home_dir;
    std::string listen = "127.0.0.1:0";
    // Variables added to the minimal environment (PATH, HOME, XDG_*).
    std::map<std::string, std::string> env;
    std::vector<std::string> extra_args;
    std::chrono::milliseconds start_timeout{10'000};
};

// One daemon child process. The constructor returns once the daemon has
// logged `event=listening` (throws with the captured log otherwise); the
// destructor SIGKILLs a daemon that is still running.
class DaemonProcess {
public:
    explicit DaemonProcess(DaemonOptions options);
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess &) = delete;
    DaemonProcess &operator=(const DaemonProcess &) = delete;

    unsigned short port() const noexcept { return port_; }
    pid_t pid() const noexcept { return pid_; }
    bool running();

    // Everything the daemon wrote to stdout and stderr so far.
    std::string log_text() const;
    const std::filesystem::path &log_path() const noexcept { return log_path_; }

    // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code, or
    // 128 + signal when it died from a signal. Idempotent.
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds{5'000});

private:
    void wait_until_listening(std::chrono::milliseconds timeout);
    bool reap(bool block);

    DaemonOptions options_;
    std::unique_ptr<TempDir> scratch_;  // log file, default HOME
    std::filesystem::path log_path_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int exit_code_ = -1;
    unsigned short port_ = 0;
};

}  // namespace sb::test
