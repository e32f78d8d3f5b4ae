// How a plugin is loaded so that even its constructors run confined
// (docs/security.md, "Isolated plugins"):
//
// Two seccomp filters are stacked. The serving filter is what the helper keeps
// for its whole life: I/O on the channel only, memory without PROT_EXEC,
// clocks, exit. Under it the dynamic loader could not open and map the plugin,
// so before dlopen a wider loading filter goes on first. It adds what ld.so
// needs to map one file (read/close/mmap/mprotect of any kind) and sends the
// two path-taking calls ld.so makes, openat and newfstatat, to a supervisor
// process (SECCOMP_RET_USER_NOTIF). The supervisor, forked before any filter
// and never running plugin code, lets exactly one openat through: read-only,
// of exactly the plugin's path, read out of the helper's memory. That open
// happens inside dlopen before any code of the plugin runs (constructors and
// IFUNC resolvers come after mapping), so every open the plugin itself tries
// is refused. newfstatat goes through only with an empty path (fstat of an
// open descriptor). The confined process is single-threaded and may not
// clone, so nothing can change the checked path while it waits in the call.
// Once dlopen returns, the helper ends the supervisor and installs the
// serving filter; a stack of filters takes the strictest answer, so from then
// on the loading filter's extra rights are gone.
#include "core/plugin/sandbox.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

extern char **environ;

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

namespace sb::core::sandbox {
namespace {

[[noreturn]] void fail(const std::string &what, int error = errno) {
    throw std::runtime_error("sandbox: " + what +
                             (error ? std::string(": ") + std::strerror(error) : ""));
}

// The fields of /proc/self/stat after the command name (which may hold
// spaces and parentheses), numbered as proc(5) numbers them.
std::vector<std::string> own_stat_fields() {
    std::FILE *f = std::fopen("/proc/self/stat", "re");
    if (!f) fail("cannot read /proc/self/stat");
    char buf[4096];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char *p = std::strrchr(buf, ')');
    if (!p) fail("cannot parse /proc/self/stat", 0);
    std::vector<std::string> fields(3);  // 1 pid, 2 comm: not kept
    for (const char *q = p + 1; *q;) {
        while (*q == ' ' || *q == '\n') ++q;
        const char *start = q;
        while (*q && *q != ' ' && *q != '\n') ++q;
        if (q > start) fields.emplace_back(start, q);
    }
    return fields;
}

// A second thread would run unconfined (the filter is per thread) and could
// rewrite a path the supervisor has just checked.
void require_single_thread(const std::vector<std::string> &stat) {
    if (stat.size() <= 20 || stat[20] != "1")
        fail("load_confined must be called while the process has one thread", 0);
}

// The plugin must not inherit a socket, a log file or a pipe of the daemon.
void keep_only_descriptor(int channel_fd) {
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) fail("cannot open /dev/null");
    for (int fd = 0; fd <= 2; ++fd)
        if (::dup2(null_fd, fd) < 0) fail("cannot redirect standard descriptors");
    if (channel_fd > 3 && ::close_range(3, channel_fd - 1, 0) != 0) fail("close_range");
    if (::close_range(channel_fd + 1, ~0U, 0) != 0) fail("close_range");
}

// clearenv() only drops the pointers: the strings themselves, and the
// process's initial environment block (what /proc/self/environ shows, and
// what a plugin finds by scanning the top of its stack), stay readable. Zero
// them all first.
void wipe_environment(const std::vector<std::string> &stat) {
    for (char **e = environ; e && *e; ++e) ::explicit_bzero(*e, std::strlen(*e));
    ::clearenv();
    if (stat.size() > 51) {  // 50 env_start, 51 env_end (Linux 3.5+)
        auto start = std::strtoull(stat[50].c_str(), nullptr, 10);
        auto end = std::strtoull(stat[51].c_str(), nullptr, 10);
        if (start && end > start)
            ::explicit_bzero(reinterpret_cast<void *>(static_cast<std::uintptr_t>(start)),
                             end - start);
    }
}

void set_limit(int resource, rlim_t soft, rlim_t hard, const char *name) {
    struct rlimit limit {
        soft, hard
    };
    if (::setrlimit(resource, &limit) != 0) fail(std::string("cannot set ") + name);
}

void set_limits(const Limits &limits) {
    set_limit(RLIMIT_AS, limits.memory_bytes, limits.memory_bytes, "RLIMIT_AS");
    // SIGXCPU at the limit (it terminates), SIGKILL a second later.
    const rlim_t cpu = limits.cpu_seconds;
    set_limit(RLIMIT_CPU, cpu, cpu + 1, "RLIMIT_CPU");
    set_limit(RLIMIT_CORE, 0, 0, "RLIMIT_CORE");    // a crash writes no core file
    set_limit(RLIMIT_FSIZE, 0, 0, "RLIMIT_FSIZE");  // nor any other file
}

struct FilterDeleter {
    void operator()(void *ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

void add(const Filter &f, uint32_t action, int syscall,
         std::initializer_list<scmp_arg_cmp> args = {}) {
    int rc = seccomp_rule_add_array(f.get(), action, syscall, static_cast<unsigned>(args.size()),
                                    args.size() ? args.begin() : nullptr);
    if (rc != 0) fail("cannot add seccomp rule for syscall " + std::to_string(syscall), -rc);
}

struct Ids {
    int channel_fd;
    pid_t self;
    int handoff_fd = -1;   // loading only: where the listener goes
    pid_t supervisor = 0;  // loading only
};

// Everything not added here fails with EPERM. loading: the wider filter
// under which dlopen runs (see the top of the file).
Filter build_filter(const Ids &ids, bool loading) {
    Filter f(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
    if (!f) fail("seccomp_init failed", 0);
    // no_new_privs is set by load_confined itself, before either filter.
    if (int rc = seccomp_attr_set(f.get(), SCMP_FLTATR_CTL_NNP, 0); rc != 0)
        fail("seccomp_attr_set", -rc);
    // A system call of another ABI (32-bit int 0x80, x32) ends the process.
    if (int rc = seccomp_attr_set(f.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0)
        fail("seccomp_attr_set", -rc);
    const auto channel = SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(ids.channel_fd));
    for (int nr : {SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(readv), SCMP_SYS(recvmsg),
                   SCMP_SYS(sendmsg), SCMP_SYS(recvfrom), SCMP_SYS(sendto)})
        add(f, SCMP_ACT_ALLOW, nr, {channel});
    for (int nr : {SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
                   SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
                   SCMP_SYS(time), SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(sched_yield),
                   SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall),
                   SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(exit), SCMP_SYS(exit_group)})
        add(f, SCMP_ACT_ALLOW, nr);
    // abort() signals itself; no other process may be signalled.
    add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill),
        {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(ids.self)),
         SCMP_A1(SCMP_CMP_EQ, static_cast<scmp_datum_t>(ids.self))});
    if (!loading) {
        add(f, SCMP_ACT_ALLOW, SCMP_SYS(read), {channel});
        // Anonymous memory, never executable: no new code after the load.
        add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap),
            {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
             SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS)});
        add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)});
        return f;
    }
    // What ld.so does to map one file: the descriptors that exist are the
    // channel, /dev/null, the handoff socket and the one the supervisor lets
    // it open, so reading or closing any of them gives nothing new.
    for (int nr : {SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(close), SCMP_SYS(fstat),
                   SCMP_SYS(mmap), SCMP_SYS(mprotect)})
        add(f, SCMP_ACT_ALLOW, nr);
    add(f, SCMP_ACT_NOTIFY, SCMP_SYS(openat));
    add(f, SCMP_ACT_NOTIFY, SCMP_SYS(newfstatat));
    add(f, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg),
        {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(ids.handoff_fd))});
    add(f, SCMP_ACT_ALLOW, SCMP_SYS(wait4),
        {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(ids.supervisor))});
    // To put the serving filter on top (a filter only ever narrows).
    add(f, SCMP_ACT_ALLOW, SCMP_SYS(seccomp),
        {SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER), SCMP_A1(SCMP_CMP_EQ, 0)});
    return f;
}

