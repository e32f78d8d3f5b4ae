#pragma once
// The one background thread of the Redis store. It
//  - reconnects the shared RedisClient while Redis is down (probe), so
//    that requests never do;
//  - listens on redis_schema::changed_channel and runs the handlers of the
//    topic published ("config", "keys") at once;
//  - runs every handler again every `period` anyway, in case a message was
//    missed (the subscription dropped, a daemon died between its write and
//    its publish);
//  - when Redis answers again after being down, checks redis_schema::epoch
//    and runs the reconnect handlers, told whether Redis lost its data.
//
// Handlers run on the watcher's thread, one at a time; they may throw (the
// error is logged). They may be registered before or after start().
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/store/redis_client.hpp"

namespace sb::core {

class RedisWatcher {
public:
    explicit RedisWatcher(RedisClient &client,
                          std::chrono::milliseconds period = std::chrono::milliseconds(500));
    ~RedisWatcher();  // stops and joins the thread
    RedisWatcher(const RedisWatcher &) = delete;
    RedisWatcher &operator=(const RedisWatcher &) = delete;

    void on_change(std::string topic, std::function<void()> handler);
    void on_reconnect(std::function<void(bool data_lost)> handler);

    // Connects once (bounded by the client's timeout; Redis may be down:
    // the thread keeps trying), then starts the thread.
    void start();
    void stop();

private:
    void run();
    void reconnected();
    bool check_epoch();
    void run_topic(const std::string &topic);
    void run_all_topics();

    RedisClient &client_;
    std::chrono::milliseconds period_;
    std::mutex handlers_mutex_;  // guards the two below; held while they run
    std::map<std::string, std::vector<std::function<void()>>> topics_;
    std::vector<std::function<void(bool)>> reconnect_handlers_;
    std::string epoch_;  // the value this daemon last saw; watcher thread only
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace sb::core
