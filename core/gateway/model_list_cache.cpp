#include "core/gateway/model_list_cache.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sb::core {

namespace asio = boost::asio;

// One fetch under way and whoever waits for it. Its fields are guarded by
// the cache's mutex.
struct ModelListCache::Flight {
    // A waiter sleeps on a timer of its own event loop; the fetcher wakes it
    // there. Weak: a waiter whose client left is gone with its timer.
    struct Waiter {
        asio::any_io_executor executor;
        std::weak_ptr<asio::steady_timer> timer;
    };
    std::size_t version = 0;
    std::vector<Waiter> waiters;
    bool landed = false;
    bool abandoned = false;  // the fetcher failed without an answer from the vendor
    std::vector<std::string> models;
    std::optional<GatewayError> failure;
};

asio::awaitable<std::vector<std::string>> ModelListCache::get(const std::string &provider, std::size_t version,
                                                              const Fetch &fetch) {
    const auto executor = co_await asio::this_coro::executor;
    for (;;) {
        std::shared_ptr<Flight> flight;
        std::shared_ptr<asio::steady_timer> timer;
        {
            std::lock_guard lock(mutex_);
            Entry &entry = entries_[provider];  // provider ids are those of loaded plugins
            if (entry.version == version && Clock::now() < entry.expires) {
                if (entry.failure) throw GatewayError(*entry.failure);
                co_return entry.models;
            }
            if (entry.flight && entry.flight->version == version) {
                flight = entry.flight;
                timer = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
                flight->waiters.push_back({executor, timer});
            } else {
                flight = entry.flight = std::make_shared<Flight>();
                flight->version = version;
            }
        }
        if (timer) {
            // Woken (the wait ends cancelled) when the flight lands, or
            // cancelled because this caller's client left.
            boost::system::error_code ec;
            co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
            std::lock_guard lock(mutex_);
            if (!flight->landed) throw boost::system::system_error(asio::error::operation_aborted);
            if (flight->abandoned) continue;
            if (flight->failure) throw GatewayError(*flight->failure);
            co_return flight->models;
        }
        std::vector<std::string> models;
        try {
            models = co_await fetch();
        } catch (const GatewayError &e) {
            land(provider, flight, version, nullptr, &e);
            throw;
        } catch (...) {
            land(provider, flight, version, nullptr, nullptr);
            throw;
        }
        land(provider, flight, version, &models, nullptr);
        co_return models;
    }
}

void ModelListCache::land(const std::string &provider, const std::shared_ptr<Flight> &flight, std::size_t version,
                          std::vector<std::string> *models, const GatewayError *failure) {
    std::lock_guard lock(mutex_);
    flight->landed = true;
    if (models)
        flight->models = *models;
    else if (failure)
        flight->failure = *failure;
    else
        flight->abandoned = true;
    // Kept only when the entry still waits for this flight: forget() (or a
    // fetch for a newer config) has made it stale otherwise.
    if (auto it = entries_.find(provider); it != entries_.end() && it->second.flight == flight) {
        Entry &entry = it->second;
        entry.flight.reset();
        if (models || failure) {
            entry.version = version;
            entry.expires = Clock::now() + (models ? ttl_ : failure_ttl_);
            entry.failure.reset();
            if (failure) entry.failure = *failure;
        }
        if (models) {
            entry.models = *models;
            entry.names = {models->begin(), models->end()};
        }
    }
    for (auto &waiter : flight->waiters)
        asio::post(waiter.executor, [timer = waiter.timer] {
            if (auto t = timer.lock()) t->cancel();
        });
    flight->waiters.clear();
}

void ModelListCache::forget(std::string_view provider) {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(provider); it != entries_.end()) entries_.erase(it);
}

bool ModelListCache::lists(std::string_view provider, std::string_view model) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(provider);
    return it != entries_.end() && it->second.names.find(model) != it->second.names.end();
}

}  // namespace sb::core
