#include "core/gateway/deployment_choice.hpp"

#include <numeric>

namespace sb::core {

std::vector<std::size_t> weighted_order(const std::vector<unsigned> &weights,
                                        std::mt19937_64 &rng) {
    std::vector<std::size_t> left(weights.size());
    std::iota(left.begin(), left.end(), std::size_t{0});
    std::vector<std::size_t> order;
    order.reserve(weights.size());
    while (!left.empty()) {
        std::uint64_t total = 0;
        for (auto i : left) total += weights[i];
        std::uint64_t draw = std::uniform_int_distribution<std::uint64_t>(0, total - 1)(rng);
        std::size_t pick = 0;
        while (draw >= weights[left[pick]]) draw -= weights[left[pick++]];
        order.push_back(left[pick]);
        left.erase(left.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    return order;
}

std::vector<std::size_t> deployment_order(const ModelAlias &alias,
                                          const DeploymentCooldowns &cooldowns,
                                          DeploymentCooldowns::Clock::time_point now,
                                          std::mt19937_64 &rng) {
    std::vector<unsigned> weights;
    for (const auto &d : alias.deployments) weights.push_back(d.weight);
    std::vector<std::size_t> order = weighted_order(weights, rng);
    std::vector<std::size_t> serving;
    for (auto i : order)
        if (!cooldowns.resting(DeploymentCooldowns::key(alias, alias.deployments[i]), now))
            serving.push_back(i);
    return serving.empty() ? order : serving;
}

}  // namespace sb::core
