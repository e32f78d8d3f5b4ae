#include "core/config/config_store.hpp"

#include "core/config/state_files.hpp"
#include "core/log.hpp"

#include <boost/json.hpp>

#include <stdexcept>
#include <unistd.h>

namespace sb::core {
namespace {

namespace json = boost::json;

std::string string_field(const json::object &o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return {};
    if (!it->value().is_string()) throw std::runtime_error("field '" + std::string(key) + "' is not a string");
    return std::string(it->value().get_string());
}

constexpr const char *kFileName = "config.json";

}  // namespace

StoredConfig parse_stored_config(std::string_view text) {
    json::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec) throw std::runtime_error("invalid JSON: " + ec.message());
    if (!doc.is_object()) throw std::runtime_error("top level is not an object");
    const auto &root = doc.get_object();
    StoredConfig config;
    config.active_provider = string_field(root, "active_provider");
    if (auto it = root.find("fallback"); it != root.end() && !it->value().is_null()) {
        if (!it->value().is_array()) throw std::runtime_error("'fallback' is not an array");
        for (const auto &entry : it->value().get_array()) {
            if (!entry.is_string()) throw std::runtime_error("'fallback' entries must be strings");
            config.fallback.emplace_back(entry.get_string());
        }
    }
    if (auto it = root.find("providers"); it != root.end()) {
        if (!it->value().is_object()) throw std::runtime_error("'providers' is not an object");
        for (const auto &[id, value] : it->value().get_object()) {
            if (!value.is_object()) throw std::runtime_error("provider entry is not an object");
            const auto &o = value.get_object();
            ProviderSettings s;
            s.api_key = string_field(o, "api_key");
            s.api_base = string_field(o, "api_base");
            s.model = string_field(o, "model");
            s.api_key_base = string_field(o, "api_key_base");
            config.providers.emplace(std::string(id), std::move(s));
        }
    }
    return config;
}

std::string serialize_stored_config(const StoredConfig &config) {
    json::object root;
    root["version"] = 1;
    root["active_provider"] = config.active_provider;
    if (!config.fallback.empty()) {
        json::array fallback;
        for (const auto &entry : config.fallback) fallback.push_back(json::string(entry));
        root["fallback"] = std::move(fallback);
    }
    json::object providers;
    for (const auto &[id, s] : config.providers) {
        json::object o;
        if (!s.api_key.empty()) {
            o["api_key"] = s.api_key;
            o["api_key_base"] = s.api_key_base;
        }
        if (!s.api_base.empty()) o["api_base"] = s.api_base;
        if (!s.model.empty()) o["model"] = s.model;
        providers[id] = std::move(o);
    }
    root["providers"] = std::move(providers);
    return json::serialize(root) + "\n";
}

namespace {

// The embedded default: <state_dir>/config.json.
class FileConfigBackend final : public ConfigBackend {
public:
    explicit FileConfigBackend(const std::filesystem::path &state_dir)
        : file_(state_dir / kFileName), dir_fd_(open_state_dir(state_dir)) {
        // A corrupt file at start-up is moved aside, never overwritten.
        try {
            if (auto text = read_state_file(dir_fd_, kFileName, file_)) parse_stored_config(*text);
        } catch (const std::exception &e) {
            std::filesystem::path aside_path;
            try {
                aside_path = move_state_file_aside(dir_fd_, kFileName, file_);
            } catch (const std::exception &aside_failed) {
                ::close(dir_fd_);
                throw std::runtime_error(file_.string() + " is unreadable (" + e.what() + ") and " +
                                         aside_failed.what());
            }
            log_event(LogLevel::error, "config_corrupt",
                      {{"file", file_.string()}, {"reason", e.what()}, {"moved_to", aside_path.string()}});
        }
    }
    ~FileConfigBackend() override { ::close(dir_fd_); }

    std::optional<StoredConfig> load() override {
        auto text = read_state_file(dir_fd_, kFileName, file_);
        if (!text) return std::nullopt;
        return parse_stored_config(*text);
    }
    void save(const StoredConfig &config) override {
        write_state_file(dir_fd_, kFileName, file_, serialize_stored_config(config));
    }
    std::string_view kind() const noexcept override { return "file"; }
    std::filesystem::path file() const override { return file_; }

private:
    std::filesystem::path file_;
    int dir_fd_ = -1;
};

}  // namespace

ConfigStore::ConfigStore(std::filesystem::path state_dir)
    : ConfigStore(std::make_unique<FileConfigBackend>(state_dir)) {}

ConfigStore::ConfigStore(std::unique_ptr<ConfigBackend> backend) : backend_(std::move(backend)) {
    try {
        if (auto stored = backend_->load()) current_ = std::make_shared<const StoredConfig>(std::move(*stored));
    } catch (const std::exception &e) {
        // An unreadable document is fatal; a shared store that is down now
        // is read again once it answers.
        if (backend_->reachable()) throw;
        log_event(LogLevel::warn, "config_store_unavailable",
                  {{"store", std::string(backend_->kind())}, {"reason", e.what()},
                   {"note", "serving without runtime config until the store answers"}});
    }
}

ConfigStore::~ConfigStore() = default;

StoredConfig ConfigStore::snapshot() const { return *current(); }

std::shared_ptr<const StoredConfig> ConfigStore::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

StoredConfig ConfigStore::update(const std::function<void(StoredConfig &)> &change) {
    std::lock_guard lock(mutex_);
    StoredConfig next = *current_;
    // Another daemon may have changed it since we last read it.
    if (backend_->shared()) next = backend_->load().value_or(StoredConfig{});
    change(next);
    backend_->save(next);
    current_ = std::make_shared<const StoredConfig>(next);
    return next;
}

bool ConfigStore::reload() {
    try {
        StoredConfig next = backend_->load().value_or(StoredConfig{});
        std::lock_guard lock(mutex_);
        current_ = std::make_shared<const StoredConfig>(std::move(next));
        return true;
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "config_reload_failed",
                  {{"store", std::string(backend_->kind())}, {"file", backend_->file().string()}, {"reason", e.what()}});
        return false;
    }
}

}  // namespace sb::core
