#pragma once
// Reading the hostile test plugin's reports (hostile.c): "name=value;" pairs,
// the errno of each attempt (0: it succeeded). Shared by the sandbox unit test
// and the daemon-level isolation test, with the listener it is told to try.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sb::test::hostile {

inline std::map<std::string, long> parse_report(const std::string &text) {
    std::map<std::string, long> out;
    std::istringstream in(text);
    for (std::string pair; std::getline(in, pair, ';');) {
        auto eq = pair.find('=');
        if (eq != std::string::npos) out[pair.substr(0, eq)] = std::stol(pair.substr(eq + 1));
    }
    return out;
}

// The report between "<label>[" and "]" in an answer's content
// ("ctor[...] call[...]"), or "".
inline std::string bracketed(const std::string &answer, const std::string &label) {
    auto start = answer.find(label + "[");
    if (start == std::string::npos) return {};
    start += label.size() + 1;
    return answer.substr(start, answer.find(']', start) - start);
}

// Every attempt of one report was refused (a nonzero errno) and nothing of
// the environment was visible. mmap_exec only where check_exec: the
// constructor runs under the loading filter, which lets ld.so map code.
inline void check_refused(const std::string &where, const std::string &text, bool check_exec) {
    BOOST_TEST_CONTEXT(where << ": " << text) {
        auto r = parse_report(text);
        BOOST_TEST_REQUIRE(r.size() >= 16u);
        for (const char *zero : {"env_vars", "env_keys", "proc_environ_keys", "stack_keys"})
            BOOST_TEST(r.at(zero) == 0, zero);
        for (const char *refused :
             {"proc_environ", "open_passwd", "open_self", "sys_open", "open_plugins_dir",
              "create_file", "stat_passwd", "socket", "fork", "posix_spawn", "execve"})
            BOOST_TEST(r.at(refused) != 0, refused);
        if (check_exec) BOOST_TEST(r.at("mmap_exec") != 0);
        BOOST_TEST(!r.count("connect"));  // no socket, so no connection tried
    }
}

// A loopback listener the plugin is told to connect to ("hostile_port").
class TrapListener {
public:
    TrapListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
            ::listen(fd_, 8) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len) != 0)
            throw std::runtime_error("cannot open the trap listener");
        port_ = ntohs(a.sin_port);
    }
    ~TrapListener() { ::close(fd_); }
    TrapListener(const TrapListener &) = delete;
    TrapListener &operator=(const TrapListener &) = delete;

    int port() const noexcept { return port_; }
    // Whether a connection is waiting (or was accepted just now).
    bool saw_connection() const {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) ::close(c);
        return c >= 0;
    }

private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace sb::test::hostile
