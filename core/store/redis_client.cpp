#include "core/store/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <memory>

#include "core/log.hpp"

namespace sb::core {
namespace {

timeval as_timeval(std::chrono::milliseconds t) {
    return {static_cast<time_t>(t.count() / 1000),
            static_cast<suseconds_t>((t.count() % 1000) * 1000)};
}

using ReplyPtr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

}  // namespace

RedisReply copy_reply(const redisReply &reply) {
    RedisReply out;
    switch (reply.type) {
        case REDIS_REPLY_INTEGER:
            out.type = RedisReply::Type::integer;
            out.integer = reply.integer;
            break;
        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
        case REDIS_REPLY_ERROR:
            out.type = reply.type == REDIS_REPLY_STRING   ? RedisReply::Type::string
                       : reply.type == REDIS_REPLY_STATUS ? RedisReply::Type::status
                                                          : RedisReply::Type::error;
            out.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ARRAY:
            out.type = RedisReply::Type::array;
            for (std::size_t i = 0; i < reply.elements; ++i)
                out.elements.push_back(copy_reply(*reply.element[i]));
            break;
        default:
            out.type = RedisReply::Type::nil;
    }
    return out;
}

RedisClient::RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

RedisClient::~RedisClient() {
    if (context_) redisFree(context_);
}

redisContext *RedisClient::connect_new() const {
    redisContext *c =
        redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, as_timeval(timeout_));
    if (!c) return nullptr;
    if (c->err || redisSetTimeout(c, as_timeval(timeout_)) != REDIS_OK) {
        redisFree(c);
        return nullptr;
    }
    redisEnableKeepAlive(c);
    return c;
}

void RedisClient::mark_down(std::string_view why) {
    if (context_) {
        redisFree(context_);
        context_ = nullptr;
    }
    if (up_.exchange(false))
        log_event(LogLevel::warn, "store_unavailable",
                  {{"store", endpoint_.url()}, {"reason", std::string(why)}});
}

RedisReply RedisClient::command(const std::vector<std::string> &args) {
    std::lock_guard lock(mutex_);
    if (!context_ || !up_.load(std::memory_order_relaxed))
        throw RedisUnavailable("Redis at " + endpoint_.url() + " is unavailable");
    std::vector<const char *> argv;
    std::vector<std::size_t> lengths;
    for (const auto &a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    ReplyPtr reply(static_cast<redisReply *>(redisCommandArgv(
                       context_, static_cast<int>(argv.size()), argv.data(), lengths.data())),
                   &freeReplyObject);
    if (!reply) {
        std::string why = context_->errstr[0] ? context_->errstr : "no reply";
        mark_down(why);
        throw RedisUnavailable("Redis at " + endpoint_.url() + " did not answer: " + why);
    }
    RedisReply out = copy_reply(*reply);
    if (out.type == RedisReply::Type::error)
        throw std::runtime_error("Redis refused " + args.front() + ": " + out.text);
    return out;
}

bool RedisClient::probe() {
    std::lock_guard lock(mutex_);
    if (!context_) {
        context_ = connect_new();
        if (!context_) return false;
    }
    const char *ping[] = {"PING"};
    const std::size_t ping_len[] = {4};
    ReplyPtr reply(static_cast<redisReply *>(redisCommandArgv(context_, 1, ping, ping_len)),
                   &freeReplyObject);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        mark_down(reply ? std::string(reply->str, reply->len) : std::string(context_->errstr));
        return false;
    }
    if (!up_.exchange(true))
        log_event(LogLevel::info, "store_available", {{"store", endpoint_.url()}});
    return true;
}

}  // namespace sb::core
