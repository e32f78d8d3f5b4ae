#pragma once
// A thread-safe memo of a pure function of a string (a URL's parts, a
// policy verdict) for the request path, where recomputing it cost more
// than the lock. Bounded: when full it starts over, so keys an operator or
// client can vary never grow it without limit.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace sb::core {

template <class Value>
class BoundedMemo {
public:
    explicit BoundedMemo(std::size_t capacity = 256) : capacity_(capacity) {}

    // compute() runs without the lock; when it throws nothing is remembered.
    template <class Compute>
    std::shared_ptr<const Value> get(std::string_view key, Compute &&compute) {
        {
            std::lock_guard lock(mutex_);
            if (auto it = entries_.find(key); it != entries_.end()) return it->second;
        }
        auto value = std::make_shared<const Value>(compute());
        std::lock_guard lock(mutex_);
        if (entries_.size() >= capacity_) entries_.clear();
        entries_.emplace(std::string(key), value);
        return value;
    }

private:
    std::size_t capacity_;
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const Value>, std::less<>> entries_;
};

}  // namespace sb::core
