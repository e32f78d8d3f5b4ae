#include "core/plugin/plugin_isolation.hpp"

#include <system_error>

namespace sb::core {

std::string_view isolation_name(Isolation mode) noexcept {
    return mode == Isolation::process ? "process" : "in-process";
}

std::optional<Isolation> isolation_from_name(std::string_view name) noexcept {
    if (name == "process") return Isolation::process;
    if (name == "in-process") return Isolation::in_process;
    return std::nullopt;
}

Isolation IsolationSettings::mode_for(const std::filesystem::path &plugin_file) const {
    auto it = by_file.find(plugin_file.filename().string());
    return it == by_file.end() ? default_mode : it->second;
}

std::filesystem::path default_helper_executable() {
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return (ec ? std::filesystem::current_path() : exe.parent_path()) / "switchboard-plugin-helper";
}

}  // namespace sb::core
