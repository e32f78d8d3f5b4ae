#include "core/config/config_store.hpp"

#include "core/log.hpp"

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace sb::core {
namespace {

namespace json = boost::json;

std::string read_file(const std::filesystem::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + file.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string string_field(const json::object &o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return {};
    if (!it->value().is_string()) throw std::runtime_error("field '" + std::string(key) + "' is not a string");
    return std::string(it->value().get_string());
}

void write_all(int fd, const std::string &data) {
    const char *p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("write failed: ") + std::strerror(errno));
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

// Temp file in the same directory, fsync, rename, fsync the directory.
void write_atomically(const std::filesystem::path &file, const std::string &data) {
    std::filesystem::path tmp = file;
    tmp += ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
    try {
        ::fchmod(fd, 0600);
        write_all(fd, data);
        if (::fsync(fd) != 0) throw std::runtime_error(std::string("fsync failed: ") + std::strerror(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot replace " + file.string() + ": " + std::strerror(err));
    }
    int dir_fd = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

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

ConfigStore::ConfigStore(std::filesystem::path state_dir) : file_(state_dir / "config.json") {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) throw std::runtime_error("cannot create state dir " + state_dir.string() + ": " + ec.message());
    ::chmod(state_dir.c_str(), 0700);
    if (!std::filesystem::exists(file_)) return;
    try {
        current_ = parse_stored_config(read_file(file_));
    } catch (const std::exception &e) {
        auto stamp = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
        std::filesystem::path aside = file_;
        aside += ".corrupt-" + stamp;
        std::filesystem::rename(file_, aside, ec);
        log_event(LogLevel::error, "config_corrupt",
                  {{"file", file_.string()}, {"reason", e.what()}, {"moved_to", aside.string()}});
    }
}

StoredConfig ConfigStore::snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
}

StoredConfig ConfigStore::update(const std::function<void(StoredConfig &)> &change) {
    std::lock_guard lock(mutex_);
    StoredConfig next = current_;
    change(next);
    write_atomically(file_, serialize_stored_config(next));
    current_ = next;
    return next;
}

bool ConfigStore::reload() {
    try {
        StoredConfig next = std::filesystem::exists(file_) ? parse_stored_config(read_file(file_))
                                                           : StoredConfig{};
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
        return true;
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "config_reload_failed", {{"file", file_.string()}, {"reason", e.what()}});
        return false;
    }
}

}  // namespace sb::core
