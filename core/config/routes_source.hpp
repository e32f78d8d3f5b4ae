#pragma once
// The routes file as the daemon serves it: loaded at start (a bad file is a
// start-up error), reloaded on SIGHUP and when its directory changes. A
// reload that fails keeps the last good routes and logs why; requests hold
// the snapshot they started with. Without a file there are no aliases and
// the environment and runtime config route as before.
#include <boost/asio/any_io_executor.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/api_base_policy.hpp"
#include "core/config/environment.hpp"
#include "core/config/routes_file.hpp"
#include "core/directory_watch.hpp"

namespace sb::core {

// The "plugins" of the routes file at file (parse_plugin_modes), read as
// RoutesSource reads it; throws std::runtime_error naming the file.
PluginModes read_plugin_modes(const std::filesystem::path &file);

class RoutesSource {
public:
    // No file: empty routes, nothing to reload.
    RoutesSource();
    // Loads file now; throws std::runtime_error naming the file and the
    // fault when it cannot be read, is writable by others, or is refused.
    RoutesSource(std::filesystem::path file, Environment env, ApiBasePolicy policy);

    std::shared_ptr<const RoutesFile> current() const;
    const std::filesystem::path &file() const noexcept { return file_; }

    // Re-reads the file. Returns whether the routes now served are the
    // file's; false (logged, routes unchanged) when it is refused. An
    // unchanged file is not parsed again.
    bool reload(std::string_view reason);
    // Watches the file's directory and reloads when the file changes.
    bool watch(boost::asio::any_io_executor executor);
    // Called (under the reload lock, on the reloading thread) with every
    // routes file that becomes current, including the one loaded at start
    // when the hook is added: e.g. the price table.
    void on_reload(std::function<void(const RoutesFile &)> hook);

private:
    std::filesystem::path file_;
    Environment env_;
    ApiBasePolicy policy_;
    std::mutex reload_mutex_;  // one reload at a time (SIGHUP and the watch may race)
    std::string text_;         // of the routes served
    std::vector<std::function<void(const RoutesFile &)>> hooks_;
    mutable std::mutex mutex_;
    std::shared_ptr<const RoutesFile> current_;
    std::shared_ptr<DirectoryWatch> watch_;
};

}  // namespace sb::core
