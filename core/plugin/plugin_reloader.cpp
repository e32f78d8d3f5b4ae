#include "core/plugin/plugin_reloader.hpp"

#include "core/directory_watch.hpp"
#include "core/log.hpp"

namespace sb::core {
namespace {

std::string join(const std::vector<std::string> &ids) {
    std::string out;
    for (const auto &id : ids) out += (out.empty() ? "" : ",") + id;
    return out.empty() ? "-" : out;
}

}  // namespace

ReloadSummary PluginReloader::reload(std::string_view reason) {
    std::lock_guard lock(mutex_);
    auto before = registry_.current();
    ProviderSet after = load_plugins_dir(dir_, before.get(), isolation_);
    ReloadSummary summary = compare_provider_sets(*before, after);
    registry_.replace(std::move(after));
    log_event(LogLevel::info, "plugins_reloaded",
              {{"reason", reason},
               {"added", join(summary.added)},
               {"replaced", join(summary.replaced)},
               {"removed", join(summary.removed)},
               {"kept_after_failure", join(summary.kept_after_failure)}});
    if (after_reload_) after_reload_(summary);
    return summary;
}

bool PluginReloader::set_isolation(IsolationSettings isolation) {
    std::lock_guard lock(mutex_);
    const bool changed = isolation.default_mode != isolation_.default_mode || isolation.by_file != isolation_.by_file;
    isolation_ = std::move(isolation);
    return changed;
}

bool PluginReloader::watch(boost::asio::any_io_executor executor) {
    watch_ = watch_directory(executor, dir_, "plugins", [this] { reload("directory changed"); });
    if (!watch_) return false;
    log_event(LogLevel::info, "plugins_watching", {{"dir", dir_.string()}});
    return true;
}

}  // namespace sb::core
