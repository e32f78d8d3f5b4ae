#pragma once
// The memory the bodies of all requests being read or handled may hold
// together. A request takes its share before its body is read (a declared
// Content-Length at once, a chunked body as it grows) and gives it back once
// its handler is done with the body: clients that send most of a large
// body and stall can hold no more than the budget between them.
#include <atomic>
#include <cstddef>

namespace sb::core {

class BodyBudget {
public:
    explicit BodyBudget(std::size_t limit) noexcept : limit_(limit) {}
    std::size_t limit() const noexcept { return limit_; }
    std::size_t used() const noexcept { return used_.load(std::memory_order_relaxed); }

    // A request's share; given back on destruction. Empty by default.
    class Share {
    public:
        Share() = default;
        explicit Share(BodyBudget &budget) noexcept : budget_(&budget) {}
        Share(Share &&other) noexcept : budget_(other.budget_), bytes_(other.bytes_) { other.bytes_ = 0; }
        Share &operator=(Share &&other) noexcept {
            if (this != &other) {
                release();
                budget_ = other.budget_;
                bytes_ = other.bytes_;
                other.bytes_ = 0;
            }
            return *this;
        }
        ~Share() { release(); }

        // Grows the share to `bytes` in all; false (and unchanged) when the
        // budget cannot spare it.
        bool grow_to(std::size_t bytes) noexcept {
            if (bytes <= bytes_) return true;
            if (!budget_->take(bytes - bytes_)) return false;
            bytes_ = bytes;
            return true;
        }
        void release() noexcept {
            if (bytes_) budget_->used_.fetch_sub(bytes_, std::memory_order_relaxed);
            bytes_ = 0;
        }
        std::size_t bytes() const noexcept { return bytes_; }

    private:
        BodyBudget *budget_ = nullptr;
        std::size_t bytes_ = 0;
    };

private:
    bool take(std::size_t bytes) noexcept {
        std::size_t used = used_.load(std::memory_order_relaxed);
        do {
            if (bytes > limit_ || used > limit_ - bytes) return false;
        } while (!used_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
        return true;
    }

    const std::size_t limit_;
    std::atomic<std::size_t> used_{0};
};

}  // namespace sb::core
