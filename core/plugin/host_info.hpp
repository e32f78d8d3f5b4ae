#pragma once
// What this host tells a plugin at entry and init (sb_host_info), the same
// in the daemon and in a plugin helper process.
#include <switchboard/provider_abi.h>

namespace sb::core {

const sb_host_info &plugin_host_info() noexcept;

}  // namespace sb::core