// The serving filter as BPF, compiled before any filter is on so that
// installing it later is one system call.
std::vector<sock_filter> export_bpf(const Filter &f) {
    int fd = ::memfd_create("sb-seccomp", MFD_CLOEXEC);
    if (fd < 0) fail("memfd_create");
    std::vector<sock_filter> program;
    int rc = seccomp_export_bpf(f.get(), fd);
    off_t size = rc == 0 ? ::lseek(fd, 0, SEEK_END) : -1;
    if (size > 0 && size % sizeof(sock_filter) == 0) {
        program.resize(size / sizeof(sock_filter));
        if (::pread(fd, program.data(), size, 0) != size) program.clear();
    }
    ::close(fd);
    if (program.empty()) fail("cannot export the seccomp filter", rc ? -rc : 0);
    return program;
}

// ---------------------------------------------------------------- supervisor

bool read_remote(pid_t pid, std::uint64_t address, void *into, size_t len) {
    struct iovec local {
        into, len
    };
    struct iovec remote {
        reinterpret_cast<void *>(static_cast<std::uintptr_t>(address)), len
    };
    return ::process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(len);
}

// Whether one notified call may go on (opened: the plugin's one open has
// been let through). Runs in the supervisor, never in the confined process.
bool may_continue(const seccomp_notif &call, const std::string &plugin_path, bool opened) {
    if (call.data.nr == SCMP_SYS(openat)) {
        if (opened) return false;
        const auto flags = call.data.args[2] & ~static_cast<std::uint64_t>(O_CLOEXEC | O_LARGEFILE);
        if (flags != O_RDONLY) return false;
        std::string path(plugin_path.size() + 1, '\x01');
        if (!read_remote(call.pid, call.data.args[1], path.data(), path.size())) return false;
        return path.compare(0, plugin_path.size(), plugin_path) == 0 && path.back() == '\0';
    }
    // fstat(fd), as glibc spells it: newfstatat(fd, "", AT_EMPTY_PATH).
    if (call.data.nr == SCMP_SYS(newfstatat)) {
        char first = 1;
        return (call.data.args[3] & AT_EMPTY_PATH) &&
               read_remote(call.pid, call.data.args[1], &first, 1) && first == '\0';
    }
    return false;
}

