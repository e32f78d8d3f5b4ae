// sb-loadgen: HTTP/1.1 closed-loop load generator with SSE streaming metrics.
// Each worker thread runs one edge-triggered epoll loop over many non-blocking
// keep-alive connections, so a single thread can drive 10,000 streams without
// competing for CPU with the server under test. See --help.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "options.hpp"
#include "worker.hpp"

namespace {

using sb::loadgen::Histogram;
using sb::loadgen::Options;
using sb::loadgen::Stats;

void handle_stop_signal(int) { sb::loadgen::g_stop_requested.store(true); }

// 10,000 streams need 10,000 descriptors; the default soft limit is often 1024.
void raise_file_limit(unsigned connections) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < connections + 32u)
        std::fprintf(stderr, "sb-loadgen: warning: open-file limit %llu is too low for %u connections\n",
                     static_cast<unsigned long long>(limit.rlim_cur), connections);
}

std::string json_escape(const std::string &text) {
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
            out += escaped;
        } else {
            out += c;
        }
    }
    return out;
}

std::string histogram_json(const Histogram &h) {
    char text[512];
    std::snprintf(text, sizeof(text),
                  "{\"count\":%llu,\"min\":%llu,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,\"p999\":%llu,"
                  "\"max\":%llu,\"mean\":%.1f}",
                  static_cast<unsigned long long>(h.count()), static_cast<unsigned long long>(h.min()),
                  static_cast<unsigned long long>(h.percentile(0.50)),
                  static_cast<unsigned long long>(h.percentile(0.90)),
                  static_cast<unsigned long long>(h.percentile(0.99)),
                  static_cast<unsigned long long>(h.percentile(0.999)), static_cast<unsigned long long>(h.max()),
                  h.mean());
    return text;
}

void print_histogram_summary(const char *label, const Histogram &h) {
    std::fprintf(stderr, "  %-10s n=%llu  p50=%.2fms p90=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms mean=%.2fms\n",
                 label, static_cast<unsigned long long>(h.count()), h.percentile(0.50) / 1e3,
                 h.percentile(0.90) / 1e3, h.percentile(0.99) / 1e3, h.percentile(0.999) / 1e3, h.max() / 1e3,
                 h.mean() / 1e3);
}

}  // namespace

