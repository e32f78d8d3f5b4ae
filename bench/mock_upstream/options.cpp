#include "options.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace sb::mock {

namespace {

constexpr const char *kUsage = R"(Usage: sb-mock-upstream [options]

A benchmark mock of LLM vendor HTTP APIs (OpenAI-compatible, Anthropic,
Gemini, Cohere v2) answering canned text from pre-rendered bytes.

Routes (any path prefix; matched on the suffix):
  POST .../chat/completions                OpenAI chat (stream via "stream":true)
  POST .../messages                        Anthropic messages
  POST .../models/M:generateContent        Gemini
  POST .../models/M:streamGenerateContent  Gemini SSE stream
  POST .../chat                            Cohere v2 chat
  GET  .../models                          model list (OpenAI, Anthropic, Gemini, Cohere fields)
  GET  /healthz                            200 "ok"

Options:
  --listen HOST:PORT        address (default 127.0.0.1:0; port 0 picks a free port)
  --threads N               worker threads, one epoll loop each (default 1)
  --latency-us N            delay before each chat response head (default 0)
  --jitter-us N             extra uniform delay 0..N on top of the latency (default 0)
  --chunks N                content chunks per stream (default 8)
  --chunk-interval-us N     spacing between stream content chunks (default 0)
  --chunk-bytes N           text bytes per content chunk (default 8)
  --fail-rate F             fraction 0..1 of chats answered 500 (default 0)
  --rate-429 F              fraction 0..1 of chats answered 429, Retry-After: 0 (default 0)
  --port-file PATH          write the bound port there once listening
  --stats                   print the number of requests served on exit
  --help                    show this help and exit

Prints "listening HOST:PORT" on stdout once ready; exits on SIGTERM/SIGINT.
)";

bool takes_value(std::string_view flag) {
    for (std::string_view known : {"--listen", "--threads", "--latency-us", "--jitter-us", "--chunks",
                                   "--chunk-interval-us", "--chunk-bytes", "--fail-rate", "--rate-429", "--port-file"})
        if (flag == known) return true;
    return false;
}

[[noreturn]] void fail(const std::string &message) {
    std::fprintf(stderr, "sb-mock-upstream: %s (see --help)\n", message.c_str());
    std::exit(2);
}

uint64_t parse_unsigned(std::string_view flag, const std::string &value) {
    char *end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0 || value[0] == '-')
        fail(std::string(flag) + " expects a non-negative integer, got '" + value + "'");
    return n;
}

double parse_fraction(std::string_view flag, const std::string &value) {
    char *end = nullptr;
    double f = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(f >= 0.0 && f <= 1.0))
        fail(std::string(flag) + " expects a number in 0..1, got '" + value + "'");
    return f;
}

void parse_listen(const std::string &value, Options &options) {
    auto colon = value.rfind(':');
    if (colon == std::string::npos) fail("--listen expects HOST:PORT, got '" + value + "'");
    uint64_t port = parse_unsigned("--listen", value.substr(colon + 1));
    if (port > 65535) fail("--listen port out of range: " + value);
    options.listen_host = value.substr(0, colon);
    if (options.listen_host.empty()) options.listen_host = "0.0.0.0";
    options.listen_port = static_cast<uint16_t>(port);
}

}  // namespace

Options parse_options(int argc, char **argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i];
        std::string value;
        // Accept both "--flag value" and "--flag=value".
        if (auto eq = flag.find('='); eq != std::string_view::npos && flag.substr(0, 2) == "--") {
            value = std::string(flag.substr(eq + 1));
            flag = flag.substr(0, eq);
        } else if (flag != "--help" && flag != "-h" && flag != "--stats") {
            if (flag.substr(0, 2) != "--" || !takes_value(flag)) fail("unknown option " + std::string(flag));
            if (i + 1 >= argc) fail(std::string(flag) + " needs a value");
            value = argv[++i];
        }
        if (flag == "--help" || flag == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (flag == "--stats") {
            options.print_stats = true;
        } else if (flag == "--listen") {
            parse_listen(value, options);
        } else if (flag == "--threads") {
            options.threads = static_cast<unsigned>(parse_unsigned(flag, value));
            if (options.threads == 0 || options.threads > 1024) fail("--threads must be 1..1024");
        } else if (flag == "--latency-us") {
            options.latency_us = parse_unsigned(flag, value);
        } else if (flag == "--jitter-us") {
            options.jitter_us = parse_unsigned(flag, value);
        } else if (flag == "--chunks") {
            options.chunks = static_cast<unsigned>(parse_unsigned(flag, value));
            if (options.chunks > 1000000) fail("--chunks must be at most 1000000");
        } else if (flag == "--chunk-interval-us") {
            options.chunk_interval_us = parse_unsigned(flag, value);
        } else if (flag == "--chunk-bytes") {
            options.chunk_bytes = static_cast<unsigned>(parse_unsigned(flag, value));
            if (options.chunk_bytes > 1000000) fail("--chunk-bytes must be at most 1000000");
        } else if (flag == "--fail-rate") {
            options.fail_rate = parse_fraction(flag, value);
        } else if (flag == "--rate-429") {
            options.rate_429 = parse_fraction(flag, value);
        } else if (flag == "--port-file") {
            options.port_file = value;
        } else {
            fail("unknown option " + std::string(flag));
        }
    }
    if (options.fail_rate + options.rate_429 > 1.0) fail("--fail-rate plus --rate-429 must not exceed 1");
    return options;
}

}  // namespace sb::mock
