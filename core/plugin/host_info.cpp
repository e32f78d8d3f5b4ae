#include "core/plugin/host_info.hpp"

#include <string>

namespace sb::core {
namespace {

constexpr const char *kHostVersion = SWITCHBOARD_VERSION;

const void *no_host_extension(const char *) { return nullptr; }

const sb_host_info kHostInfo = {
    sizeof(sb_host_info), SB_ABI_VERSION_MINOR, {"switchboard", 11},
    {kHostVersion, std::char_traits<char>::length(kHostVersion)}, &no_host_extension};

}  // namespace

const sb_host_info &plugin_host_info() noexcept { return kHostInfo; }

}  // namespace sb::core
