#include "core/store/redis_config_backend.hpp"

#include "core/log.hpp"
#include "core/store/redis_schema.hpp"

namespace sb::core {
namespace {

std::string key_field(const std::string &provider) {
    return "config/providers/" + provider + "/api_key";
}

}  // namespace

RedisConfigBackend::RedisConfigBackend(RedisClient &client, const SecretBox &box)
    : client_(client), box_(box) {}

std::string RedisConfigBackend::seal(const StoredConfig &config) const {
    StoredConfig sealed = config;
    for (auto &[id, settings] : sealed.providers)
        if (!settings.api_key.empty())
            settings.api_key = box_.seal(settings.api_key, key_field(id));
    return serialize_stored_config(sealed);
}

std::optional<StoredConfig> RedisConfigBackend::load() {
    RedisReply reply = client_.command({"GET", std::string(redis_schema::config)});
    if (reply.is_nil()) return std::nullopt;
    StoredConfig config = parse_stored_config(reply.text);
    for (auto &[id, settings] : config.providers)
        if (!settings.api_key.empty())
            settings.api_key = box_.open(settings.api_key, key_field(id));
    std::lock_guard lock(mutex_);
    last_document_ = std::move(reply.text);
    return config;
}

void RedisConfigBackend::save(const StoredConfig &config) {
    std::string document = seal(config);
    client_.command({"SET", std::string(redis_schema::config), document});
    {
        std::lock_guard lock(mutex_);
        last_document_ = document;
    }
    client_.command({"PUBLISH", std::string(redis_schema::changed_channel),
                     std::string(redis_schema::topic_config)});
}

void RedisConfigBackend::restore() {
    std::optional<std::string> document;
    {
        std::lock_guard lock(mutex_);
        document = last_document_;
    }
    if (!document) return;
    RedisReply set = client_.command({"SET", std::string(redis_schema::config), *document, "NX"});
    if (!set.is_nil())
        log_event(LogLevel::warn, "store_config_restored", {{"store", client_.endpoint().url()}});
}

}  // namespace sb::core
