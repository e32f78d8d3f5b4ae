#include "core/net/connection_slots.hpp"


namespace sb::core {

namespace ip = boost::asio::ip;

bool is_loopback(const ip::address &address) {
    if (address.is_v4()) return address.to_v4().is_loopback();
    if (address.is_v6()) {
        auto v6 = address.to_v6();
        return v6.is_loopback() || (v6.is_v4_mapped() && ip::make_address_v4(ip::v4_mapped, v6).is_loopback());
    }
    return false;
}


ip::address client_of(const ip::address &peer) {
    if (!peer.is_v6()) return peer;
    const ip::address_v6 v6 = peer.to_v6();
    if (v6.is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, v6);
    ip::address_v6::bytes_type bytes = v6.to_bytes();
    for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
    return ip::address_v6(bytes);
}

ConnectionSlots::ConnectionSlots(Limits limits) : limits_(limits) {
    idle_head_.prev_ = idle_head_.next_ = &idle_head_;
}

bool ConnectionSlots::limited(const ip::address &peer) const noexcept {
    return limits_.max_per_client > 0 && (limits_.limit_loopback || !is_loopback(peer));
}

ConnectionSlots::Verdict ConnectionSlots::admit(const ip::address &peer) {
    const bool counted = limited(peer);
    const ip::address client = counted ? client_of(peer) : ip::address();
    std::lock_guard lock(mutex_);
    if (counted) {
        auto it = per_client_.find(client);
        if (it != per_client_.end() && it->second >= limits_.max_per_client) return Verdict::client_share_used;
    }
    if (open_ >= limits_.max_connections) {
        if (idle_head_.next_ == &idle_head_) return Verdict::full;
        // The connection idle the longest makes room. Unlisted here, so it
        // is asked once; it stays alive while listed (leave_idle takes this
        // lock), so the call is safe.
        Link *oldest = idle_head_.next_;
        oldest->prev_->next_ = oldest->next_;
        oldest->next_->prev_ = oldest->prev_;
        oldest->prev_ = oldest->next_ = nullptr;
        --idle_count_;
        static_cast<Idle *>(oldest)->close_if_idle();
    }
    ++open_;
    if (counted) ++per_client_[client];
    return Verdict::admitted;
}

void ConnectionSlots::release(const ip::address &peer) noexcept {
    const bool counted = limited(peer);
    const ip::address client = counted ? client_of(peer) : ip::address();
    std::lock_guard lock(mutex_);
    --open_;
    if (!counted) return;
    auto it = per_client_.find(client);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

void ConnectionSlots::enter_idle(Idle &idle) noexcept {
    Link &link = idle;
    std::lock_guard lock(mutex_);
    if (link.next_) return;
    link.prev_ = idle_head_.prev_;
    link.next_ = &idle_head_;
    idle_head_.prev_->next_ = &link;
    idle_head_.prev_ = &link;
    ++idle_count_;
}

void ConnectionSlots::leave_idle(Idle &idle) noexcept {
    Link &link = idle;
    std::lock_guard lock(mutex_);
    if (!link.next_) return;  // never listed, or taken by admit()
    link.prev_->next_ = link.next_;
    link.next_->prev_ = link.prev_;
    link.prev_ = link.next_ = nullptr;
    --idle_count_;
}

std::size_t ConnectionSlots::open() const {
    std::lock_guard lock(mutex_);
    return open_;
}

std::size_t ConnectionSlots::idle() const {
    std::lock_guard lock(mutex_);
    return idle_count_;
}

}  // namespace sb::core
