#include "core/gateway/deployment_cooldowns.hpp"

#include <algorithm>

namespace sb::core {

std::string DeploymentCooldowns::key(const ModelAlias &alias, const Deployment &deployment) {
    return alias.name + '\n' + deployment.label + '\n' + deployment.provider + '\n' +
           deployment.model + '\n' + deployment.api_base;
}

std::chrono::milliseconds DeploymentCooldowns::cool_down(
    const std::string &key, Clock::time_point now,
    std::optional<std::chrono::milliseconds> retry_after, std::chrono::milliseconds fallback) {
    const std::chrono::milliseconds rest =
        retry_after ? std::min<std::chrono::milliseconds>(*retry_after, kMaxCooldown) : fallback;
    std::lock_guard lock(mutex_);
    std::erase_if(until_, [now](const auto &entry) { return entry.second <= now; });
    auto &until = until_[key];
    until = std::max(until, now + rest);
    return rest;
}

bool DeploymentCooldowns::resting(std::string_view key, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = until_.find(key);
    return it != until_.end() && it->second > now;
}

}  // namespace sb::core
