#include "core/trusted_file.hpp"

#include "core/log.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace sb::core {

std::optional<std::string> untrusted_because(const struct ::stat &st, TrustedOwners owners) {
    const uid_t self = ::geteuid();
    const bool root_ok = owners == TrustedOwners::root_or_daemon_user;
    if (st.st_uid != self && !(root_ok && st.st_uid == 0))
        return "is owned by uid " + std::to_string(st.st_uid) + ", not by " + (root_ok ? "root or " : "") +
               "the daemon's user (uid " + std::to_string(self) + ")";
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return std::string("is writable by group or others (mode ") + mode + ")";
    }
    return std::nullopt;
}

std::optional<std::string> untrusted_because(const std::filesystem::path &path, TrustedOwners owners) {
    struct ::stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::string("cannot be checked: ") + std::strerror(errno);
    return untrusted_because(st, owners);
}

bool warn_unless_trusted_secret(const std::filesystem::path &file) {
    auto why = untrusted_because(file, TrustedOwners::root_or_daemon_user);
    if (!why) return true;
    log_event(LogLevel::warn, "untrusted_secret_file",
              {{"file", file.string()}, {"reason", *why}, {"fix", "chown it to the daemon's user and chmod 600 it"}});
    return false;
}

}  // namespace sb::core
