#pragma once
// Runs a helper program from a test (a build tool, a browser driver) with
// its output captured to a file, bounded in time, and leaves nothing behind:
// the program runs in a process group of its own, killed whole at the end.
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

// Runs argv (no shell; argv[0] looked up on PATH) with `env` added to the
// environment, stdout and stderr to `log`, stdin from /dev/null. After
// `timeout` the group is killed; once the program has exited, whatever it
// started and left running in its group (a browser) is killed too.
CommandResult run_bounded(const std::vector<std::string> &argv,
                          const std::map<std::string, std::string> &env,
                          const std::filesystem::path &log, std::chrono::seconds timeout);

}  // namespace sb::test
