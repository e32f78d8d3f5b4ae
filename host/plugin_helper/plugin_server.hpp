#pragma once
// The plugin side of process isolation: one loaded plugin served over the
// helper protocol (core/plugin/helper_protocol.hpp). Runs inside the
// confined helper process; every ABI call the daemon forwards is made here
// and its sink callbacks are sent back as reply pieces.
#include "core/plugin/helper_protocol.hpp"

#include <switchboard/provider_abi.h>

#include <cstdint>
#include <map>
#include <string>

namespace sb::host::plugin_helper {

class PluginServer {
public:
    // Negotiates the ABI with the loaded library (dlopen handle), calls the
    // plugin's init and reads its tables. Throws std::runtime_error with the
    // reason the plugin cannot be served.
    explicit PluginServer(void *library);
    ~PluginServer();
    PluginServer(const PluginServer &) = delete;
    PluginServer &operator=(const PluginServer &) = delete;

    const core::helper_protocol::PluginPortrait &portrait() const noexcept { return portrait_; }
    // Answers calls on fd until the daemon closes it.
    void serve(int fd);

private:
    // One call's reply frame.
    std::string answer(std::string_view payload);

    const sb_plugin *table_ = nullptr;
    const sb_native *native_ = nullptr;
    const sb_embeddings *embeddings_ = nullptr;
    core::helper_protocol::PluginPortrait portrait_;
    std::map<std::uint64_t, sb_stream *> streams_;
    std::uint64_t next_stream_ = 1;
};

}  // namespace sb::host::plugin_helper
