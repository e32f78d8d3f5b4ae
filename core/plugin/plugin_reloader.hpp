#pragma once
// Re-scans the plugins directory and swaps the provider set in one step.
// In-flight requests keep the set (and libraries) they started with. Calls
// are serialized: a file-watch event, SIGHUP and the admin endpoint may race.
#include "core/directory_watch.hpp"
#include "core/plugin/provider_registry.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

namespace sb::core {

class PluginReloader {
public:
    PluginReloader(ProviderRegistry &registry, std::filesystem::path dir)
        : registry_(registry), dir_(std::move(dir)) {}

    ReloadSummary reload(std::string_view reason);
    // Called after every reload (under its lock) with what it changed.
    void on_reload(std::function<void(const ReloadSummary &)> hook) { after_reload_ = std::move(hook); }
    const std::filesystem::path &dir() const noexcept { return dir_; }
    // Where the plugins of later reloads run (--plugin-isolation and the
    // config file's "plugins"): a plugin whose mode changed is loaded again
    // by the next reload. Returns whether any plugin's mode may have changed.
    bool set_isolation(IsolationSettings isolation);

    // Watches the directory (inotify) and reloads shortly after it changes.
    // Returns false (and logs why) when watching is not possible.
    bool watch(boost::asio::any_io_executor executor);

private:
    ProviderRegistry &registry_;
    std::filesystem::path dir_;
    std::mutex mutex_;
    std::shared_ptr<DirectoryWatch> watch_;
    std::function<void(const ReloadSummary &)> after_reload_;
    IsolationSettings isolation_;  // under mutex_
};

}  // namespace sb::core
