#pragma once
// Confinement of a plugin helper process (process isolation): what a plugin loaded by it
// can reach.
#include <cstdint>
#include <string>
namespace sb::core::sandbox {
struct Limits {
    std::uint64_t memory_bytes = 512ull << 20;  // RLIMIT_AS
    std::uint32_t cpu_seconds = 600;            // RLIMIT_CPU (total CPU time of the helper)
};
// Called in the freshly started helper process before anything of the plugin is loaded.
// Closes every descriptor but channel_fd (stdin/stdout/stderr go to /dev/null), clears the
// environment, sets the limits and no_new_privs, installs the seccomp filter, and loads
// plugin_path so that the plugin's constructors ALREADY run confined. Returns the dlopen
// handle. Throws std::runtime_error with the reason when anything fails (the caller reports
// it over channel_fd and exits). Afterwards the process may only read/write/recvmsg/sendmsg
// on channel_fd, allocate and free memory, read clocks and exit: every other system call
// fails with EPERM (or the process is killed where failing is not possible).
void *load_confined(const std::string &plugin_path, int channel_fd, const Limits &limits);
}  // namespace sb::core::sandbox
