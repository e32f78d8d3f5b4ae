// TEMPORARY stand-in for the `sandbox` branch's confinement (which adds the
// seccomp filter): closes descriptors, clears the environment, sets the
// limits and no_new_privs, then loads the plugin. Replaced at merge.
#include "core/plugin/sandbox.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

extern char **environ;

namespace sb::core::sandbox {

void *load_confined(const std::string &plugin_path, int channel_fd, const Limits &limits) {
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd < 0) throw std::runtime_error("cannot open /dev/null");
    for (int fd = 0; fd <= 2; ++fd)
        if (fd != channel_fd && fd != null_fd) ::dup2(null_fd, fd);
    for (int fd = 3; fd < 1024; ++fd)
        if (fd != channel_fd) ::close(fd);
    if (null_fd > 2 && null_fd != channel_fd) ::close(null_fd);
    ::clearenv();
    const rlimit memory{limits.memory_bytes, limits.memory_bytes};
    const rlimit cpu{limits.cpu_seconds, limits.cpu_seconds};
    if (::setrlimit(RLIMIT_AS, &memory) != 0 || ::setrlimit(RLIMIT_CPU, &cpu) != 0)
        throw std::runtime_error("cannot set the resource limits");
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw std::runtime_error("cannot set no_new_privs");
    void *handle = ::dlopen(plugin_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = ::dlerror();
        throw std::runtime_error(std::string("cannot load shared library: ") + (why ? why : "unknown error"));
    }
    return handle;
}

}  // namespace sb::core::sandbox
