#pragma once
// Which deployments rest after answering 429 or 5xx (or failing to
// connect), and until when: the vendor's Retry-After when it gave one
// (at most kMaxCooldown), the alias's cooldown otherwise. A resting
// deployment is taken back once its time has passed; nothing else decides
// it is well again. Shared by every thread; the clock is the caller's.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/routes_file.hpp"

namespace sb::core {

class DeploymentCooldowns {
public:
    using Clock = std::chrono::steady_clock;

    // Names one deployment of one alias across reloads of the file: the same
    // alias, label, provider, model and base are the same deployment.
    static std::string key(const ModelAlias &alias, const Deployment &deployment);

    // Rests key from now for retry_after (at most kMaxCooldown) or, without
    // one, for fallback. Returns how long.
    std::chrono::milliseconds cool_down(const std::string &key, Clock::time_point now,
                                        std::optional<std::chrono::milliseconds> retry_after,
                                        std::chrono::milliseconds fallback);
    bool resting(std::string_view key, Clock::time_point now) const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, Clock::time_point, std::less<>>
        until_;  // expired entries pruned on write
};

}  // namespace sb::core
