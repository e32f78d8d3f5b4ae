#pragma once
// A real redis-server (Debian's, from PATH or /usr/bin) for the shared-store
// tests: on 127.0.0.1, on a port free when it starts, no persistence (no RDB,
// no AOF), its files in a directory of the test's. The destructor kills it.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace sb::test {

class RedisServer {
public:
    explicit RedisServer(std::filesystem::path dir);
    ~RedisServer();
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    unsigned short port() const noexcept { return port_; }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

    // SIGKILL, as a crash would (and, with no persistence, its data is gone).
    void kill();
    // Starts it again on the same port; returns once it answers PING.
    void start();
    bool running() const noexcept { return pid_ > 0; }

    // One command through hiredis; the reply as text (an integer in
    // decimal, nil as ""). Throws when the server does not answer.
    std::string command(const std::vector<std::string> &args) const;

private:
    std::filesystem::path dir_;
    unsigned short port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace sb::test
