#pragma once
// Where a plugin's code runs: inside the daemon (in-process, the default) or
// in a helper process of its own (process: core/plugin/isolated_plugin.hpp),
// chosen for all plugins by --plugin-isolation and per plugin file by the
// "plugins" object of the --config file.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sb::core {

enum class Isolation { in_process, process };

// "in-process" or "process".
std::string_view isolation_name(Isolation mode) noexcept;
std::optional<Isolation> isolation_from_name(std::string_view name) noexcept;

// Plugin file name (as in the plugins directory, e.g.
// "switchboard-openai.so") to the mode it runs in.
using PluginModes = std::map<std::string, Isolation, std::less<>>;

// How helper processes run.
struct HelperSettings {
    // switchboard-plugin-helper, installed beside the daemon.
    std::filesystem::path executable;
    // Longest wait for one call's answer; past it the helper is killed.
    std::chrono::milliseconds call_timeout{2000};
    std::uint64_t memory_bytes = 512ull << 20;  // address space (RLIMIT_AS)
    std::uint32_t cpu_seconds = 600;            // CPU time of one helper (RLIMIT_CPU)
};

struct IsolationSettings {
    Isolation default_mode = Isolation::in_process;
    PluginModes by_file;  // over default_mode (the --config file's "plugins")
    HelperSettings helper;

    Isolation mode_for(const std::filesystem::path &plugin_file) const;
};

// The helper executable beside the running daemon (/proc/self/exe).
std::filesystem::path default_helper_executable();

}  // namespace sb::core
