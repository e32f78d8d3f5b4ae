// switchboard-plugin-helper: runs one provider plugin for the daemon in a
// process of its own (--plugin-isolation process). Started by the daemon
// with an empty environment and one descriptor, fd 3, a socket; confines
// itself (core/plugin/sandbox.hpp) before the plugin's code runs, reports
// what the plugin is, then answers the daemon's calls until it closes fd 3.
//
//   switchboard-plugin-helper PLUGIN_FILE MEMORY_BYTES CPU_SECONDS
#include "core/plugin/helper_protocol.hpp"
#include "core/plugin/sandbox.hpp"
#include "host/plugin_helper/plugin_server.hpp"

#include <charconv>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace {

namespace hp = sb::core::helper_protocol;

template <class T>
bool parse_number(std::string_view text, T &value) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && ptr == text.data() + text.size();
}

void report_failure(std::string_view why) {
    hp::Writer out;
    out.u8(static_cast<std::uint8_t>(hp::Hello::failed));
    out.str(why);
    try {
        hp::write_all(hp::kChannelFd, out.frame());
    } catch (const hp::ProtocolError &) {
        // The daemon is gone: nobody to tell.
    }
}

}  // namespace

int main(int argc, char **argv) {
    sb::core::sandbox::Limits limits;
    if (argc != 4 || !parse_number(argv[2], limits.memory_bytes) || !parse_number(argv[3], limits.cpu_seconds)) {
        report_failure("usage: switchboard-plugin-helper PLUGIN_FILE MEMORY_BYTES CPU_SECONDS");
        return 2;
    }
    try {
        void *library = sb::core::sandbox::load_confined(argv[1], hp::kChannelFd, limits);
        sb::host::plugin_helper::PluginServer server(library);
        hp::Writer hello;
        hello.u8(static_cast<std::uint8_t>(hp::Hello::loaded));
        hp::write_portrait(hello, server.portrait());
        hp::write_all(hp::kChannelFd, hello.frame());
        server.serve(hp::kChannelFd);
    } catch (const hp::ProtocolError &) {
        return 1;  // the daemon hung up or spoke nonsense: it restarts us if it wants
    } catch (const std::exception &e) {
        report_failure(e.what());
        return 1;
    }
    return 0;
}
