#pragma once
// Who may have written a file the daemon trusts with code or secrets: a
// plugin and its directory, the state dir, the admin token and client keys.
// Each must belong to the daemon's user (or root, where root may own it) and
// be writable by neither its group nor others; otherwise another local user
// could put code into the process or read and replace its keys.
#include <filesystem>
#include <optional>
#include <string>
#include <sys/stat.h>

namespace sb::core {

enum class TrustedOwners {
    daemon_user,          // the state dir: the daemon writes in it
    root_or_daemon_user,  // plugins, secret files: installed by root or by the daemon's user
};

// Why st could have been written by someone else, or nullopt. The reason
// reads after the file's name: "is writable by group or others (mode 0775)".
std::optional<std::string> untrusted_because(const struct ::stat &st, TrustedOwners owners);
// The same for path, following links.
std::optional<std::string> untrusted_because(const std::filesystem::path &path, TrustedOwners owners);

// For a file holding a secret (admin token, client keys): logs a warning
// (event untrusted_secret_file) naming it, the reason and the fix when it is
// not trusted; returns whether it is.
bool warn_unless_trusted_secret(const std::filesystem::path &file);

}  // namespace sb::core
