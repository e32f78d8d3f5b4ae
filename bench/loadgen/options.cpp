#include "options.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace sb::loadgen {
namespace {

constexpr const char *kUsage = R"(usage: sb-loadgen --url http://HOST:PORT/path [options]

HTTP/1.1 closed-loop load generator with SSE streaming metrics.
Prints a human summary on stderr and one JSON object on stdout.

Target and request:
  --url URL             http://HOST[:PORT]/path; HOST is an IPv4 literal or localhost
  --method M            default POST with a body, else GET
  --body STRING         request body (sent as application/json)
  --body-file PATH      request body read from a file
  --header "N: v"       extra request header (repeatable)

Load (default mode):
  --connections N       concurrent keep-alive connections (default 1)
  --threads N           worker threads, each one epoll loop (default 1)
  --duration-s S        hard stop after S seconds, warm-up included (default 10;
                        600 when only --requests is given)
  --requests N          stop after N recorded responses
  --warmup-s S          responses completing in the first S seconds are not
                        recorded (default 1; ignored in hold mode)
  --ramp-per-s R        open at most R new connections per second (default 2000)

Streaming:
  --stream              responses are SSE: also record time to first event,
                        gaps between events and the event count
  --hold N              open N connections, each sends one streaming request
                        and reads it to the end (implies --stream)
  --stall-ms M          hold mode: a gap between events (or head and first
                        event) longer than M ms marks the stream stalled
                        (default 2000)

  --help                this text
)";

[[noreturn]] void bad_flag(const std::string &message) {
    std::fprintf(stderr, "sb-loadgen: %s\n(see --help)\n", message.c_str());
    std::exit(2);
}

uint64_t parse_unsigned(std::string_view flag, const std::string &text, uint64_t min, uint64_t max) {
    errno = 0;
    char *end = nullptr;
    const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || text[0] == '-' || errno != 0 || *end != '\0' || value < min || value > max)
        bad_flag(std::string(flag) + " needs an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                 "], got '" + text + "'");
    return value;
}

double parse_seconds(std::string_view flag, const std::string &text, double min) {
    errno = 0;
    char *end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || errno != 0 || *end != '\0' || !std::isfinite(value) || value < min)
        bad_flag(std::string(flag) + " needs a number >= " + std::to_string(min) + ", got '" + text + "'");
    return value;
}

void parse_url(Options &options) {
    std::string_view rest = options.url;
    if (rest.substr(0, 7) != "http://") bad_flag("--url must start with http:// (https is not supported)");
    rest.remove_prefix(7);
    const size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    options.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.empty()) bad_flag("--url has no host");
    options.host = std::string(authority);

    std::string host_name(authority);
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
        host_name = std::string(authority.substr(0, colon));
        options.port = static_cast<uint16_t>(parse_unsigned("--url port", std::string(authority.substr(colon + 1)), 1, 65535));
    }
    if (host_name == "localhost") host_name = "127.0.0.1";
    in_addr address{};
    if (inet_pton(AF_INET, host_name.c_str(), &address) != 1)
        bad_flag("--url host must be an IPv4 literal or localhost, got '" + host_name + "'");
    options.ipv4_address = address.s_addr;
}

}  // namespace

