#pragma once
// Runs a tool (cmake, cpack, dpkg-deb, readelf...) from a test: no shell, its
// output captured to a log file, bounded in time. For the daemon itself use
// DaemonProcess.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sb::test {

struct CommandResult {
    int exit_code = -1;  // 128 + signal when killed; -1 when it could not start
    bool timed_out = false;
    std::string output;  // stdout and stderr
};

// Runs argv (argv[0] looked up in PATH) with extra environment variables,
// stdout and stderr written to `log`, in its own process group, killed with
// the group after `timeout`; once it has exited, whatever it left running in
// its group (a browser) is killed too.
CommandResult run_command(const std::vector<std::string> &argv,
                          const std::map<std::string, std::string> &env,
                          const std::filesystem::path &log, std::chrono::seconds timeout);

// Output (stdout only) of a short shell command, "" when it cannot start.
std::string capture_output(const std::string &command);

// The whole file, "" when it cannot be read.
std::string read_text_file(const std::filesystem::path &path);

// The last `n` characters of `text`, marked "..." when cut: enough of a long
// log for a failure message.
std::string tail_of(const std::string &text, std::size_t n = 6000);

}  // namespace sb::test
