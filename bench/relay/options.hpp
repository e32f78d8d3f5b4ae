#pragma once

#include <cstdint>
#include <string>

namespace sb::relay {

// Command-line settings of sb-relay; defaults match --help.
struct Options {
    std::string listen_host = "127.0.0.1";
    uint16_t listen_port = 0;
    std::string upstream_host;
    uint16_t upstream_port = 0;
    std::string port_file;
};

// Parses argv. Prints usage and exits 0 on --help; prints the problem and
// exits 2 on a bad or missing flag.
Options parse_options(int argc, char **argv);

}  // namespace sb::relay
