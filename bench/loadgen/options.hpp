#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sb::loadgen {

// Command-line settings of sb-loadgen; defaults match --help.
struct Options {
    std::string url;
    std::string host;  // as written in the URL, for the Host header
    uint32_t ipv4_address = 0;  // network byte order
    uint16_t port = 80;
    std::string path = "/";
    std::string method;  // resolved: explicit, else POST with a body, else GET
    std::string body;
    bool has_body = false;
    std::vector<std::string> headers;  // "Name: value"
    unsigned connections = 1;
    unsigned threads = 1;
    double duration_s = 10.0;
    bool duration_given = false;
    uint64_t request_limit = 0;  // 0 = no limit
    double warmup_s = 1.0;
    bool stream = false;
    unsigned hold = 0;  // 0 = not hold mode
    double ramp_per_s = 2000.0;
    uint64_t stall_ms = 2000;
};

// Hard cap on run time when only --requests bounds the run.
inline constexpr double kRequestsOnlyMaxDurationS = 600.0;

// Parses argv. Prints usage and exits 0 on --help; prints the problem and
// exits 2 on a bad flag.
Options parse_options(int argc, char **argv);

// The complete request bytes every connection sends (shared, never copied).
std::string build_request(const Options &options);

}  // namespace sb::loadgen
