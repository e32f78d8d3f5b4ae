#include "core/directory_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <string>

#include "core/log.hpp"

namespace sb::core {

class DirectoryWatch {
public:
    DirectoryWatch(boost::asio::any_io_executor ex, int fd) : descriptor(ex, fd) {}
    boost::asio::posix::stream_descriptor descriptor;
};

std::shared_ptr<DirectoryWatch> watch_directory(boost::asio::any_io_executor executor,
                                                const std::filesystem::path &dir,
                                                std::string_view what,
                                                std::function<void()> on_change) {
    const std::string event = std::string(what) + "_watch_unavailable";
    int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        log_event(LogLevel::warn, event, {{"reason", "inotify_init1 failed"}});
        return nullptr;
    }
    constexpr uint32_t kMask =
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB;
    if (::inotify_add_watch(fd, dir.c_str(), kMask) < 0) {
        ::close(fd);
        log_event(LogLevel::warn, event,
                  {{"dir", dir.string()}, {"reason", "cannot watch the directory"}});
        return nullptr;
    }
    auto watch = std::make_shared<DirectoryWatch>(executor, fd);
    watch->descriptor.non_blocking(true);  // the settle loop drains without blocking
    boost::asio::co_spawn(
        executor,
        [watch, on_change = std::move(on_change)]() -> boost::asio::awaitable<void> {
            std::array<char, 16 * 1024> events;
            boost::asio::steady_timer settle(watch->descriptor.get_executor());
            for (;;) {
                boost::system::error_code ec;
                co_await watch->descriptor.async_read_some(
                    boost::asio::buffer(events),
                    boost::asio::redirect_error(boost::asio::use_awaitable, ec));
                if (ec) co_return;
                // Copying a file raises several events: wait until it settles.
                for (;;) {
                    settle.expires_after(std::chrono::milliseconds(250));
                    co_await settle.async_wait(
                        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
                    boost::system::error_code read_ec;
                    std::size_t more =
                        watch->descriptor.read_some(boost::asio::buffer(events), read_ec);
                    if (read_ec || more == 0) break;
                }
                on_change();
            }
        },
        boost::asio::detached);
    return watch;
}

}  // namespace sb::core
