#pragma once
// Runtime provider config set through the admin API, kept by a pluggable
// backend: the file below (the default), or a shared store (Redis, see
// core/store) that several daemons read and write.
//
// The file backend persists it as JSON in the state dir: written to a fresh temp file (O_EXCL|O_NOFOLLOW, a random
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
#include <memory>
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

// Where the config is kept. Thread safety: ConfigStore serializes calls.
class ConfigBackend {
public:
    virtual ~ConfigBackend() = default;
    // The stored config; nullopt when none was ever stored. Throws
    // std::runtime_error when it cannot be read (corrupt, unreachable).
    virtual std::optional<StoredConfig> load() = 0;
    // Throws std::runtime_error (nothing stored) when it cannot be written.
    virtual void save(const StoredConfig &config) = 0;
    // "file" or "redis", for /readyz and logs.
    virtual std::string_view kind() const noexcept = 0;
    // Whether the backend answered last time it was asked (no I/O).
    virtual bool reachable() const noexcept { return true; }
    // Other processes write it too: update() reads it before changing it.
    virtual bool shared() const noexcept { return false; }
    // The file backend's file; empty for the others.
    virtual std::filesystem::path file() const { return {}; }
};

class ConfigStore {
public:
    // Reads <state_dir>/config.json if present. Creates state_dir (0700);
    // narrows an existing one to 0700. Throws std::runtime_error naming the
    // directory and the fix when it is owned by another user or writable by
    // group or others.
    explicit ConfigStore(std::filesystem::path state_dir);
    // Any backend. Reads it now; one that cannot be reached yet (a shared
    // store that is down) leaves the config empty until reload() succeeds.
    // Throws when it answers with something unreadable.
    explicit ConfigStore(std::unique_ptr<ConfigBackend> backend);
    ~ConfigStore();
    ConfigStore(const ConfigStore &) = delete;
    ConfigStore &operator=(const ConfigStore &) = delete;

    StoredConfig snapshot() const;
    // The same without a copy: an immutable snapshot, replaced whole by
    // update() and reload(), so a new pointer is a new config.
    std::shared_ptr<const StoredConfig> current() const;
    // Applies change to a copy (of the shared store's latest, when it is
    // shared), persists it, then makes it current. Throws
    // std::runtime_error (nothing changed) when it cannot be written.
    StoredConfig update(const std::function<void(StoredConfig &)> &change);
    // Re-reads the backend (SIGHUP, a change on another daemon). Keeps the
    // current config if it is corrupt or unreachable.
    bool reload();

    // The file backend's file; empty for the others.
    std::filesystem::path file() const { return backend_->file(); }
    std::string_view backend_kind() const noexcept { return backend_->kind(); }
    bool backend_reachable() const noexcept { return backend_->reachable(); }

private:
    std::unique_ptr<ConfigBackend> backend_;
    mutable std::mutex mutex_;
    std::shared_ptr<const StoredConfig> current_ = std::make_shared<const StoredConfig>();
};

// Parses the persisted document; throws std::runtime_error when malformed.
StoredConfig parse_stored_config(std::string_view json);
std::string serialize_stored_config(const StoredConfig &config);

}  // namespace sb::core
