#include "core/keys/local_key_store.hpp"

#include "core/config/state_files.hpp"
#include "core/log.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <unistd.h>

namespace sb::core {
namespace {

namespace json = boost::json;

constexpr const char *kKeysFile = "keys.json";
constexpr const char *kSpendFile = "key_spend.json";
constexpr auto kSpendWriteInterval = std::chrono::seconds(1);
// Spend of periods that began this long ago is dropped ("total" is kept).
constexpr std::int64_t kSpendKeptSeconds = 62 * 86400;

json::array array_in(std::string_view text, std::string_view name) {
    json::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec) throw std::runtime_error("invalid JSON: " + ec.message());
    const auto *root = doc.if_object();
    const auto *entries = root ? root->if_contains(name) : nullptr;
    if (!entries || !entries->is_array())
        throw std::runtime_error("'" + std::string(name) + "' is missing or not an array");
    return entries->get_array();
}

// Reads the file `name`; a corrupt one is moved aside (logged) and reads as
// absent.
template <typename Parse>
void load(int dir_fd, const std::filesystem::path &dir, const char *name, Parse parse) {
    const auto shown = dir / name;
    try {
        if (auto text = read_state_file(dir_fd, name, shown)) parse(*text);
    } catch (const std::exception &e) {
        auto aside = move_state_file_aside(dir_fd, name, shown);
        log_event(LogLevel::error, "keys_file_corrupt",
                  {{"file", shown.string()}, {"reason", e.what()}, {"moved_to", aside.string()}});
    }
}

}  // namespace

LocalKeyStore::LocalKeyStore(const std::filesystem::path &state_dir)
    : dir_(state_dir), dir_fd_(open_state_dir(state_dir)) {
    try {
        load(dir_fd_, dir_, kKeysFile, [this](const std::string &text) {
            std::map<std::string, VirtualKey, std::less<>> keys;
            for (const auto &entry : array_in(text, "keys")) {
                VirtualKey key = parse_virtual_key(json::serialize(entry));
                std::string id = key.id;
                keys.emplace(std::move(id), std::move(key));
            }
            keys_ = std::move(keys);
        });
        load(dir_fd_, dir_, kSpendFile, [this](const std::string &text) {
            std::map<SpendKey, std::int64_t> spend;
            for (const auto &entry : array_in(text, "spend")) {
                const auto &o = entry.as_object();
                spend[{std::string(o.at("id").as_string()), o.at("period_start").as_int64()}] =
                    o.at("nusd").as_int64();
            }
            spend_ = std::move(spend);
        });
    } catch (...) {
        ::close(dir_fd_);
        throw;
    }
    for (const auto &[id, key] : keys_) by_hash_[key.key_hash] = id;
}

LocalKeyStore::~LocalKeyStore() {
    try {
        flush();
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "key_spend_not_saved",
                  {{"file", (dir_ / kSpendFile).string()}, {"reason", e.what()}});
    }
    ::close(dir_fd_);
}

void LocalKeyStore::save_keys_locked(const std::map<std::string, VirtualKey, std::less<>> &keys) const {
    std::string text = R"({"version":1,"keys":[)";
    bool first = true;
    for (const auto &[id, key] : keys) {
        if (!first) text += ",\n";
        first = false;
        text += serialize_virtual_key(key);
    }
    text += "]}\n";
    write_state_file(dir_fd_, kKeysFile, dir_ / kKeysFile, text);
}

void LocalKeyStore::save_spend_locked() {
    json::array entries;
    for (const auto &[where, nusd] : spend_)
        entries.push_back(json::object{{"id", where.first}, {"period_start", where.second}, {"nusd", nusd}});
    write_state_file(dir_fd_, kSpendFile, dir_ / kSpendFile,
                     json::serialize(json::object{{"version", 1}, {"spend", std::move(entries)}}) + "\n");
    spend_dirty_ = false;
    spend_saved_ = std::chrono::steady_clock::now();
}

