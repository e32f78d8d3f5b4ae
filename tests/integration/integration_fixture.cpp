#include "integration/integration_fixture.hpp"

#include <boost/test/results_collector.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <system_error>

namespace sb::test::it {

const json::value *find(const json::value &v, std::string_view dotted) {
    const json::value *cur = &v;
    while (!dotted.empty()) {
        auto dot = dotted.find('.');
        std::string_view step = dotted.substr(0, dot);
        dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
        if (cur->is_object()) {
            auto &obj = cur->get_object();
            auto it = obj.find(step);
            if (it == obj.end()) return nullptr;
            cur = &it->value();
        } else if (cur->is_array()) {
            std::size_t index = 0;
            for (char c : step) {
                if (c < '0' || c > '9') return nullptr;
                index = index * 10 + static_cast<std::size_t>(c - '0');
            }
            if (step.empty() || index >= cur->get_array().size()) return nullptr;
            cur = &cur->get_array()[index];
        } else {
            return nullptr;
        }
    }
    return cur;
}

std::string text(const json::value &v, std::string_view dotted) {
    const json::value *found = find(v, dotted);
    if (!found) return "<missing " + std::string(dotted) + ">";
    if (!found->is_string()) return "<not a string: " + json::serialize(*found) + ">";
    return std::string(found->get_string());
}

long array_size(const json::value &v, std::string_view dotted) {
    const json::value *found = find(v, dotted);
    return found && found->is_array() ? static_cast<long>(found->get_array().size()) : -1;
}

const json::array &items(const json::value &v, std::string_view dotted) {
    static const json::array empty;
    const json::value *found = find(v, dotted);
    return found && found->is_array() ? found->get_array() : empty;
}

bool is_true(const json::value &v, std::string_view dotted) {
    const json::value *found = find(v, dotted);
    return found && found->is_bool() && found->get_bool();
}

bool is_false(const json::value &v, std::string_view dotted) {
    const json::value *found = find(v, dotted);
    return found && found->is_bool() && !found->get_bool();
}

bool is_null_at(const json::value &v, std::string_view dotted) {
    const json::value *found = find(v, dotted);
    return found && found->is_null();
}

const json::object *find_in(const json::value *items, std::string_view key, std::string_view value) {
    if (!items || !items->is_array()) return nullptr;
    for (const auto &item : items->get_array()) {
        if (!item.is_object()) continue;
        auto it = item.get_object().find(key);
        if (it != item.get_object().end() && it->value().is_string() && it->value().get_string() == value)
            return &item.get_object();
    }
    return nullptr;
}

ClosedPort::ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        int err = errno;
        ::close(fd_);
        throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
    }
    port_ = ntohs(addr.sin_port);
}

ClosedPort::~ClosedPort() {
    if (fd_ >= 0) ::close(fd_);
}

std::string ClosedPort::base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

Harness::Harness(std::vector<std::string> plugins) {
    plugins_dir = make_plugins_dir(tmp.path() / "plugins", plugins);
    state_dir = tmp.subdir("state");
}

Harness::~Harness() {
    if (!daemon_) return;
    try {
        auto id = boost::unit_test::framework::current_test_case().p_id;
        if (!boost::unit_test::results_collector.results(id).passed())
            std::cerr << "---- daemon log (" << daemon_->log_path() << ") ----\n"
                      << daemon_->log_text() << "---- end of daemon log ----\n";
    } catch (...) {
    }
    daemon_->stop(std::chrono::milliseconds{2'000});
}

DaemonProcess &Harness::start(Env env) {
    if (daemon_) daemon_->stop();
    daemon_.reset();
    DaemonOptions options;
    options.plugins_dir = plugins_dir;
    options.state_dir = state_dir;
    options.home_dir = tmp.path() / "home";
    options.env = std::move(env);
    options.extra_args = extra_args;
    daemon_ = std::make_unique<DaemonProcess>(std::move(options));
    return *daemon_;
}

int Harness::stop() {
    if (!daemon_) return -1;
    return daemon_->stop();
}

DaemonProcess &Harness::daemon() {
    if (!daemon_) throw std::logic_error("daemon not started");
    return *daemon_;
}

TestHttpClient Harness::client(std::chrono::milliseconds timeout) const {
    if (!daemon_) throw std::logic_error("daemon not started");
    return TestHttpClient("127.0.0.1", daemon_->port(), timeout);
}

TestHttpResponse Harness::get(std::string_view target) const { return client().get(target); }
TestHttpResponse Harness::post(std::string_view target, std::string_view body) const {
    return client().post(target, body);
}
TestHttpResponse Harness::post_json(std::string_view target, const json::value &body) const {
    return client().post_json(target, body);
}
std::string Harness::log_text() const { return daemon_ ? daemon_->log_text() : std::string(); }

json::value Harness::config() const {
    auto r = get(config_path);
    BOOST_TEST_REQUIRE(r.status == 200u, "GET config: " << r.status << " " << r.body);
    return r.json();
}

void check_error(const TestHttpResponse &r, unsigned status, std::string_view type, std::string_view code) {
    BOOST_TEST(r.status == status, "status " << r.status << " (want " << status << "), body: " << r.body);
    json::value body;
    try {
        body = r.json();
    } catch (const std::exception &e) {
        BOOST_TEST(false, "error body is not JSON: " << e.what());
        return;
    }
    BOOST_TEST(text(body, "error.message").rfind("<", 0) != 0, "error.message missing: " << r.body);
    BOOST_TEST(text(body, "error.type") == type, "error.type in " << r.body);
    if (!code.empty()) BOOST_TEST(text(body, "error.code") == code, "error.code in " << r.body);
    BOOST_TEST(r.header("Content-Type").find("application/json") != std::string::npos,
               "Content-Type: " << r.header("Content-Type"));
}

json::object chat_body(std::string_view model) {
    json::object body{{"messages", json::array{json::object{{"role", "user"}, {"content", "ping"}}}}};
    if (!model.empty()) body["model"] = model;
    return body;
}

int connect_to(unsigned short port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_TEST_REQUIRE(fd >= 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
    return fd;
}

bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string recv_until(int fd, std::string_view marker, std::chrono::milliseconds limit) {
    std::string got;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while ((marker.empty() || got.find(marker) == std::string::npos) && std::chrono::steady_clock::now() < deadline) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

long daemon_rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

}  // namespace sb::test::it
