#include "core/plugin/plugin_reloader.hpp"

#include "core/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <sys/inotify.h>
#include <unistd.h>

namespace sb::core {
namespace {

std::string join(const std::vector<std::string> &ids) {
    std::string out;
    for (const auto &id : ids) out += (out.empty() ? "" : ",") + id;
    return out.empty() ? "-" : out;
}

}  // namespace

ReloadSummary PluginReloader::reload(std::string_view reason) {
    std::lock_guard lock(mutex_);
    auto before = registry_.current();
    ProviderSet after = load_plugins_dir(dir_, before.get());
    ReloadSummary summary = compare_provider_sets(*before, after);
    registry_.replace(std::move(after));
    log_event(LogLevel::info, "plugins_reloaded",
              {{"reason", reason},
               {"added", join(summary.added)},
               {"replaced", join(summary.replaced)},
               {"removed", join(summary.removed)},
               {"kept_after_failure", join(summary.kept_after_failure)}});
    return summary;
}

struct PluginReloader::Watch {
    boost::asio::posix::stream_descriptor descriptor;
    explicit Watch(boost::asio::any_io_executor ex, int fd) : descriptor(ex, fd) {}
};

bool PluginReloader::watch(boost::asio::any_io_executor executor) {
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        log_event(LogLevel::warn, "plugins_watch_unavailable", {{"reason", "inotify_init1 failed"}});
        return false;
    }
    constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB;
    if (::inotify_add_watch(fd, dir_.c_str(), kMask) < 0) {
        ::close(fd);
        log_event(LogLevel::warn, "plugins_watch_unavailable",
                  {{"dir", dir_.string()}, {"reason", "cannot watch the directory"}});
        return false;
    }
    watch_ = std::make_shared<Watch>(executor, fd);
    watch_->descriptor.non_blocking(true);  // the settle loop drains without blocking
    auto watch = watch_;
    boost::asio::co_spawn(
        executor,
        [this, watch]() -> boost::asio::awaitable<void> {
            std::array<char, 16 * 1024> events;
            boost::asio::steady_timer settle(watch->descriptor.get_executor());
            for (;;) {
                boost::system::error_code ec;
                co_await watch->descriptor.async_read_some(boost::asio::buffer(events),
                                                           boost::asio::redirect_error(boost::asio::use_awaitable, ec));
                if (ec) co_return;
                // Copying a file raises several events: wait until it settles.
                for (;;) {
                    settle.expires_after(std::chrono::milliseconds(250));
                    co_await settle.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
                    boost::system::error_code read_ec;
                    std::size_t more = watch->descriptor.read_some(boost::asio::buffer(events), read_ec);
                    if (read_ec || more == 0) break;
                }
                reload("directory changed");
            }
        },
        boost::asio::detached);
    log_event(LogLevel::info, "plugins_watching", {{"dir", dir_.string()}});
    return true;
}

}  // namespace sb::core
