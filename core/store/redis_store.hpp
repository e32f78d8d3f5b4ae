#pragma once
// Everything a daemon started with `--store redis://HOST:PORT` shares with
// the others through one Redis: the connection, the operator's secret box,
// the watcher thread, and the backends built on them.
//
// Lifetime: create it before the stores that use it and destroy it after
// them (the watcher's handlers refer to them; stop_watching() first).
#include <memory>

#include "core/config/config_store.hpp"
#include "core/store/redis_client.hpp"
#include "core/store/redis_watcher.hpp"
#include "core/store/secret_box.hpp"
#include "core/store/store_settings.hpp"

namespace sb::core {

class RedisConfigBackend;
class RedisKeyStore;
class RedisRateCounters;

class RedisStore {
public:
    // Connects once (bounded by kRedisTimeout). A Redis that is down now is
    // not an error: the daemon starts and the watcher keeps trying.
    RedisStore(RedisEndpoint endpoint, const SecretKey &key);
    ~RedisStore();

    // The config backend; call once. It stays valid while this lives.
    std::unique_ptr<ConfigBackend> config_backend();
    // Re-reads config into `store` on changes and restores it after a data
    // loss. Call once, after config_backend().
    void watch_config(ConfigStore &store);

    // The virtual key store, refreshed on changes, reconciled when Redis
    // returns and restored after a data loss; call once. Destroy it after
    // stop_watching().
    std::unique_ptr<RedisKeyStore> key_store();
    std::unique_ptr<RedisRateCounters> rate_counters();

    RedisClient &client() noexcept { return client_; }
    const SecretBox &box() const noexcept { return box_; }
    RedisWatcher &watcher() noexcept { return watcher_; }

    void start_watching() { watcher_.start(); }
    void stop_watching() { watcher_.stop(); }

private:
    RedisClient client_;
    SecretBox box_;
    RedisWatcher watcher_;
    RedisConfigBackend *config_ = nullptr;  // owned by the ConfigStore
};

}  // namespace sb::core
