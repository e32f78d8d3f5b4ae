#pragma once
// The loaded providers and the refused plugin files, as an immutable
// snapshot that requests hold while they run (so a later reload cannot pull
// a library out from under them).
#include "core/plugin/provider.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

struct RefusedPlugin {
    std::filesystem::path file;
    std::string reason;
    // The file as it was when it failed to load: a reload does not try it
    // again (nor log it again) until it changes. Empty for refusals decided
    // without loading (who may write the file, a duplicate id), which are
    // decided afresh each time.
    FileIdentity identity;
};

struct ProviderSet {
    std::vector<std::shared_ptr<const LoadedProvider>> providers;  // sorted by id
    std::vector<RefusedPlugin> refused;

    std::shared_ptr<const LoadedProvider> find(std::string_view id) const;
};

// Loads every *.so (.dll, .dylib) file in dir (sorted by name, so duplicate resolution
// is deterministic: the first file wins; on a reload, files already serving
// win) and logs each load or refusal.
// With a previous set (a reload): unchanged files keep their loaded
// provider; a changed file that fails to load leaves its previous provider
// serving (and is reported refused); a file that failed to load and has not
// changed is not loaded again; removed files are dropped. A file that
// others may write (plugin_file_untrusted) is refused, on every scan.
// isolation says which files run in a helper process; a file whose mode
// changed since it was loaded is loaded again.
ProviderSet load_plugins_dir(const std::filesystem::path &dir, const ProviderSet *previous = nullptr,
                             const IsolationSettings &isolation = {});

// What a reload changed, for the log and the admin API.
struct ReloadSummary {
    std::vector<std::string> added, replaced, removed, kept_after_failure;
};
ReloadSummary compare_provider_sets(const ProviderSet &before, const ProviderSet &after);

class ProviderRegistry {
public:
    explicit ProviderRegistry(ProviderSet set)
        : current_(std::make_shared<const ProviderSet>(std::move(set))) {}

    std::shared_ptr<const ProviderSet> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void replace(ProviderSet set) {
        auto next = std::make_shared<const ProviderSet>(std::move(set));
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const ProviderSet> current_;
};

}  // namespace sb::core
