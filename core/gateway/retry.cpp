#include "core/gateway/retry.hpp"

#include <algorithm>
#include <charconv>
#include <random>
#include <strings.h>

namespace sb::core {

namespace {

long uniform_jitter(long low, long high) {
    thread_local std::mt19937 rng(std::random_device{}());
    return std::uniform_int_distribution<long>(low, high)(rng);
}

}  // namespace

std::optional<std::chrono::milliseconds> retry_after(const HeaderList &headers) {
    for (const auto &[name, value] : headers) {
        if (name.size() != 11 || strncasecmp(name.c_str(), "retry-after", 11) != 0) continue;
        double seconds = -1;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec == std::errc() && seconds >= 0) return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    }
    return std::nullopt;
}

RetrySchedule::RetrySchedule(RetryPolicy policy, Jitter jitter) noexcept
    : policy_(policy), jitter_(jitter ? jitter : uniform_jitter) {}

std::optional<std::chrono::milliseconds> RetrySchedule::after_answer(int status,
                                                                      std::optional<std::chrono::milliseconds> asked) {
    if (status != 429 && status < 500) return std::nullopt;
    return next(asked);
}

std::optional<std::chrono::milliseconds> RetrySchedule::after_connect_failure() { return next(std::nullopt); }

std::optional<std::chrono::milliseconds> RetrySchedule::next(std::optional<std::chrono::milliseconds> asked) {
    ++retry_;
    if (retry_ > policy_.max_retries) return std::nullopt;
    std::chrono::milliseconds delay;
    if (asked) {
        delay = *asked;
    } else {
        const auto ceiling = std::min(policy_.max_backoff, policy_.base_backoff * (1 << std::min(retry_ - 1, 16)));
        delay = std::chrono::milliseconds(jitter_(ceiling.count() / 2, ceiling.count()));
    }
    if (waited_ + delay > policy_.budget) return std::nullopt;  // a vendor asking for longer gets its error through
    waited_ += delay;
    return delay;
}

bool worth_falling_back(const GatewayError &e) noexcept {
    switch (e.code()) {
        case ErrorCode::invalid_json:
        case ErrorCode::invalid_request:
        case ErrorCode::unknown_provider:
        case ErrorCode::context_length_exceeded:
        case ErrorCode::content_filter: return false;
        default: return true;
    }
}

}  // namespace sb::core
