#pragma once
// What one client request did, filled as it runs: the access log, the
// overhead header and the metrics read it.
#include <chrono>
#include <cstdint>
#include <string>

namespace sb::core {

struct RequestContext {
    using Clock = std::chrono::steady_clock;

    Clock::time_point started = Clock::now();
    std::chrono::nanoseconds upstream_wait{0};  // time spent waiting on vendors
    std::string provider;                      // the provider that answered (or failed last)
    std::string model;
    std::int64_t prompt_tokens = -1;
    std::int64_t completion_tokens = -1;
    int attempts = 0;                           // upstream requests sent
    int fallbacks = 0;                          // providers tried after the first
    bool streamed = false;

    // Gateway time so far: elapsed time not spent waiting on a vendor.
    std::chrono::microseconds overhead() const {
        auto total = Clock::now() - started;
        auto own = total > upstream_wait ? total - upstream_wait : Clock::duration::zero();
        return std::chrono::duration_cast<std::chrono::microseconds>(own);
    }
};

// Reads usage token counts out of a chat.completion or chunk JSON text
// without parsing it whole; leaves the fields alone when absent.
void read_usage(std::string_view json, RequestContext &context);

}  // namespace sb::core
