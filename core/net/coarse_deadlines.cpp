#include "core/net/coarse_deadlines.hpp"

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
    for (Entry *e = first_; e; e = e->next_) e->armed_ = false;
    first_ = nullptr;
    armed_ = 0;
    timer_.cancel();
}

void CoarseDeadlines::Entry::bind(CoarseDeadlines &deadlines, asio::ip::tcp::socket &socket) noexcept {
    disarm();
    deadlines_ = &deadlines;
    socket_ = &socket;
}

void CoarseDeadlines::Entry::arm(Clock::duration within) {
    disarm();
    CoarseDeadlines &owner = *deadlines_;
    at_ = Clock::now() + within;
    expired_ = false;
    armed_ = true;
    prev_ = nullptr;
    next_ = owner.first_;
    if (next_) next_->prev_ = this;
    owner.first_ = this;
    ++owner.armed_;
    if (!owner.ticking_) owner.start_ticking();
}

void CoarseDeadlines::Entry::disarm() noexcept {
    if (!armed_) return;
    armed_ = false;
    if (prev_)
        prev_->next_ = next_;
    else
        deadlines_->first_ = next_;
    if (next_) next_->prev_ = prev_;
    --deadlines_->armed_;
    prev_ = next_ = nullptr;
}

void CoarseDeadlines::start_ticking() {
    ticking_ = true;
    timer_.expires_after(kGrain);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

void CoarseDeadlines::tick() {
    const auto now = Clock::now();
    for (Entry *e = first_; e;) {
        Entry *const next = e->next_;
        if (e->at_ <= now) {
            e->disarm();
            e->expired_ = true;
            boost::system::error_code ignored;
            e->socket_->cancel(ignored);
        }
        e = next;
    }
    if (first_)
        start_ticking();
    else
        ticking_ = false;
}

}  // namespace sb::core
