#include "core/store/redis_watcher.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <cerrno>
#include <memory>

#include "core/log.hpp"
#include "core/store/redis_schema.hpp"
#include "core/store/secret_box.hpp"

namespace sb::core {
namespace {

using ContextPtr = std::unique_ptr<redisContext, decltype(&redisFree)>;

// A subscribed connection, or an empty one when Redis does not answer.
ContextPtr subscribe(const RedisClient &client) {
    ContextPtr c(client.connect_new(), &redisFree);
    if (!c) return c;
    void *raw = redisCommand(c.get(), "SUBSCRIBE %b", redis_schema::changed_channel.data(),
                             redis_schema::changed_channel.size());
    if (!raw) return ContextPtr(nullptr, &redisFree);
    freeReplyObject(raw);
    return c;
}

}  // namespace

RedisWatcher::RedisWatcher(RedisClient &client, std::chrono::milliseconds period)
    : client_(client), period_(period) {}

RedisWatcher::~RedisWatcher() { stop(); }

void RedisWatcher::on_change(std::string topic, std::function<void()> handler) {
    std::lock_guard lock(handlers_mutex_);
    topics_[std::move(topic)].push_back(std::move(handler));
}

void RedisWatcher::on_reconnect(std::function<void(bool)> handler) {
    std::lock_guard lock(handlers_mutex_);
    reconnect_handlers_.push_back(std::move(handler));
}

void RedisWatcher::start() {
    if (client_.probe()) check_epoch();
    thread_ = std::thread([this] { run(); });
}

void RedisWatcher::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void RedisWatcher::run_topic(const std::string &topic) {
    std::lock_guard lock(handlers_mutex_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return;
    for (auto &handler : it->second) {
        try {
            handler();
        } catch (const RedisUnavailable &) {
            // Logged once by the client; the next probe brings it back.
        } catch (const std::exception &e) {
            log_event(LogLevel::error, "store_refresh_failed",
                      {{"topic", topic}, {"reason", e.what()}});
        }
    }
}

void RedisWatcher::run_all_topics() {
    std::vector<std::string> names;
    {
        std::lock_guard lock(handlers_mutex_);
        for (const auto &entry : topics_) names.push_back(entry.first);
    }
    for (const auto &name : names) run_topic(name);
}

// True when the data set is not the one this daemon saw before (Redis lost
// it). The first daemon to find it empty names the new epoch.
bool RedisWatcher::check_epoch() {
    const std::string key(redis_schema::epoch);
    RedisReply current = client_.command({"GET", key});
    if (current.is_nil()) {
        client_.command({"SET", key, random_hex(8), "NX"});
        current = client_.command({"GET", key});
    }
    const bool lost = !epoch_.empty() && current.text != epoch_;
    if (lost)
        log_event(LogLevel::warn, "store_data_lost",
                  {{"store", client_.endpoint().url()},
                   {"note", "writing back this daemon's config, keys and spend"}});
    epoch_ = current.text;
    return lost;
}

void RedisWatcher::reconnected() {
    bool lost = false;
    try {
        lost = check_epoch();
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "store_reconnect_failed", {{"reason", e.what()}});
        return;
    }
    {
        std::lock_guard lock(handlers_mutex_);
        for (auto &handler : reconnect_handlers_) {
            try {
                handler(lost);
            } catch (const std::exception &e) {
                // What is left (queued spend) is retried at the next sweep.
                log_event(LogLevel::error, "store_reconnect_failed", {{"reason", e.what()}});
            }
        }
    }
    run_all_topics();
}

void RedisWatcher::run() {
    ContextPtr sub(nullptr, &redisFree);
    auto next_sweep = std::chrono::steady_clock::now();
    const int wait_ms = 100;
    while (!stopping_) {
        if (!client_.available()) {
            if (client_.probe()) reconnected();
        }
        if (!sub && client_.available()) sub = subscribe(client_);
        if (sub) {
            pollfd p{sub->fd, POLLIN, 0};
            int ready = ::poll(&p, 1, wait_ms);
            if (ready > 0) {
                if (redisBufferRead(sub.get()) != REDIS_OK) {
                    sub.reset();
                } else {
                    void *raw = nullptr;
                    while (redisGetReplyFromReader(sub.get(), &raw) == REDIS_OK && raw) {
                        std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(
                            static_cast<redisReply *>(raw), &freeReplyObject);
                        RedisReply message = copy_reply(*reply);
                        if (message.type == RedisReply::Type::array &&
                            message.elements.size() == 3 && message.elements[0].text == "message")
                            run_topic(message.elements[2].text);
                        raw = nullptr;
                    }
                }
            } else if (ready < 0 && errno != EINTR) {
                sub.reset();
            }
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
        }
        if (std::chrono::steady_clock::now() >= next_sweep) {
            if (client_.available()) run_all_topics();
            next_sweep = std::chrono::steady_clock::now() + period_;
        }
    }
}

}  // namespace sb::core
