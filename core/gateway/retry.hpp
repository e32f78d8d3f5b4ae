#pragma once
// When the gateway sends a vendor request again, and when a failure goes to
// the next provider of a fallback chain: plain decisions, testable without
// a clock, a timer or a vendor.
#include "core/errors.hpp"
#include "core/upstream/http_message.hpp"

#include <chrono>
#include <optional>

namespace sb::core {

struct RetryPolicy {
    int max_retries = 2;                                  // after the first attempt
    std::chrono::milliseconds base_backoff{200};          // doubled per retry, full jitter
    std::chrono::milliseconds max_backoff{5'000};
    std::chrono::milliseconds budget{10'000};             // total time spent waiting to retry
};

// A vendor's Retry-After in seconds (HTTP dates are rare from APIs and are
// ignored); nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> retry_after(const HeaderList &headers);

// The retries of one request, asked after each failed attempt how long to
// wait before the next: 429 and 5xx answers and failures to connect are
// retried with exponential backoff and jitter, or after the vendor's
// Retry-After, within max_retries and the budget of time spent waiting.
class RetrySchedule {
public:
    // Picks a delay in [low, high] milliseconds; uniform random by default.
    using Jitter = long (*)(long low, long high);
    explicit RetrySchedule(RetryPolicy policy, Jitter jitter = nullptr) noexcept;

    // After an answer with this status (and Retry-After, if it gave one):
    // the wait before the next attempt, or nullopt to keep the answer.
    std::optional<std::chrono::milliseconds> after_answer(int status, std::optional<std::chrono::milliseconds> asked);
    // After a failure to connect: the wait, or nullopt to give up.
    std::optional<std::chrono::milliseconds> after_connect_failure();
    int retries() const noexcept { return retry_; }

private:
    std::optional<std::chrono::milliseconds> next(std::optional<std::chrono::milliseconds> asked);

    RetryPolicy policy_;
    Jitter jitter_;
    int retry_ = 0;
    std::chrono::milliseconds waited_{0};
};

// Whether a failure is worth trying the fallback chain's next provider: the
// client's own mistakes are final.
bool worth_falling_back(const GatewayError &e) noexcept;

}  // namespace sb::core
