#pragma once
// Calls back shortly after a directory's entries change (inotify): a file
// written, renamed in or out, created, deleted, or its mode changed. Bursts
// of events (a copy, an editor's save) are settled into one call. Shared by
// the plugins directory and the routes file, which watches its directory so
// that an editor's rename-over-save is seen too.
#include <boost/asio/any_io_executor.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

namespace sb::core {

class DirectoryWatch;

// Starts watching dir on executor; on_change runs on that executor after
// each settled burst. Returns the watch (it lives while the executor runs
// it; the returned handle only keeps it reachable), or nullptr after logging
// `<what>_watch_unavailable` when inotify cannot watch dir.
std::shared_ptr<DirectoryWatch> watch_directory(boost::asio::any_io_executor executor,
                                                const std::filesystem::path &dir,
                                                std::string_view what,
                                                std::function<void()> on_change);

}  // namespace sb::core
