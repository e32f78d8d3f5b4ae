#include "core/config/state_files.hpp"

#include "core/trusted_file.hpp"

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

[[noreturn]] void fail(const std::string &what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

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

}  // namespace

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
// someone planted), fsync, rename over the file, fsync the directory.
void write_state_file(int dir_fd, std::string_view name, const std::filesystem::path &shown_as,
                      const std::string &data) {
    const std::string target(name);
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
        tmp = target + ".tmp-" + random_suffix();
        fd = ::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) fail("cannot create a temporary file beside " + shown_as.string());
    }
    if (fd < 0) throw std::runtime_error("cannot create a temporary file beside " + shown_as.string() + ": names taken");
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
    if (::renameat(dir_fd, tmp.c_str(), dir_fd, target.c_str()) != 0) {
        int err = errno;
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        throw std::runtime_error("cannot replace " + shown_as.string() + ": " + std::strerror(err));
    }
    if (::fsync(dir_fd) != 0) fail("cannot fsync the directory of " + shown_as.string());
}

std::optional<std::string> read_state_file(int dir_fd, std::string_view name, const std::filesystem::path &shown_as) {
    int fd = ::openat(dir_fd, std::string(name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("cannot open " + shown_as.string());
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
            throw std::runtime_error("cannot read " + shown_as.string() + ": " + std::strerror(err));
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!regular) throw std::runtime_error(shown_as.string() + " is not a regular file");
    return text;
}

std::filesystem::path move_state_file_aside(int dir_fd, std::string_view name, const std::filesystem::path &shown_as) {
    auto stamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    std::string aside = std::string(name) + ".corrupt-" + stamp;
    if (::renameat(dir_fd, std::string(name).c_str(), dir_fd, aside.c_str()) != 0)
        fail(shown_as.string() + " cannot be moved aside");
    return shown_as.parent_path() / aside;
}

}  // namespace sb::core