Options parse_options(int argc, char **argv) {
    Options options;
    bool connections_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        std::string value;
        bool has_inline_value = false;
        if (const size_t eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
            has_inline_value = true;
        }
        auto take_value = [&]() -> std::string {
            if (has_inline_value) return value;
            if (i + 1 >= argc) bad_flag(flag + " needs a value");
            return argv[++i];
        };
        auto no_value = [&] {
            if (has_inline_value) bad_flag(flag + " takes no value");
        };

        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (flag == "--url") {
            options.url = take_value();
        } else if (flag == "--method") {
            options.method = take_value();
            if (options.method.empty() || options.method.find_first_of(" \r\n") != std::string::npos)
                bad_flag("--method must be a single token");
        } else if (flag == "--body") {
            options.body = take_value();
            options.has_body = true;
        } else if (flag == "--body-file") {
            const std::string path = take_value();
            std::ifstream in(path, std::ios::binary);
            if (!in) bad_flag("cannot read --body-file '" + path + "'");
            std::ostringstream contents;
            contents << in.rdbuf();
            options.body = contents.str();
            options.has_body = true;
        } else if (flag == "--header") {
            const std::string header = take_value();
            const size_t colon = header.find(':');
            if (colon == std::string::npos || colon == 0 || header.find_first_of("\r\n") != std::string::npos)
                bad_flag("--header must look like 'Name: value', got '" + header + "'");
            options.headers.push_back(header);
        } else if (flag == "--connections") {
            options.connections = static_cast<unsigned>(parse_unsigned(flag, take_value(), 1, 1000000));
            connections_given = true;
        } else if (flag == "--threads") {
            options.threads = static_cast<unsigned>(parse_unsigned(flag, take_value(), 1, 256));
        } else if (flag == "--duration-s") {
            options.duration_s = parse_seconds(flag, take_value(), 0.001);
            options.duration_given = true;
        } else if (flag == "--requests") {
            options.request_limit = parse_unsigned(flag, take_value(), 1, UINT64_MAX / 2);
        } else if (flag == "--warmup-s") {
            options.warmup_s = parse_seconds(flag, take_value(), 0.0);
        } else if (flag == "--stream") {
            no_value();
            options.stream = true;
        } else if (flag == "--hold") {
            options.hold = static_cast<unsigned>(parse_unsigned(flag, take_value(), 1, 1000000));
        } else if (flag == "--ramp-per-s") {
            options.ramp_per_s = parse_seconds(flag, take_value(), 0.001);
        } else if (flag == "--stall-ms") {
            options.stall_ms = parse_unsigned(flag, take_value(), 1, 86400000);
        } else {
            bad_flag("unknown flag '" + flag + "'");
        }
    }

    if (options.url.empty()) bad_flag("--url is required");
    parse_url(options);
    if (options.method.empty()) options.method = options.has_body ? "POST" : "GET";

    if (options.hold > 0) {
        if (connections_given) bad_flag("--hold sets the connection count; do not combine with --connections");
        if (options.request_limit > 0) bad_flag("--requests does not apply to --hold");
        options.stream = true;
        options.connections = options.hold;
        options.warmup_s = 0.0;
    } else {
        if (!options.duration_given && options.request_limit > 0) options.duration_s = kRequestsOnlyMaxDurationS;
        if (options.warmup_s >= options.duration_s)
            bad_flag("--warmup-s must be shorter than --duration-s (the warm-up is part of the run)");
    }
    if (options.threads > options.connections) options.threads = options.connections;
    return options;
}

std::string build_request(const Options &options) {
    auto user_sets = [&](std::string_view name) {
        for (const std::string &header : options.headers) {
            const std::string_view header_name = std::string_view(header).substr(0, header.find(':'));
            if (header_name.size() != name.size()) continue;
            bool same = true;
            for (size_t i = 0; i < name.size() && same; ++i)
                same = std::tolower(static_cast<unsigned char>(header_name[i])) == name[i];
            if (same) return true;
        }
        return false;
    };

    std::string request = options.method + " " + options.path + " HTTP/1.1\r\n";
    if (!user_sets("host")) request += "Host: " + options.host + "\r\n";
    if (!user_sets("user-agent")) request += "User-Agent: sb-loadgen\r\n";
    if (!user_sets("accept")) request += options.stream ? "Accept: text/event-stream\r\n" : "Accept: */*\r\n";
    for (const std::string &header : options.headers) request += header + "\r\n";
    const bool method_expects_body = options.method == "POST" || options.method == "PUT" || options.method == "PATCH";
    if (options.has_body && !user_sets("content-type")) request += "Content-Type: application/json\r\n";
    if ((options.has_body || method_expects_body) && !user_sets("content-length"))
        request += "Content-Length: " + std::to_string(options.body.size()) + "\r\n";
    request += "\r\n";
    request += options.body;
    return request;
}

}  // namespace sb::loadgen
