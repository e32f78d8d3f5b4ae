#pragma once
// Runtime provider config set through the admin API, persisted as JSON in
// the state dir: written to a fresh temp file (O_EXCL|O_NOFOLLOW, a random
// name), fsynced, renamed over the old one, mode 0600. A corrupt file at
// start-up is moved aside, never overwritten.
//
// The state dir holds vendor keys in clear. It must be ours alone: owned by
// the daemon's user and writable by no one else, else the store refuses to
// open (another user could plant links or read the keys). Every file
// operation goes through one descriptor of that directory, so swapping the
// path after the check changes nothing.
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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
    // Reads <state_dir>/config.json if present. Creates state_dir (0700);
    // narrows an existing one to 0700. Throws std::runtime_error naming the
    // directory and the fix when it is owned by another user or writable by
    // group or others.
    explicit ConfigStore(std::filesystem::path state_dir);
    ~ConfigStore();
    ConfigStore(const ConfigStore &) = delete;
    ConfigStore &operator=(const ConfigStore &) = delete;

    StoredConfig snapshot() const;
    // Applies change to a copy, persists it, then makes it current. Throws
    // std::runtime_error (nothing changed) when the file cannot be written.
    StoredConfig update(const std::function<void(StoredConfig &)> &change);
    // Re-reads the file (SIGHUP). Keeps the current config if it is corrupt.
    bool reload();

    const std::filesystem::path &file() const noexcept { return file_; }

private:
    std::optional<std::string> read_current() const;

    std::filesystem::path file_;
    int dir_fd_ = -1;
    mutable std::mutex mutex_;
    StoredConfig current_;
};

// Parses the persisted document; throws std::runtime_error when malformed.
StoredConfig parse_stored_config(std::string_view json);
std::string serialize_stored_config(const StoredConfig &config);

}  // namespace sb::core
