#pragma once
// The order an alias's deployments are tried in: a weighted random draw
// without replacement (a deployment of weight 3 is first three times as
// often as one of weight 1), the deployments resting after a failure left
// out while another can serve. Plain decisions, testable with a seeded RNG.
#include <cstddef>
#include <random>
#include <vector>

#include "core/gateway/deployment_cooldowns.hpp"

namespace sb::core {

// Every index of weights once, each draw picking among those left with
// probability proportional to its weight. Weights are positive.
std::vector<std::size_t> weighted_order(const std::vector<unsigned> &weights, std::mt19937_64 &rng);

// The deployments of alias to try, in order: those not resting, in weighted
// order; when all rest, all of them in weighted order (one may be back
// before its time, and trying beats refusing).
std::vector<std::size_t> deployment_order(const ModelAlias &alias,
                                          const DeploymentCooldowns &cooldowns,
                                          DeploymentCooldowns::Clock::time_point now,
                                          std::mt19937_64 &rng);

}  // namespace sb::core
