#include "core/config/routes_source.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/log.hpp"
#include "core/trusted_file.hpp"

namespace sb::core {

namespace {

constexpr std::uintmax_t kMaxFileBytes = 4 << 20;

std::size_t deployment_count(const RoutesFile &routes) {
    std::size_t n = 0;
    for (const auto &[name, alias] : routes.models()) n += alias.deployments.size();
    return n;
}

// The file's text. It says where keys go, so, like a plugin, it must not be
// writable by another user.
std::string read_routes_text(const std::filesystem::path &file) {
    if (auto why = untrusted_because(file, TrustedOwners::root_or_daemon_user))
        throw std::runtime_error("the file " + *why +
                                 ": another user could send the keys elsewhere");
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) throw std::runtime_error("cannot read it: " + ec.message());
    if (size > kMaxFileBytes) throw std::runtime_error("larger than 4 MiB");
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read it");
    return text.str();
}

}  // namespace

PluginModes read_plugin_modes(const std::filesystem::path &file) {
    try {
        return parse_plugin_modes(read_routes_text(file));
    } catch (const std::exception &e) {
        throw std::runtime_error("routes file " + file.string() + ": " + e.what());
    }
}

RoutesSource::RoutesSource() : current_(std::make_shared<const RoutesFile>()) {}

RoutesSource::RoutesSource(std::filesystem::path file, Environment env, ApiBasePolicy policy)
    : file_(std::move(file)), env_(std::move(env)), policy_(std::move(policy)) {
    try {
        text_ = read_routes_text(file_);
        current_ = std::make_shared<const RoutesFile>(parse_routes_file(text_, env_, policy_));
    } catch (const std::exception &e) {
        throw std::runtime_error("routes file " + file_.string() + ": " + e.what());
    }
    log_event(LogLevel::info, "routes_loaded",
              {{"file", file_.string()},
               {"aliases", std::to_string(current_->models().size())},
               {"deployments", std::to_string(deployment_count(*current_))},
               {"reason", "start"}});
}

std::shared_ptr<const RoutesFile> RoutesSource::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

bool RoutesSource::reload(std::string_view reason) {
    if (file_.empty()) return true;
    std::lock_guard reloading(reload_mutex_);
    std::shared_ptr<const RoutesFile> next;
    try {
        std::string text = read_routes_text(file_);
        if (text == text_) return true;
        next = std::make_shared<const RoutesFile>(parse_routes_file(text, env_, policy_));
        text_ = std::move(text);
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "routes_reload_failed",
                  {{"file", file_.string()},
                   {"reason", reason},
                   {"error", e.what()},
                   {"kept", "the last good routes"}});
        return false;
    }
    {
        std::lock_guard lock(mutex_);
        current_ = next;
    }
    log_event(LogLevel::info, "routes_loaded",
              {{"file", file_.string()},
               {"aliases", std::to_string(next->models().size())},
               {"deployments", std::to_string(deployment_count(*next))},
               {"reason", reason}});
    for (const auto &hook : hooks_) hook(*next);
    return true;
}

bool RoutesSource::watch(boost::asio::any_io_executor executor) {
    if (file_.empty()) return false;
    const std::filesystem::path dir =
        file_.has_parent_path() ? file_.parent_path() : std::filesystem::path(".");
    watch_ = watch_directory(executor, dir, "routes", [this] { reload("file changed"); });
    return watch_ != nullptr;
}

void RoutesSource::on_reload(std::function<void(const RoutesFile &)> hook) {
    std::lock_guard reloading(reload_mutex_);
    hook(*current());
    hooks_.push_back(std::move(hook));
}

}  // namespace sb::core
