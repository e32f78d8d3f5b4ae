#pragma once
// The single-daemon stores: virtual keys and their spend in the state dir,
// rate counters in memory.
//
// Keys live in <state-dir>/keys.json (records only: hashes, never key text),
// written on every change with the state dir's safe-write rules (see
// core/config/state_files.hpp). Spend lives in <state-dir>/key_spend.json,
// written at most once per second as requests are charged and on flush() /
// destruction, so a crash loses at most the last second of spend. A corrupt
// file at start-up is moved aside and logged, never overwritten.
#include "core/keys/key_store.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <utility>

namespace sb::core {

class LocalKeyStore final : public KeyStore {
public:
    // Opens (creating) state_dir with the same ownership checks as
    // ConfigStore; throws std::runtime_error as it does.
    explicit LocalKeyStore(const std::filesystem::path &state_dir);
    ~LocalKeyStore() override;
    LocalKeyStore(const LocalKeyStore &) = delete;
    LocalKeyStore &operator=(const LocalKeyStore &) = delete;

    void create(const VirtualKey &key) override;
    std::vector<VirtualKey> list() const override;
    std::optional<VirtualKey> get(std::string_view id) const override;
    std::optional<VirtualKey> patch(std::string_view id,
                                    const std::function<void(VirtualKey &)> &change) override;
    bool revoke(std::string_view id, std::int64_t now_unix) override;
    std::optional<VirtualKey> find_by_hash(std::string_view hash) const override;
    bool has_keys() const override;
    std::int64_t add_spend(std::string_view id, std::int64_t period_start,
                           std::int64_t amount_nusd) override;
    std::int64_t spend(std::string_view id, std::int64_t period_start) const override;

    // Writes spend not yet on disk. Throws std::runtime_error.
    void flush();

private:
    using SpendKey = std::pair<std::string, std::int64_t>;  // id, period start
    void save_keys_locked(const std::map<std::string, VirtualKey, std::less<>> &keys) const;
    void save_spend_locked();

    std::filesystem::path dir_;
    int dir_fd_ = -1;
    mutable std::mutex mutex_;
    std::map<std::string, VirtualKey, std::less<>> keys_;  // by id
    std::map<std::string, std::string, std::less<>> by_hash_;  // hash -> id
    std::map<SpendKey, std::int64_t> spend_;
    bool spend_dirty_ = false;
    std::chrono::steady_clock::time_point spend_saved_{};
};

// Counters of the current window per (key id, metric), in memory: limits
// hold for this daemon only.
class LocalRateCounters final : public RateCounters {
public:
    std::int64_t add(std::string_view key_id, std::string_view metric, std::int64_t window_start,
                     std::int64_t amount) override;

private:
    struct Window {
        std::int64_t start = 0;
        std::int64_t total = 0;
    };
    std::mutex mutex_;
    std::map<std::string, Window, std::less<>> windows_;  // "id rpm" -> window
};

}  // namespace sb::core
