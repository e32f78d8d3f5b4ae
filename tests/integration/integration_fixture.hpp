#pragma once
// Shared set-up for the end-to-end suites: a temporary tree (plugins dir,
// state dir), a mock OpenAI vendor, and the real daemon started on demand.
#include "support/daemon_process.hpp"
#include "support/mock_openai_upstream.hpp"
#include "support/test_http_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sb::test::it {

namespace json = boost::json;
namespace fs = std::filesystem;

using Env = std::map<std::string, std::string>;

inline constexpr std::string_view providers_path = "/api/backdoor/llm/providers";
inline constexpr std::string_view models_path = "/api/backdoor/llm/models";
inline constexpr std::string_view config_path = "/api/backdoor/llm/config";
inline constexpr std::string_view test_path = "/api/backdoor/llm/test";
inline constexpr std::string_view chat_path = "/v1/chat/completions";
inline constexpr std::string_view v1_models_path = "/v1/models";

inline std::vector<std::string> standard_plugins() {
    return {"switchboard-openai.so", "switchboard-custom.so", "c_echo.so"};
}

// The path `dotted` ("error.type", "choices.0.message.content") inside v, or
// nullptr when any step is missing.
const json::value *find(const json::value &v, std::string_view dotted);
// The string at `dotted`, or a marker ("<missing error.type>", "<not a
// string: 5>") that never equals an expected value.
std::string text(const json::value &v, std::string_view dotted);
// Size of the array at `dotted`, -1 when it is not an array.
long array_size(const json::value &v, std::string_view dotted);
// The array at `dotted`, or an empty array.
const json::array &items(const json::value &v, std::string_view dotted);
// Whether the value at `dotted` is the boolean true (false).
bool is_true(const json::value &v, std::string_view dotted);
bool is_false(const json::value &v, std::string_view dotted);
bool is_null_at(const json::value &v, std::string_view dotted);
// The element of array `items` whose `key` equals `value`, or nullptr.
const json::object *find_in(const json::value *items, std::string_view key, std::string_view value);

// A port on 127.0.0.1 that refuses connections for as long as this object
// lives: a socket is bound to it but never listens, so no other process on
// the machine can take the port over meanwhile (and a client cannot
// self-connect to it).
class ClosedPort {
public:
    ClosedPort();
    ~ClosedPort();
    ClosedPort(const ClosedPort &) = delete;
    ClosedPort &operator=(const ClosedPort &) = delete;
    unsigned short port() const noexcept { return port_; }
    std::string base_url() const;  // "http://127.0.0.1:PORT/v1"

private:
    int fd_ = -1;
    unsigned short port_ = 0;
};

class Harness {
public:
    explicit Harness(std::vector<std::string> plugins = standard_plugins());
    ~Harness();

    // Starts the daemon (stopping a running one first) with the given
    // environment on this harness's plugins and state dirs.
    DaemonProcess &start(Env env = {});
    // Stops the daemon; returns its exit status.
    int stop();
    DaemonProcess &daemon();
    bool has_daemon() const { return daemon_ != nullptr; }

    TestHttpClient client(std::chrono::milliseconds timeout = std::chrono::milliseconds{15'000}) const;
    TestHttpResponse get(std::string_view target) const;
    TestHttpResponse post(std::string_view target, std::string_view body) const;
    TestHttpResponse post_json(std::string_view target, const json::value &body) const;
    std::string log_text() const;

    // The full config document, as GET returns it.
    json::value config() const;

    TempDir tmp{"sb-it"};
    MockOpenAiUpstream mock;
    fs::path plugins_dir;
    fs::path state_dir;
    std::vector<std::string> extra_args;  // more daemon flags for start()

private:
    std::unique_ptr<DaemonProcess> daemon_;
};

// Asserts `r` is an error response in the documented shape.
void check_error(const TestHttpResponse &r, unsigned status, std::string_view type,
                 std::string_view code = {});

// A minimal chat request body.
json::object chat_body(std::string_view model = {});

// Raw sockets, for tests that control the reading or the closing.
// A blocking socket connected to 127.0.0.1:port, with a 5 s receive timeout.
int connect_to(unsigned short port);
// Sends all of bytes; false when the peer is gone.
bool send_all(int fd, std::string_view bytes);
// What arrives on fd until `marker` has (empty: until the end), or `limit`.
std::string recv_until(int fd, std::string_view marker, std::chrono::milliseconds limit);

// The resident memory of process pid in KiB (VmRSS), -1 when unknown.
long daemon_rss_kib(pid_t pid);

}  // namespace sb::test::it
