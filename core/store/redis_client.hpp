#pragma once
// One connection to Redis through hiredis (Debian's libhiredis), used
// synchronously with a short timeout so that no caller, a request included,
// waits on a dead or stuck Redis longer than that bound.
//
// Failure model: a command that cannot be sent or is not answered within the
// timeout closes the connection and marks Redis down; while down, command()
// throws RedisUnavailable at once, without touching the network. Only
// probe() (called by the RedisWatcher's thread, a few times a second)
// reconnects. So the worst a request waits is one timeout, once, when Redis
// dies under it.
//
// Thread safety: every member may be called from any thread; commands are
// serialized on the one connection (Redis runs them one at a time anyway).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/store_settings.hpp"

struct redisContext;
struct redisReply;

namespace sb::core {

// Redis cannot be reached now (down, or too slow to answer).
class RedisUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A reply copied out of hiredis's tree.
struct RedisReply {
    enum class Type { nil, integer, string, status, error, array };
    Type type = Type::nil;
    std::int64_t integer = 0;
    std::string text;  // string, status and error replies
    std::vector<RedisReply> elements;

    bool is_nil() const noexcept { return type == Type::nil; }
};

// Copies hiredis's reply (which stays the caller's to free).
RedisReply copy_reply(const redisReply &reply);

inline constexpr std::chrono::milliseconds kRedisTimeout{250};

class RedisClient {
public:
    explicit RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout = kRedisTimeout);
    ~RedisClient();
    RedisClient(const RedisClient &) = delete;
    RedisClient &operator=(const RedisClient &) = delete;

    // Runs one command. Throws RedisUnavailable (see above) and
    // std::runtime_error for an error reply (a script error, a wrong type).
    RedisReply command(const std::vector<std::string> &args);

    // Whether the last exchange worked. Cheap; no network.
    bool available() const noexcept { return up_.load(std::memory_order_relaxed); }

    // Reconnects when down (or checks with PING when up): true when Redis
    // answers now.
    bool probe();

    const RedisEndpoint &endpoint() const noexcept { return endpoint_; }
    std::chrono::milliseconds timeout() const noexcept { return timeout_; }

    // A fresh connection of the caller's own (the watcher's subscription),
    // with this client's timeouts; nullptr when Redis cannot be reached.
    redisContext *connect_new() const;

private:
    void mark_down(std::string_view why);

    RedisEndpoint endpoint_;
    std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    redisContext *context_ = nullptr;  // guarded by mutex_
    std::atomic<bool> up_{false};
};

}  // namespace sb::core
