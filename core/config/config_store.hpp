#pragma once
// Runtime provider config set through the admin API, persisted as JSON in
// the state dir: written to a temp file, fsynced, renamed over the old one,
// mode 0600. A corrupt file at start-up is moved aside, never overwritten.
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sb::core {

// Empty strings mean "not set at runtime".
struct ProviderSettings {
    std::string api_key;
    std::string api_base;
    std::string model;
    // The effective API base at the moment api_key was set: the key is only
    // ever sent there.
    std::string api_key_base;
};

struct StoredConfig {
    std::string active_provider;
    // "provider/model" entries tried in order when the chosen provider fails.
    std::vector<std::string> fallback;
    std::map<std::string, ProviderSettings, std::less<>> providers;
};

class ConfigStore {
public:
    // Reads <state_dir>/config.json if present. Creates state_dir (0700).
    explicit ConfigStore(std::filesystem::path state_dir);

    StoredConfig snapshot() const;
    // Applies change to a copy, persists it, then makes it current. Throws
    // std::runtime_error (nothing changed) when the file cannot be written.
    StoredConfig update(const std::function<void(StoredConfig &)> &change);
    // Re-reads the file (SIGHUP). Keeps the current config if it is corrupt.
    bool reload();

    const std::filesystem::path &file() const noexcept { return file_; }

private:
    std::filesystem::path file_;
    mutable std::mutex mutex_;
    StoredConfig current_;
};

// Parses the persisted document; throws std::runtime_error when malformed.
StoredConfig parse_stored_config(std::string_view json);
std::string serialize_stored_config(const StoredConfig &config);

}  // namespace sb::core
