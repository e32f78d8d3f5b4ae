#pragma once
// Runs a node script for the end-to-end tests with real npm clients: a
// minimal environment, both outputs captured, killed when it overruns.
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

// Runs `node args...` with cwd `dir` and only PATH, HOME and NO_PROXY set;
// SIGKILLs it after `timeout`.
NodeResult run_node(const std::string &node, const std::filesystem::path &dir, const std::vector<std::string> &args,
                    std::chrono::milliseconds timeout);

}  // namespace sb::test
