#pragma once
// Money as the daemon counts it: integer nano-USD (1e-9 USD), so that many
// tiny costs add up exactly and a shared store can add them atomically.
#include <cstdint>
#include <string>

namespace sb::core {

// USD as text for logs, metrics and answers: "0.000123" (at most 9
// decimals, trailing zeros cut).
std::string format_usd(std::int64_t nusd);
// USD to nano-USD, rounded; throws std::runtime_error when negative, not a
// number or above 1e9 USD.
std::int64_t usd_to_nusd(double usd);

}  // namespace sb::core
