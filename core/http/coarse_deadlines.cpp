#include "core/http/coarse_deadlines.hpp"

#include <boost/asio/any_io_executor.hpp>

namespace sb::core {

namespace asio = boost::asio;

asio::execution_context::id CoarseDeadlines::id;

CoarseDeadlines::CoarseDeadlines(asio::execution_context &context)
    : asio::execution_context::service(context), timer_(static_cast<asio::io_context &>(context)) {}

CoarseDeadlines *CoarseDeadlines::of(const asio::any_io_executor &executor) {
    const auto *plain = executor.target<asio::io_context::executor_type>();
    return plain ? &asio::use_service<CoarseDeadlines>(plain->context()) : nullptr;
}

void CoarseDeadlines::shutdown() {
    for (Entry *e = first_; e; e = e->next_) e->owner_ = nullptr;
    first_ = nullptr;
    armed_ = 0;
    timer_.cancel();
}

void CoarseDeadlines::Entry::arm(CoarseDeadlines &deadlines, asio::ip::tcp::socket &socket, Clock::duration within) {
    disarm();
    owner_ = &deadlines;
    socket_ = &socket;
    at_ = Clock::now() + within;
    expired_ = false;
    prev_ = nullptr;
    next_ = deadlines.first_;
    if (next_) next_->prev_ = this;
    deadlines.first_ = this;
    ++deadlines.armed_;
    if (!deadlines.ticking_) {
        deadlines.ticking_ = true;
        deadlines.timer_.expires_after(kGrain);
        deadlines.timer_.async_wait([owner = &deadlines](boost::system::error_code ec) {
            if (!ec) owner->tick();
        });
    }
}

void CoarseDeadlines::Entry::disarm() noexcept {
    if (!owner_) return;
    if (prev_)
        prev_->next_ = next_;
    else
        owner_->first_ = next_;
    if (next_) next_->prev_ = prev_;
    --owner_->armed_;
    owner_ = nullptr;
    prev_ = next_ = nullptr;
}

void CoarseDeadlines::tick() {
    const auto now = Clock::now();
    for (Entry *e = first_; e;) {
        Entry *const next = e->next_;
        if (e->at_ <= now) {
            boost::asio::ip::tcp::socket &socket = *e->socket_;
            e->disarm();
            e->expired_ = true;
            boost::system::error_code ignored;
            socket.cancel(ignored);
        }
        e = next;
    }
    if (!first_) {
        ticking_ = false;
        return;
    }
    timer_.expires_after(kGrain);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

}  // namespace sb::core
