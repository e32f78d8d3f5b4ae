#include "core/store/redis_store.hpp"

#include <csignal>

#include "core/log.hpp"
#include "core/store/redis_config_backend.hpp"
#include "core/store/redis_key_store.hpp"
#include "core/store/redis_schema.hpp"

namespace sb::core {

RedisStore::RedisStore(RedisEndpoint endpoint, const SecretKey &key)
    : client_(std::move(endpoint)), box_(key), watcher_(client_) {
    // hiredis writes with write(2): a command sent on a connection Redis has
    // just closed would raise SIGPIPE and end the daemon. The error is
    // handled where the write returns it (EPIPE marks Redis down).
    std::signal(SIGPIPE, SIG_IGN);
    const bool up = client_.probe();
    log_event(up ? LogLevel::info : LogLevel::warn, "store_opened",
              {{"store", client_.endpoint().url()},
               {"state", up ? "up" : "down"},
               {"timeout_ms", std::to_string(client_.timeout().count())}});
}

RedisStore::~RedisStore() { watcher_.stop(); }

std::unique_ptr<ConfigBackend> RedisStore::config_backend() {
    auto backend = std::make_unique<RedisConfigBackend>(client_, box_);
    config_ = backend.get();
    return backend;
}

void RedisStore::watch_config(ConfigStore &store) {
    watcher_.on_change(std::string(redis_schema::topic_config), [&store] { store.reload(); });
    watcher_.on_reconnect([this](bool data_lost) {
        if (data_lost && config_) config_->restore();
    });
}

std::unique_ptr<RedisKeyStore> RedisStore::key_store() {
    auto store = std::make_unique<RedisKeyStore>(client_);
    RedisKeyStore *keys = store.get();
    watcher_.on_change(std::string(redis_schema::topic_keys), [keys] {
        keys->refresh();
        keys->reconcile();  // a no-op unless spend is still queued
    });
    watcher_.on_reconnect([keys](bool data_lost) {
        if (data_lost) keys->restore();
        keys->reconcile();
    });
    return store;
}

std::unique_ptr<RedisRateCounters> RedisStore::rate_counters() {
    return std::make_unique<RedisRateCounters>(client_);
}

}  // namespace sb::core
