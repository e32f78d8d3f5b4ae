#pragma once
// The runtime config kept in Redis (redis_schema::config) for every daemon
// that shares it, vendor keys sealed with the operator's secret key. A save
// publishes "config" so that the other daemons re-read it at once.
#include <mutex>
#include <optional>
#include <string>

#include "core/config/config_store.hpp"
#include "core/store/redis_client.hpp"
#include "core/store/secret_box.hpp"

namespace sb::core {

class RedisConfigBackend final : public ConfigBackend {
public:
    // Both must outlive the backend.
    RedisConfigBackend(RedisClient &client, const SecretBox &box);

    std::optional<StoredConfig> load() override;
    void save(const StoredConfig &config) override;
    std::string_view kind() const noexcept override { return "redis"; }
    bool reachable() const noexcept override { return client_.available(); }
    bool shared() const noexcept override { return true; }

    // After Redis lost its data: writes back the config last read or saved
    // here, unless another daemon already did.
    void restore();

private:
    std::string seal(const StoredConfig &config) const;

    RedisClient &client_;
    const SecretBox &box_;
    std::mutex mutex_;
    std::optional<std::string> last_document_;  // sealed, as stored
};

}  // namespace sb::core
