#pragma once
// One running switchboard-plugin-helper: started with fork+exec, an empty
// environment and a socket pair's end as its only descriptor (fd 3); talked
// to with deadlines; killed and reaped (waitpid on its own pid only, so no
// other child of the daemon is disturbed) when it is done with.
#include "core/plugin/plugin_isolation.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sb::core {

// Why talking to a helper failed: it died, timed out or spoke nonsense.
class HelperFailure : public std::runtime_error {
public:
    enum class Kind { crashed, timed_out, protocol };
    HelperFailure(Kind kind, const std::string &what) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const noexcept { return kind_; }

private:
    Kind kind_;
};

// "crash", "timeout", "protocol": the metric label.
std::string_view failure_kind_name(HelperFailure::Kind kind) noexcept;

class HelperProcess {
public:
    using Clock = std::chrono::steady_clock;

    // Starts the helper on plugin_file. Throws std::system_error when it
    // cannot be started.
    HelperProcess(const HelperSettings &settings, const std::filesystem::path &plugin_file);
    // Kills and reaps the helper.
    ~HelperProcess();
    HelperProcess(const HelperProcess &) = delete;
    HelperProcess &operator=(const HelperProcess &) = delete;

    pid_t pid() const noexcept { return pid_; }
    // Sends a whole frame, then reads one frame's payload, both by deadline.
    // Throws HelperFailure.
    void send(std::string_view frame, Clock::time_point deadline);
    std::string receive(Clock::time_point deadline);
    // Kills (when still running after grace) and reaps the helper; says how
    // it ended, e.g. "was killed by signal 11 (Segmentation fault)".
    // Idempotent.
    std::string stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

private:
    HelperFailure died(std::string_view doing);

    pid_t pid_ = -1;
    int fd_ = -1;
    std::string ended_;
};

}  // namespace sb::core
