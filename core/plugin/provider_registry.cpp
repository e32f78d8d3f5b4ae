#include "core/plugin/provider_registry.hpp"

#include "core/log.hpp"

#include <algorithm>
#include <system_error>

namespace sb::core {
namespace {
#if defined(_WIN32)
constexpr const char *kSharedLibrarySuffix = ".dll";
#elif defined(__APPLE__)
constexpr const char *kSharedLibrarySuffix = ".dylib";
#else
constexpr const char *kSharedLibrarySuffix = ".so";
#endif
}  // namespace

std::shared_ptr<const LoadedProvider> ProviderSet::find(std::string_view id) const {
    for (const auto &p : providers)
        if (p->id() == id) return p;
    return nullptr;
}

namespace {

std::shared_ptr<const LoadedProvider> loaded_from(const ProviderSet *set, const std::filesystem::path &file) {
    if (!set) return nullptr;
    for (const auto &p : set->providers)
        if (p->library().file() == file) return p;
    return nullptr;
}

// The refusal of a file that failed to load and is still the same file.
const RefusedPlugin *refused_unchanged(const ProviderSet *set, const std::filesystem::path &file,
                                       const FileIdentity &now) {
    if (!set || now == FileIdentity{}) return nullptr;
    for (const auto &r : set->refused)
        if (r.file == file && r.identity == now) return &r;
    return nullptr;
}

}  // namespace

ProviderSet load_plugins_dir(const std::filesystem::path &dir, const ProviderSet *previous,
                             const IsolationSettings &isolation) {
    ProviderSet set;
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        // Only shared-library names are candidates; READMEs and the like are ignored.
        if (it->is_regular_file(ec) && it->path().extension() == kSharedLibrarySuffix)
            files.push_back(it->path());
    }
    if (ec) {
        log_event(LogLevel::error, "plugins_dir_unreadable",
                  {{"dir", dir.string()}, {"reason", ec.message()}});
        if (previous) set.providers = previous->providers;  // keep serving what we have
        return set;
    }
    std::sort(files.begin(), files.end());
    // Files already serving go first: a new file repeating their provider id
    // is refused instead of silently taking over a working provider.
    std::stable_partition(files.begin(), files.end(),
                          [&](const std::filesystem::path &f) { return loaded_from(previous, f) != nullptr; });
    for (const auto &file : files) {
        const std::string name = file.string();
        auto before = loaded_from(previous, file);
        const FileIdentity now = FileIdentity::of(file);
        const auto untrusted = plugin_file_untrusted(file);
        std::shared_ptr<const LoadedProvider> provider;
        if (const RefusedPlugin *known = untrusted ? nullptr : refused_unchanged(previous, file, now)) {
            set.refused.push_back(*known);  // logged when first refused; it would fail the same way
            provider = before;
        } else {
            try {
                if (untrusted) throw PluginLoadError(*untrusted);
                const Isolation mode = isolation.mode_for(file);
                if (before && before->library().identity() == now && before->library().isolation() == mode)
                    provider = before;  // unchanged: no reload, no re-init
                else if (mode == Isolation::process)
                    provider = std::make_shared<const LoadedProvider>(PluginLibrary::load_isolated(file, isolation.helper));
                else
                    provider = std::make_shared<const LoadedProvider>(PluginLibrary::load(file));
            } catch (const std::exception &e) {
                log_event(LogLevel::warn, "plugin_refused", {{"file", name}, {"reason", e.what()}});
                set.refused.push_back(RefusedPlugin{file, e.what(), untrusted ? FileIdentity{} : now});
                if (before)
                    log_event(LogLevel::warn, "plugin_kept", {{"file", name}, {"provider", before->id()},
                                                              {"version", before->info().plugin_version}});
                provider = before;  // a broken new file leaves the old provider serving
            }
        }
        if (!provider) continue;
        if (auto existing = set.find(provider->id())) {
            std::string reason = "duplicate provider id '" + provider->id() + "' (already provided by " +
                                 existing->library().file().string() + ")";
            log_event(LogLevel::warn, "plugin_refused", {{"file", name}, {"reason", reason}});
            set.refused.push_back(RefusedPlugin{file, reason, {}});
            continue;
        }
        if (provider != before)
            log_event(LogLevel::info, "plugin_loaded",
                      {{"file", name},
                       {"provider", provider->id()},
                       {"version", provider->info().plugin_version},
                       {"abi", provider->library().abi_version()},
                       {"isolation", isolation_name(provider->library().isolation())}});
        set.providers.push_back(std::move(provider));
    }
    std::sort(set.providers.begin(), set.providers.end(),
              [](const auto &a, const auto &b) { return a->id() < b->id(); });
    return set;
}

ReloadSummary compare_provider_sets(const ProviderSet &before, const ProviderSet &after) {
    ReloadSummary summary;
    for (const auto &p : after.providers) {
        auto old = before.find(p->id());
        if (!old) {
            summary.added.push_back(p->id());
        } else if (old != p) {
            summary.replaced.push_back(p->id());
        } else {
            for (const auto &r : after.refused)
                if (r.file == p->library().file()) summary.kept_after_failure.push_back(p->id());
        }
    }
    for (const auto &p : before.providers)
        if (!after.find(p->id())) summary.removed.push_back(p->id());
    return summary;
}

}  // namespace sb::core
