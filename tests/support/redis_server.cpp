#include "support/redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

#include "core/store/redis_client.hpp"

namespace sb::test {
namespace {

unsigned short free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        if (fd >= 0) ::close(fd);
        throw std::runtime_error("no free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string redis_server_path() {
    for (const char *p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
        if (::access(p, X_OK) == 0) return p;
    throw std::runtime_error(
        "redis-server not found: run scripts/install-deps.sh (Debian's redis-server)");
}

}  // namespace

RedisServer::RedisServer(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    port_ = free_port();
    start();
}

RedisServer::~RedisServer() { kill(); }

void RedisServer::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

void RedisServer::start() {
    if (pid_ > 0) return;
    const std::string exe = redis_server_path();
    const std::string port = std::to_string(port_);
    const std::string log = (dir_ / "redis.log").string();
    std::vector<std::string> args{exe, "--port",       port, "--bind", "127.0.0.1",   "--save",
                                  "",  "--appendonly", "no", "--dir",  dir_.string(), "--logfile",
                                  log, "--daemonize",  "no"};
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::setpgid(0, 0);
        std::vector<char *> argv;
        for (auto &a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
    }
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    sb::core::RedisClient probe({"127.0.0.1", port_});
    while (!probe.probe()) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("redis-server exited at start; see " + log);
        }
        if (std::chrono::steady_clock::now() > deadline) {
            kill();
            throw std::runtime_error("redis-server did not answer within 10 s; see " + log);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string RedisServer::command(const std::vector<std::string> &args) const {
    sb::core::RedisClient client({"127.0.0.1", port_}, std::chrono::milliseconds(2'000));
    if (!client.probe()) throw std::runtime_error("redis-server does not answer");
    auto reply = client.command(args);
    if (reply.type == sb::core::RedisReply::Type::integer) return std::to_string(reply.integer);
    return reply.text;
}

}  // namespace sb::test
