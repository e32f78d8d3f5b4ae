#include "options.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace sb::relay {

namespace {

constexpr const char *kUsage = R"(Usage: sb-relay --listen HOST:PORT --upstream HOST:PORT [options]

A zero-work TCP relay for benchmarks: every accepted connection gets its own
connection to the upstream and bytes are copied both ways unparsed. Measuring
through it shows what any proxy hop costs on the machine (wake-ups, loopback
round trips), the floor under the daemon's added latency.

Options:
  --listen HOST:PORT    IPv4 address to accept on (port 0 picks a free port)
  --upstream HOST:PORT  IPv4 address every connection is relayed to
  --port-file PATH      write the bound port there once listening
  --help                show this help and exit

Prints "listening HOST:PORT" on stdout once ready; exits 0 on SIGTERM/SIGINT.
)";

[[noreturn]] void fail(const std::string &message) {
    std::fprintf(stderr, "sb-relay: %s (see --help)\n", message.c_str());
    std::exit(2);
}

// "HOST:PORT" with a decimal port; an empty host means all addresses.
void parse_address(std::string_view flag, const std::string &value, std::string &host, uint16_t &port) {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos) fail(std::string(flag) + " expects HOST:PORT, got '" + value + "'");
    const std::string digits = value.substr(colon + 1);
    char *end = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(digits.c_str(), &end, 10);
    if (digits.empty() || *end != '\0' || errno != 0 || digits[0] == '-' || n > 65535)
        fail(std::string(flag) + " has a bad port: '" + value + "'");
    host = value.substr(0, colon);
    if (host.empty()) host = "0.0.0.0";
    port = static_cast<uint16_t>(n);
}

}  // namespace

Options parse_options(int argc, char **argv) {
    Options options;
    bool have_listen = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i];
        std::string value;
        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        // Accept both "--flag value" and "--flag=value".
        if (auto eq = flag.find('='); eq != std::string_view::npos && flag.substr(0, 2) == "--") {
            value = std::string(flag.substr(eq + 1));
            flag = flag.substr(0, eq);
        } else {
            if (flag != "--listen" && flag != "--upstream" && flag != "--port-file")
                fail("unknown option " + std::string(flag));
            if (i + 1 >= argc) fail(std::string(flag) + " needs a value");
            value = argv[++i];
        }
        if (flag == "--listen") {
            parse_address(flag, value, options.listen_host, options.listen_port);
            have_listen = true;
        } else if (flag == "--upstream") {
            parse_address(flag, value, options.upstream_host, options.upstream_port);
            if (options.upstream_port == 0) fail("--upstream needs a port other than 0");
        } else if (flag == "--port-file") {
            if (value.empty()) fail("--port-file needs a path");
            options.port_file = value;
        } else {
            fail("unknown option " + std::string(flag));
        }
    }
    if (!have_listen) fail("--listen is required");
    if (options.upstream_host.empty()) fail("--upstream is required");
    return options;
}

}  // namespace sb::relay
