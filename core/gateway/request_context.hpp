#pragma once
// What one client request did, filled as it runs: the access log, the
// overhead header and the metrics read it. A held stream keeps one, so it
// stays small: no field allocates but provider and model.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::core {

struct TokenUsage;

struct RequestContext {
    using Clock = std::chrono::steady_clock;

    Clock::time_point started = Clock::now();
    std::chrono::nanoseconds upstream_wait{0};  // time spent waiting on vendors
    std::chrono::nanoseconds retry_wait{0};     // time slept before retries (backoff)
    std::string provider;                      // the provider that answered (or failed last)
    std::string model;
    std::int64_t prompt_tokens = -1;
    std::int64_t completion_tokens = -1;
    std::int64_t cached_tokens = -1;     // of prompt_tokens, served from the vendor's cache
    std::int64_t reasoning_tokens = -1;  // of completion_tokens, spent on reasoning
    int attempts = 0;                           // upstream requests sent
    int fallbacks = 0;                          // providers tried after the first
    bool streamed = false;
    // The client's dialect ("openai.chat", "anthropic.messages",
    // "openai.responses"; static), and whether the request went to the
    // vendor as the client wrote it instead of translated.
    std::string_view dialect;
    bool native = false;
    // The model is one the daemon knows for the provider (configured, in the
    // plugin's or the vendor's list, or in the fallback chain), not a name
    // only the client gave: only such a name becomes a metric label.
    bool model_known = true;
    // A failure the response reports in its body (a stream's error event,
    // /test's verdict); a static string, empty when none.
    std::string_view error_type;
    bool error_after_head = false;  // that failure came after the head was sent
    std::string client_key_id;  // which client key authorized the call (never the key)
    std::string virtual_key_id;  // the virtual key that did (see core/keys), empty for none

    // The gateway's own time: elapsed time not spent waiting on a vendor nor
    // sleeping before a retry, until the response head was ready (see
    // head_ready()), or so far when it is not yet.
    std::chrono::microseconds overhead() const {
        if (head_overhead_.count() >= 0) return head_overhead_;
        auto total = Clock::now() - started;
        auto waited = upstream_wait + retry_wait;
        auto own = total > waited ? total - waited : Clock::duration::zero();
        return std::chrono::duration_cast<std::chrono::microseconds>(own);
    }
    // The head is ready: what follows (a streamed body) is the vendor's and
    // the client's time, so overhead() stops here.
    void head_ready() {
        if (head_overhead_.count() < 0) head_overhead_ = overhead();
    }

private:
    std::chrono::microseconds head_overhead_{-1};
};

// Takes the token counts usage knows; leaves the others alone.
void count_usage(const TokenUsage &usage, RequestContext &context);

}  // namespace sb::core
