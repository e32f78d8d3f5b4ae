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

std::shared_ptr<const Provider> ProviderSet::find(std::string_view id) const {
    for (const auto &p : providers)
        if (p->id() == id) return p;
    return nullptr;
}

ProviderSet load_plugins_dir(const std::filesystem::path &dir) {
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
        return set;
    }
    std::sort(files.begin(), files.end());
    for (const auto &file : files) {
        const std::string name = file.string();
        try {
            auto provider = std::make_shared<const Provider>(PluginLibrary::load(file));
            if (auto existing = set.find(provider->id())) {
                throw PluginLoadError("duplicate provider id '" + provider->id() +
                                      "' (already provided by " +
                                      existing->library().file().string() + ")");
            }
            log_event(LogLevel::info, "plugin_loaded",
                      {{"file", name},
                       {"provider", provider->id()},
                       {"version", provider->info().plugin_version},
                       {"abi", provider->library().abi_version()}});
            set.providers.push_back(std::move(provider));
        } catch (const std::exception &e) {
            log_event(LogLevel::warn, "plugin_refused", {{"file", name}, {"reason", e.what()}});
            set.refused.push_back(RefusedPlugin{file, e.what()});
        }
    }
    std::sort(set.providers.begin(), set.providers.end(),
              [](const auto &a, const auto &b) { return a->id() < b->id(); });
    return set;
}

}  // namespace sb::core
