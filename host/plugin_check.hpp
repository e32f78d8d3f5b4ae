#pragma once
// `switchboard plugin check FILE`: loads one plugin in isolation and reports
// whether the daemon would accept it, and how it behaves on canned input.
#include <filesystem>

namespace sb::host {

// Prints a report to stdout; returns the process exit code (0 = would load).
int check_plugin(const std::filesystem::path &file);

}  // namespace sb::host
