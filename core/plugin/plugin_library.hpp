#pragma once
// One loaded plugin shared library and its negotiated ABI table. Shared
// ownership keeps the library mapped while any provider or stream of it is
// in use; the last owner calls the plugin's shutdown and unloads it.
#include <switchboard/provider_abi.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace sb::core {

// Why a file was refused; the message is shown to operators as is.
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class PluginLibrary {
public:
    static constexpr uint32_t kHostAbiMajorMin = 1;
    static constexpr uint32_t kHostAbiMajorMax = 1;

    // Loads file, negotiates the ABI, validates the tables and calls init.
    // Throws PluginLoadError with the reason.
    static std::shared_ptr<PluginLibrary> load(const std::filesystem::path &file);

    ~PluginLibrary();
    PluginLibrary(const PluginLibrary &) = delete;
    PluginLibrary &operator=(const PluginLibrary &) = delete;

    const sb_plugin &table() const noexcept { return *table_; }
    const sb_provider_descriptor &descriptor() const noexcept { return *table_->descriptor; }
    const std::filesystem::path &file() const noexcept { return file_; }
    std::chrono::system_clock::time_point load_time() const noexcept { return load_time_; }
    // "1.0": the major/minor the plugin reported.
    std::string abi_version() const;

private:
    struct Handle;
    PluginLibrary() = default;

    std::unique_ptr<Handle> handle_;
    const sb_plugin *table_ = nullptr;
    std::filesystem::path file_;
    std::chrono::system_clock::time_point load_time_;
};

}  // namespace sb::core
