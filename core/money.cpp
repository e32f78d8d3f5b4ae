#include "core/money.hpp"

#include <cmath>
#include <stdexcept>

namespace sb::core {

std::string format_usd(std::int64_t nusd) {
    const bool negative = nusd < 0;
    const std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(nusd) : static_cast<std::uint64_t>(nusd);
    std::string fraction = std::to_string(magnitude % 1'000'000'000);
    fraction.insert(0, 9 - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    std::string out = (negative ? "-" : "") + std::to_string(magnitude / 1'000'000'000);
    if (!fraction.empty()) out += "." + fraction;
    return out;
}

std::int64_t usd_to_nusd(double usd) {
    if (!std::isfinite(usd) || usd < 0 || usd > 1e9)
        throw std::runtime_error("an amount in USD must be between 0 and 1000000000");
    return static_cast<std::int64_t>(std::llround(usd * 1e9));
}

}  // namespace sb::core