int main(int argc, char **argv) {
    const Options options = sb::loadgen::parse_options(argc, argv);
    raise_file_limit(options.connections);
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGINT, handle_stop_signal);
    std::signal(SIGTERM, handle_stop_signal);

    const std::string request = sb::loadgen::build_request(options);
    sb::loadgen::SharedRun shared;
    shared.start_us = sb::loadgen::monotonic_now_us();
    shared.warmup_end_us = shared.start_us + static_cast<uint64_t>(options.warmup_s * 1e6);
    shared.deadline_us = shared.start_us + static_cast<uint64_t>(options.duration_s * 1e6);

    std::vector<std::unique_ptr<sb::loadgen::Worker>> workers;
    for (unsigned i = 0; i < options.threads; ++i) {
        const unsigned share = options.connections / options.threads + (i < options.connections % options.threads);
        workers.push_back(std::make_unique<sb::loadgen::Worker>(options, request, shared, share));
    }
    std::vector<std::thread> threads;
    for (auto &worker : workers) threads.emplace_back([&worker] { worker->run(); });
    for (std::thread &thread : threads) thread.join();
    const uint64_t joined_us = sb::loadgen::monotonic_now_us();

    Stats total;
    for (const auto &worker : workers) total.merge(worker->stats());

    const uint64_t limit_stop_us = shared.stop_time_us.load();
    const char *stopped_by = "duration";
    uint64_t end_us = std::min(joined_us, shared.deadline_us);
    if (limit_stop_us != 0) {
        stopped_by = "requests";
        end_us = limit_stop_us;
    } else if (sb::loadgen::g_stop_requested.load()) {
        stopped_by = "signal";
    } else if (options.hold > 0 && joined_us < shared.deadline_us) {
        stopped_by = "all_finished";
    }
    const uint64_t window_start_us = options.hold > 0 ? shared.start_us : shared.warmup_end_us;
    const double measured_s = end_us > window_start_us ? static_cast<double>(end_us - window_start_us) / 1e6 : 0.0;
    const double rps = measured_s > 0 ? static_cast<double>(total.responses) / measured_s : 0.0;
    const char *mode = options.hold > 0 ? "hold" : options.stream ? "stream" : "load";

    // Human summary on stderr.
    std::fprintf(stderr, "sb-loadgen %s %s %s: %u connections, %u threads, %.2fs measured (stopped by %s)\n", mode,
                 options.method.c_str(), options.url.c_str(), options.connections, options.threads, measured_s,
                 stopped_by);
    std::fprintf(stderr, "  responses=%llu ok=%llu errors=%llu (connect=%llu io=%llu parse=%llu) rps=%.1f\n",
                 static_cast<unsigned long long>(total.responses), static_cast<unsigned long long>(total.ok),
                 static_cast<unsigned long long>(total.errors()),
                 static_cast<unsigned long long>(total.connect_errors),
                 static_cast<unsigned long long>(total.io_errors), static_cast<unsigned long long>(total.parse_errors),
                 rps);
    for (const auto &[status, count] : total.error_statuses)
        std::fprintf(stderr, "  status %d: %llu\n", status, static_cast<unsigned long long>(count));
    print_histogram_summary("latency", total.latency_us);
    if (options.stream) {
        print_histogram_summary("ttfb", total.ttfb_us);
        print_histogram_summary("event gap", total.event_gap_us);
        std::fprintf(stderr, "  events=%llu\n", static_cast<unsigned long long>(total.events));
    }
    if (options.hold > 0)
        std::fprintf(stderr,
                     "  hold: requested=%u started=%llu completed=%llu errors=%llu peak_open=%lld stalled=%llu "
                     "unfinished=%llu max_gap=%.1fms\n",
                     options.hold, static_cast<unsigned long long>(total.streams_started),
                     static_cast<unsigned long long>(total.streams_completed),
                     static_cast<unsigned long long>(total.errors()),
                     static_cast<long long>(shared.peak_open_streams.load()),
                     static_cast<unsigned long long>(total.streams_stalled),
                     static_cast<unsigned long long>(total.streams_unfinished), total.max_gap_us / 1e3);

    // One JSON object on stdout for drivers.
    std::string json = "{";
    char number[256];
    std::snprintf(number, sizeof(number),
                  "\"mode\":\"%s\",\"connections\":%u,\"threads\":%u,\"duration_s\":%.3f,\"stopped_by\":\"%s\","
                  "\"requests\":%llu,\"ok\":%llu,\"errors\":%llu,",
                  mode, options.connections, options.threads, measured_s, stopped_by,
                  static_cast<unsigned long long>(total.responses), static_cast<unsigned long long>(total.ok),
                  static_cast<unsigned long long>(total.errors()));
    json += "\"url\":\"" + json_escape(options.url) + "\",";
    json += number;
    json += "\"error_statuses\":{";
    bool first = true;
    for (const auto &[status, count] : total.error_statuses) {
        if (!first) json += ',';
        first = false;
        json += "\"" + std::to_string(status) + "\":" + std::to_string(count);
    }
    json += "},";
    std::snprintf(number, sizeof(number), "\"error_kinds\":{\"connect\":%llu,\"io\":%llu,\"parse\":%llu},\"rps\":%.1f,",
                  static_cast<unsigned long long>(total.connect_errors),
                  static_cast<unsigned long long>(total.io_errors),
                  static_cast<unsigned long long>(total.parse_errors), rps);
    json += number;
    json += "\"latency_us\":" + histogram_json(total.latency_us);
    if (options.stream) {
        json += ",\"ttfb_us\":" + histogram_json(total.ttfb_us);
        json += ",\"event_gap_us\":" + histogram_json(total.event_gap_us);
        json += ",\"events\":" + std::to_string(total.events);
    }
    if (options.hold > 0) {
        std::snprintf(number, sizeof(number),
                      ",\"hold\":{\"requested\":%u,\"started\":%llu,\"completed\":%llu,\"errors\":%llu,"
                      "\"peak_open\":%lld,\"stalled\":%llu,\"unfinished\":%llu,\"max_gap_ms\":%.1f,\"stall_ms\":%llu}",
                      options.hold, static_cast<unsigned long long>(total.streams_started),
                      static_cast<unsigned long long>(total.streams_completed),
                      static_cast<unsigned long long>(total.errors()),
                      static_cast<long long>(shared.peak_open_streams.load()),
                      static_cast<unsigned long long>(total.streams_stalled),
                      static_cast<unsigned long long>(total.streams_unfinished), total.max_gap_us / 1e3,
                      static_cast<unsigned long long>(options.stall_ms));
        json += number;
    }
    json += "}\n";
    std::fputs(json.c_str(), stdout);
    std::fflush(stdout);
    return 0;
}
