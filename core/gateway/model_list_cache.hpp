#pragma once
// Vendors' model lists, one per provider, kept for a while: a model listing
// spends the operator's key on a vendor call, so a burst of GETs (anyone's)
// must not turn into a burst of vendor calls. One fetch per provider is in
// flight at a time; callers that arrive meanwhile wait for its result.
// Thread-safe: callers may run on different event loops.
#include "core/errors.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

class ModelListCache {
public:
    using Clock = std::chrono::steady_clock;
    using Fetch = std::function<boost::asio::awaitable<std::vector<std::string>>()>;

    // A list is kept for ttl; a GatewayError from the vendor for failure_ttl.
    ModelListCache(std::chrono::milliseconds ttl, std::chrono::milliseconds failure_ttl)
        : ttl_(ttl), failure_ttl_(failure_ttl) {}

    // The list of `provider` for the config whose fingerprint is `version`:
    // the kept one while fresh and of that version, else the result of the
    // fetch in flight, else that of fetch() (run by this caller). Throws the
    // GatewayError the fetch threw; a caller whose own fetch failed another
    // way (cancelled: its client left) gets that exception, and whoever waited
    // on it starts a fetch of its own.
    boost::asio::awaitable<std::vector<std::string>> get(const std::string &provider, std::size_t version,
                                                         const Fetch &fetch);
    // Drops what is kept for provider (its config changed). A fetch in flight
    // still answers its waiters but is not kept.
    void forget(std::string_view provider);
    // Whether the last list fetched for provider, fresh or not, names model.
    bool lists(std::string_view provider, std::string_view model) const;

private:
    struct Flight;
    struct Entry {
        std::size_t version = 0;
        Clock::time_point expires{};
        std::vector<std::string> models;
        std::set<std::string, std::less<>> names;  // models, for lists()
        std::optional<GatewayError> failure;      // the last fetch failed
        std::shared_ptr<Flight> flight;           // a fetch under way
    };
    // Ends flight with its fetcher's result and wakes its waiters.
    void land(const std::string &provider, const std::shared_ptr<Flight> &flight, std::size_t version,
              std::vector<std::string> *models, const GatewayError *failure);

    std::chrono::milliseconds ttl_;
    std::chrono::milliseconds failure_ttl_;
    mutable std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace sb::core
