#pragma once
// The admin console's files, compiled into the daemon: the definitions are
// generated at build time from host/ui/ by embed_assets.cmake.
#include <span>
#include <string_view>

namespace sb::host::ui {

struct Asset {
    std::string_view path;          // as requested: "/", "/ui/app.js", ...
    std::string_view content_type;  // "text/html", ...: every file is UTF-8 text
    std::string_view body;          // the file's bytes, as on disk
};

std::span<const Asset> assets();

}  // namespace sb::host::ui
