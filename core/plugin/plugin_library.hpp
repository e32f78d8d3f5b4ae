#pragma once
// One loaded plugin shared library and its negotiated ABI table. Shared
// ownership keeps the library mapped while any provider or stream of it is
// in use; the last owner calls the plugin's shutdown and unloads it.
#include "core/plugin/plugin_isolation.hpp"

#include <switchboard/provider_abi.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace sb::core {

class IsolatedPlugin;

// Why a file was refused; the message is shown to operators as is.
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What a file was when it was loaded: a reload skips unchanged files.
struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;

    static FileIdentity of(const std::filesystem::path &file);
    bool operator==(const FileIdentity &) const = default;
};

// Why file may not be loaded whatever it contains, or nullopt: the file
// (what a link points to) and its directory must be owned by root or the
// daemon's user and writable by neither group nor others, and a link must
// not leave the directory. Anyone who can write there can run code inside
// the daemon and read every key.
std::optional<std::string> plugin_file_untrusted(const std::filesystem::path &file);

class PluginLibrary {
public:
    static constexpr uint32_t kHostAbiMajorMin = 1;
    static constexpr uint32_t kHostAbiMajorMax = 1;

    // Checks who may have written file (plugin_file_untrusted), loads it,
    // negotiates the ABI, validates the tables and calls init. Throws
    // PluginLoadError with the reason.
    static std::shared_ptr<PluginLibrary> load(const std::filesystem::path &file);
    // The same checks, but the plugin runs in a helper process
    // (IsolatedPlugin): the table is a stand-in that forwards every call.
    static std::shared_ptr<PluginLibrary> load_isolated(const std::filesystem::path &file,
                                                        const HelperSettings &helper);

    ~PluginLibrary();
    PluginLibrary(const PluginLibrary &) = delete;
    PluginLibrary &operator=(const PluginLibrary &) = delete;

    const sb_plugin &table() const noexcept { return *table_; }
    const sb_provider_descriptor &descriptor() const noexcept { return *table_->descriptor; }
    const std::filesystem::path &file() const noexcept { return file_; }
    const FileIdentity &identity() const noexcept { return identity_; }
    std::chrono::system_clock::time_point load_time() const noexcept { return load_time_; }
    // "1.0": the major/minor the plugin reported.
    std::string abi_version() const;
    Isolation isolation() const noexcept;
    // Restarts of the helper process; 0 in process.
    std::uint64_t helper_restarts() const;

private:
    struct Handle;
    PluginLibrary() = default;
    // Negotiated and validated: the plugin's table becomes this library's.
    void adopt(const sb_plugin *table, const std::filesystem::path &file, const FileIdentity &identity);

    std::unique_ptr<Handle> handle_;
    const sb_plugin *table_ = nullptr;
    std::filesystem::path file_;
    FileIdentity identity_;
    std::chrono::system_clock::time_point load_time_;
};

}  // namespace sb::core
