#pragma once

#include <cstdint>
#include <string>

namespace sb::mock {

// Command-line settings of sb-mock-upstream; defaults match --help.
struct Options {
    std::string listen_host = "127.0.0.1";
    uint16_t listen_port = 0;
    unsigned threads = 1;
    uint64_t latency_us = 0;
    uint64_t jitter_us = 0;
    unsigned chunks = 8;
    uint64_t chunk_interval_us = 0;
    unsigned chunk_bytes = 8;
    double fail_rate = 0.0;
    double rate_429 = 0.0;
    std::string port_file;
    bool print_stats = false;
};

// Parses argv. Prints usage and exits 0 on --help; prints the problem and
// exits 2 on a bad flag.
Options parse_options(int argc, char **argv);

}  // namespace sb::mock