void LocalKeyStore::create(const VirtualKey &key) {
    std::lock_guard lock(mutex_);
    if (keys_.contains(key.id)) throw std::runtime_error("key id " + key.id + " is taken");
    if (by_hash_.contains(key.key_hash)) throw std::runtime_error("a key with this hash exists");
    auto next = keys_;
    next.emplace(key.id, key);
    save_keys_locked(next);
    keys_ = std::move(next);
    by_hash_[key.key_hash] = key.id;
}

std::vector<VirtualKey> LocalKeyStore::list() const {
    std::vector<VirtualKey> out;
    {
        std::lock_guard lock(mutex_);
        for (const auto &[id, key] : keys_) out.push_back(key);
    }
    std::stable_sort(out.begin(), out.end(), [](const VirtualKey &a, const VirtualKey &b) {
        return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    return out;
}

std::optional<VirtualKey> LocalKeyStore::get(std::string_view id) const {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return std::nullopt;
    return it->second;
}

std::optional<VirtualKey> LocalKeyStore::patch(std::string_view id,
                                               const std::function<void(VirtualKey &)> &change) {
    std::lock_guard lock(mutex_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return std::nullopt;
    VirtualKey updated = it->second;
    change(updated);
    updated.id = it->second.id;
    updated.key_hash = it->second.key_hash;
    updated.created_at = it->second.created_at;
    auto next = keys_;
    next[updated.id] = updated;
    save_keys_locked(next);
    keys_ = std::move(next);
    return updated;
}

bool LocalKeyStore::revoke(std::string_view id, std::int64_t now_unix) {
    return patch(id, [now_unix](VirtualKey &key) {
               if (!key.revoked_at) key.revoked_at = now_unix;
           }).has_value();
}

std::optional<VirtualKey> LocalKeyStore::find_by_hash(std::string_view hash) const {
    std::lock_guard lock(mutex_);
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return std::nullopt;
    return keys_.find(it->second)->second;
}

bool LocalKeyStore::has_keys() const {
    std::lock_guard lock(mutex_);
    return !keys_.empty();
}

std::int64_t LocalKeyStore::add_spend(std::string_view id, std::int64_t period_start, std::int64_t amount_nusd) {
    std::lock_guard lock(mutex_);
    std::int64_t &total = spend_[{std::string(id), period_start}];
    total += amount_nusd;
    const std::int64_t result = total;
    spend_dirty_ = true;
    if (std::chrono::steady_clock::now() - spend_saved_ >= kSpendWriteInterval) {
        // Old periods are not read again: dropped before they pile up.
        std::erase_if(spend_, [period_start](const auto &entry) {
            return entry.first.second != 0 && entry.first.second < period_start - kSpendKeptSeconds;
        });
        save_spend_locked();
    }
    return result;
}

std::int64_t LocalKeyStore::spend(std::string_view id, std::int64_t period_start) const {
    std::lock_guard lock(mutex_);
    auto it = spend_.find({std::string(id), period_start});
    return it == spend_.end() ? 0 : it->second;
}

void LocalKeyStore::flush() {
    std::lock_guard lock(mutex_);
    if (spend_dirty_) save_spend_locked();
}

std::int64_t LocalRateCounters::add(std::string_view key_id, std::string_view metric, std::int64_t window_start,
                                    std::int64_t amount) {
    std::string name;
    name.reserve(key_id.size() + 1 + metric.size());
    name.append(key_id).append(" ").append(metric);
    std::lock_guard lock(mutex_);
    // Ended windows are forgotten before the map grows past a few per key.
    if (windows_.size() > 4096)
        std::erase_if(windows_, [window_start](const auto &entry) { return entry.second.start < window_start; });
    Window &w = windows_[name];
    if (w.start != window_start) {
        if (w.start > window_start) return amount;  // a late call for an ended window
        w = Window{window_start, 0};
    }
    w.total += amount;
    return w.total;
}

}  // namespace sb::core
