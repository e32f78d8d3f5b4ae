#pragma once
// Runs node on a script of an npm test package (tests/<client>/run.mjs) with a
// minimal environment, both outputs captured, killed after a timeout.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace sb::test {

struct NodeResult {
    int exit_code = -1;  // 128 + signal when killed
    bool timed_out = false;
    std::string out;
    std::string err;
};

// node `args` in `dir` (PATH, HOME and NO_PROXY=127.0.0.1,localhost only);
// SIGKILLed after `timeout`.
NodeResult run_node(const std::string &node, const std::filesystem::path &dir,
                    const std::vector<std::string> &args, std::chrono::milliseconds timeout);

}  // namespace sb::test