[[noreturn]] void supervise(int handoff, const std::string &plugin_path, pid_t confined) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != confined) ::_exit(1);
    ::close_range(0, handoff - 1, 0);
    ::close_range(handoff + 1, ~0U, 0);
    // The listener arrives over the handoff socket; its end (EOF) means the
    // plugin is loaded.
    char byte;
    struct iovec iov {
        &byte, 1
    };
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(handoff, &msg, 0) <= 0) ::_exit(0);
    cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) ::_exit(1);
    int listener;
    std::memcpy(&listener, CMSG_DATA(cmsg), sizeof listener);

    seccomp_notif *call = nullptr;
    seccomp_notif_resp *answer = nullptr;
    if (seccomp_notify_alloc(&call, &answer) != 0) ::_exit(1);
    bool opened = false;
    for (;;) {
        pollfd fds[2] = {{listener, POLLIN, 0}, {handoff, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            ::_exit(1);
        }
        if (fds[1].revents) ::_exit(0);  // loaded (or the helper is gone)
        if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) ::_exit(0);
        if (!(fds[0].revents & POLLIN)) continue;
        std::memset(call, 0, sizeof *call);
        if (seccomp_notify_receive(listener, call) != 0) continue;  // e.g. the call was interrupted
        bool go_on = may_continue(*call, plugin_path, opened);
        // The path was read from a process that may have changed since; the
        // id is still valid only if it is still waiting in that same call.
        if (go_on && seccomp_notify_id_valid(listener, call->id) != 0) continue;
        if (go_on && call->data.nr == SCMP_SYS(openat)) opened = true;
        std::memset(answer, 0, sizeof *answer);
        answer->id = call->id;
        if (go_on)
            answer->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        else
            answer->error = -EPERM;
        seccomp_notify_respond(listener, answer);
    }
}

void send_descriptor(int socket, int fd) {
    char byte = 0;
    struct iovec iov {
        &byte, 1
    };
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    if (::sendmsg(socket, &msg, MSG_NOSIGNAL) != 1) fail("cannot hand the seccomp listener over");
}

}  // namespace

void *load_confined(const std::string &plugin_path, int channel_fd, const Limits &limits) {
    if (channel_fd < 3) fail("the channel must not be a standard descriptor", 0);
    if (plugin_path.empty()) fail("no plugin path", 0);
    // ld.so opens a name with a slash as given (relative to a working
    // directory the plugin cannot change); the supervisor compares it byte
    // for byte.
    std::error_code ec;
    const std::string path = std::filesystem::absolute(plugin_path, ec).string();
    if (ec) fail("cannot make the plugin path absolute", ec.value());
    {
        const auto stat = own_stat_fields();
        require_single_thread(stat);
        keep_only_descriptor(channel_fd);
        wipe_environment(stat);
    }
    Ids ids{channel_fd, ::getpid()};
    const std::vector<sock_filter> serving = export_bpf(build_filter(ids, false));
    set_limits(limits);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("cannot set no_new_privs");

    int handoff[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, handoff) != 0) fail("socketpair");
    pid_t supervisor = ::fork();
    if (supervisor < 0) fail("cannot start the load supervisor");
    if (supervisor == 0) supervise(handoff[1], path, ids.self);
    ::close(handoff[1]);
    // Where Yama restricts ptrace to ancestors, let the supervisor read our
    // memory (no Yama: EINVAL, nothing to do).
    ::prctl(PR_SET_PTRACER, supervisor, 0, 0, 0);
    ids.handoff_fd = handoff[0];
    ids.supervisor = supervisor;

    {
        Filter loading = build_filter(ids, true);
        if (int rc = seccomp_load(loading.get()); rc != 0)
            fail("cannot install the loading filter", -rc);
        int listener = seccomp_notify_fd(loading.get());
        if (listener < 0) fail("no seccomp listener", -listener);
        // From here on the process is confined.
        send_descriptor(handoff[0], listener);
        ::close(listener);
    }
    void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    std::string load_error = handle ? "" : ::dlerror();
    ::close(handoff[0]);
    int status = 0;
    while (::waitpid(supervisor, &status, 0) < 0 && errno == EINTR) {
    }
    sock_fprog program{static_cast<unsigned short>(serving.size()),
                       const_cast<sock_filter *>(serving.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
        fail("cannot install the serving filter");
    if (!handle) fail("cannot load the plugin: " + load_error, 0);
    return handle;
}

}  // namespace sb::core::sandbox
