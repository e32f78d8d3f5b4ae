#include "core/config/config_store.hpp"

#include "core/log.hpp"
#include "core/trusted_file.hpp"

#include <boost/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <stdexcept>
#include <sys/stat.h>
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

constexpr const char *kFileName = "config.json";

[[noreturn]] void fail(const std::string &what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// 16 hex digits from the system's random source: a temp name nobody can
// guess in advance.
std::string random_suffix() {
    std::random_device random;
    std::uint64_t value = (std::uint64_t(random()) << 32) | random();
    std::string out(16, '0');
    for (char &c : out) {
        c = "0123456789abcdef"[value & 0xf];
        value >>= 4;
    }
    return out;
}

// Opens the state dir (creating it 0700 when missing) and checks that it is
// ours alone; narrows it to 0700.
int open_state_dir(const std::filesystem::path &requested) {
    std::filesystem::path dir = requested.lexically_normal();
    if (!dir.has_filename()) dir = dir.parent_path();  // "a/b/" -> "a/b"
    std::error_code ec;
    if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create state dir " + dir.string() + ": " + ec.message());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) fail("cannot create state dir " + dir.string());
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("cannot open state dir " + dir.string());
    struct stat st {};
    try {
        if (::fstat(fd, &st) != 0) fail("cannot stat state dir " + dir.string());
        if (auto why = untrusted_because(st, TrustedOwners::daemon_user))
            throw std::runtime_error("state dir " + dir.string() + " " + *why +
                                     ": another user could read the keys in it or plant files there; make it the "
                                     "daemon's alone (chown " + std::to_string(::geteuid()) + " " + dir.string() +
                                     " && chmod 700 " + dir.string() + ") or choose another --state-dir");
        if ((st.st_mode & 07777) != 0700 && ::fchmod(fd, 0700) != 0)
            fail("cannot set mode 0700 on state dir " + dir.string());
    } catch (...) {
        ::close(fd);
        throw;
    }
    return fd;
}

// A fresh temp file in the state dir (never an existing file or a link
// someone planted), fsync, rename over the config, fsync the directory.
void write_atomically(int dir_fd, const std::filesystem::path &file, const std::string &data) {
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        tmp = std::string(kFileName) + ".tmp-" + random_suffix();
        fd = ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) fail("cannot create a temporary file beside " + file.string());
    }
    if (fd < 0) throw std::runtime_error("cannot create a temporary file beside " + file.string() + ": names taken");
    try {
        if (::fchmod(fd, 0600) != 0) fail("cannot set mode 0600 on the temporary file");
        write_all(fd, data);
        if (::fsync(fd) != 0) fail("fsync failed");
    } catch (...) {
        ::close(fd);
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        throw;
    }
    if (::close(fd) != 0) {
        int err = errno;
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        throw std::runtime_error("write failed: " + std::string(std::strerror(err)));
    }
    if (::renameat(dir_fd, tmp.c_str(), dir_fd, kFileName) != 0) {
        int err = errno;
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        throw std::runtime_error("cannot replace " + file.string() + ": " + std::strerror(err));
    }
    if (::fsync(dir_fd) != 0) fail("cannot fsync the directory of " + file.string());
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

namespace {

// The embedded default: <state_dir>/config.json.
class FileConfigBackend final : public ConfigBackend {
public:
    explicit FileConfigBackend(const std::filesystem::path &state_dir)
        : file_(state_dir / kFileName), dir_fd_(open_state_dir(state_dir)) {
        try {
            if (auto text = read_current()) parse_stored_config(*text);
        } catch (const std::exception &e) {
            set_aside(e.what());
        }
    }
    ~FileConfigBackend() override { ::close(dir_fd_); }

    std::optional<StoredConfig> load() override {
        auto text = read_current();
        if (!text) return std::nullopt;
        return parse_stored_config(*text);
    }
    void save(const StoredConfig &config) override {
        write_atomically(dir_fd_, file_, serialize_stored_config(config));
    }
    std::string_view kind() const noexcept override { return "file"; }
    std::filesystem::path file() const override { return file_; }

private:
    // A corrupt file at start-up is moved aside, never overwritten.
    void set_aside(const std::string &reason) {
        auto stamp = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
        std::string aside = std::string(kFileName) + ".corrupt-" + stamp;
        std::filesystem::path aside_path = file_.parent_path() / aside;
        if (::renameat(dir_fd_, kFileName, dir_fd_, aside.c_str()) != 0) {
            int err = errno;
            ::close(dir_fd_);
            throw std::runtime_error(file_.string() + " is unreadable (" + reason + ") and cannot be moved aside: " +
                                     std::strerror(err));
        }
        log_event(LogLevel::error, "config_corrupt",
                  {{"file", file_.string()}, {"reason", reason}, {"moved_to", aside_path.string()}});
    }

    // The file's text, or nullopt when there is none. A link in its place is
    // not followed.
    std::optional<std::string> read_current() const {
        int fd = ::openat(dir_fd_, kFileName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) return std::nullopt;
            fail("cannot open " + file_.string());
        }
        std::string text;
        struct stat st {};
        bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        char buf[8192];
        for (ssize_t n; regular && (n = ::read(fd, buf, sizeof buf)) != 0;) {
            if (n < 0) {
                if (errno == EINTR) continue;
                int err = errno;
                ::close(fd);
                throw std::runtime_error("cannot read " + file_.string() + ": " + std::strerror(err));
            }
            text.append(buf, static_cast<std::size_t>(n));
        }
        ::close(fd);
        if (!regular) throw std::runtime_error(file_.string() + " is not a regular file");
        return text;
    }

    std::filesystem::path file_;
    int dir_fd_ = -1;
};

}  // namespace

ConfigStore::ConfigStore(std::filesystem::path state_dir)
    : ConfigStore(std::make_unique<FileConfigBackend>(state_dir)) {}

ConfigStore::ConfigStore(std::unique_ptr<ConfigBackend> backend) : backend_(std::move(backend)) {
    try {
        if (auto stored = backend_->load()) current_ = std::move(*stored);
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

StoredConfig ConfigStore::snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
}

StoredConfig ConfigStore::update(const std::function<void(StoredConfig &)> &change) {
    std::lock_guard lock(mutex_);
    StoredConfig next = current_;
    // Another daemon may have changed it since we last read it.
    if (backend_->shared()) next = backend_->load().value_or(StoredConfig{});
    change(next);
    backend_->save(next);
    current_ = next;
    return next;
}

bool ConfigStore::reload() {
    try {
        StoredConfig next = backend_->load().value_or(StoredConfig{});
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
        return true;
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "config_reload_failed",
                  {{"store", std::string(backend_->kind())}, {"file", backend_->file().string()}, {"reason", e.what()}});
        return false;
    }
}

}  // namespace sb::core
