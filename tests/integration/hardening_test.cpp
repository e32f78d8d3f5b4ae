// Issue #15 through the real daemon: an api_base host holding encoded NUL or
// CR/LF, a state dir others may write, plugins and secret files others may
// write, and a refused plugin retried on every reload.
#include "integration/integration_fixture.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string kInjection = "http://localhost%00%0d%0aX-Injected%3a%20yes%0d%0a.api.openai.com:5201/v1";
const std::string kTlsBypass = "https://evil.example.net%00.api.openai.com/v1";
constexpr std::string_view reload_path = "/api/backdoor/llm/plugins/reload";

std::size_t count(const std::string &haystack, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

// `switchboard plugin check FILE`: {exit code, output}.
std::pair<int, std::string> plugin_check(const fs::path &file) {
    const std::string command = std::string(SB_DAEMON_PATH) + " plugin check '" + file.string() + "' 2>&1";
    FILE *pipe = ::popen(command.c_str(), "r");
    BOOST_TEST_REQUIRE(pipe != nullptr);
    std::string output;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// The start-up failure of a daemon that must refuse to start.
std::string refused_start(Harness &h) {
    try {
        h.start();
    } catch (const std::runtime_error &e) {
        return e.what();
    }
    BOOST_TEST(false, "the daemon started");
    return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_base_one_host)

// The allowlist judged the decoded host ("... .api.openai.com" matches
// *.openai.com) while the resolver cut it at the NUL and the Host line
// carried the CR/LF.
BOOST_AUTO_TEST_CASE(encoded_bytes_in_the_host_are_a_400_and_nothing_is_stored, *utf::timeout(120)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-one-host-key-0000000000"},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_API_BASE_ALLOWLIST", "*.openai.com,127.0.0.1"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "1500"}});
    for (const auto &base : {kInjection, kTlsBypass}) {
        BOOST_TEST_CONTEXT(base) {
            auto cfg = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_base", base}});
            check_error(cfg, 400, "invalid_request_error");
            BOOST_TEST(cfg.body.find("percent-encoded") != std::string::npos, cfg.body);
            auto test = h.post_json(test_path, json::object{{"provider", "openai"}, {"api_base", base}});
            check_error(test, 400, "invalid_request_error");
        }
    }
    auto cfg = h.config();
    BOOST_TEST(text(cfg, "providers.openai.api_base") == h.mock.base_url(), json::serialize(cfg));
    BOOST_TEST(h.mock.chat_requests().empty());
    BOOST_TEST(h.log_text().find("X-Injected") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_encoded_host_from_the_environment_is_refused_at_use, *utf::timeout(120)) {
    Harness h;
    // Cut at the NUL this is the mock itself: nothing may reach it.
    const std::string base = "http://localhost%00%0d%0aX-Injected%3a%20yes%0d%0a.api.openai.com:" +
                             std::to_string(h.mock.port()) + "/v1";
    h.start({{"OPENAI_API_KEY", "sk-test-one-host-key-0000000000"},
             {"OPENAI_API_BASE", base},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "1500"}});
    auto chat = h.post_json(chat_path, chat_body());
    check_error(chat, 502, "upstream_error", "api_base_incorrect");
    BOOST_TEST(chat.body.find("percent-encoded") != std::string::npos, chat.body);
    BOOST_TEST(h.mock.chat_requests().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(state_dir)

BOOST_AUTO_TEST_CASE(a_state_dir_writable_by_group_stops_the_daemon, *utf::timeout(120)) {
    Harness h;
    fs::permissions(h.state_dir, fs::perms::owner_all | fs::perms::group_all);
    const std::string why = refused_start(h);
    BOOST_TEST(why.find("state dir " + h.state_dir.string()) != std::string::npos, why);
    BOOST_TEST(why.find("writable by group or others") != std::string::npos, why);
    BOOST_TEST(why.find("event=listening") == std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(a_state_dir_owned_by_another_user_stops_the_daemon, *utf::timeout(120)) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("skipped: only root can give a directory to another user");
        return;
    }
    Harness h;
    BOOST_TEST_REQUIRE(::chown(h.state_dir.c_str(), 65534, 65534) == 0);  // nobody
    const std::string why = refused_start(h);
    BOOST_TEST(why.find("owned by uid 65534") != std::string::npos, why);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(untrusted_files)

BOOST_AUTO_TEST_CASE(a_plugin_others_may_write_is_refused_with_the_reason, *utf::timeout(120)) {
    Harness h({"switchboard-openai.so", "c_echo.so"});
    const fs::path file = h.plugins_dir / "c_echo.so";
    fs::permissions(file, fs::perms::others_write, fs::perm_options::add);
    h.start();
    auto providers = h.get(providers_path);
    BOOST_TEST_REQUIRE(providers.status == 200u, providers.body);
    const json::value doc = providers.json();
    const json::object *refused = find_in(find(doc, "refused"), "file", file.string());
    BOOST_TEST_REQUIRE(refused != nullptr, providers.body);
    BOOST_TEST(text(*refused, "reason").find("writable by group or others") != std::string::npos, providers.body);
    BOOST_TEST(!find_in(find(doc, "providers"), "id", "cecho"), providers.body);
    BOOST_TEST(h.log_text().find("writable by group or others") != std::string::npos, h.log_text());

    auto [code, output] = plugin_check(file);
    BOOST_TEST(code == 1, output);
    BOOST_TEST(output.find("would be refused") != std::string::npos, output);
    BOOST_TEST(output.find("writable by group or others") != std::string::npos, output);
}

BOOST_AUTO_TEST_CASE(a_refused_plugin_is_not_retried_on_every_reload, *utf::timeout(120)) {
    Harness h({"switchboard-openai.so", "wrong_major.so"});
    h.start();
    for (int i = 0; i < 3; ++i) {
        auto r = h.post(reload_path, "{}");
        BOOST_TEST(r.status == 200u, r.body);
    }
    const std::string log = h.log_text();
    BOOST_TEST(count(log, "event=plugin_refused") == 1u, log);
    // Still reported as refused.
    auto providers = h.get(providers_path);
    const json::value doc = providers.json();
    BOOST_TEST(find_in(find(doc, "refused"), "file", (h.plugins_dir / "wrong_major.so").string()), providers.body);
}

BOOST_AUTO_TEST_CASE(a_secret_file_others_may_write_is_warned_about, *utf::timeout(120)) {
    Harness h;
    const fs::path token = h.state_dir / "admin_token";
    { std::ofstream(token) << "sbadm-TOKEN-untrusted-file-000000\n"; }
    fs::permissions(token, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_write);
    h.start();
    const std::string log = h.log_text();
    BOOST_TEST(log.find("event=untrusted_secret_file") != std::string::npos, log);
    BOOST_TEST(log.find(token.string()) != std::string::npos, log);
    BOOST_TEST(log.find("untrusted-file") == std::string::npos, "the token itself is never logged");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(out_of_descriptors)

namespace {

// User and system CPU time of pid, in clock ticks (fields 14 and 15 of
// /proc/pid/stat, counted after the parenthesised command name).
long cpu_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
}

std::size_t open_descriptors(pid_t pid) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto &entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++n;
    return n;
}

}  // namespace

// accept() failing with EMFILE leaves the connection queued: retrying at
// once spun a core and wrote the same warning tens of thousands of times
// (38,302 in one bench hold). The daemon now pauses, logs once, and resumes
// when descriptors are free again.
BOOST_AUTO_TEST_CASE(accepting_pauses_while_descriptors_are_out_and_resumes, *utf::timeout(120)) {
    Harness h;
    h.start();
    const pid_t pid = h.daemon().pid();
    struct rlimit original {};
    BOOST_TEST_REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &original) == 0);
    const struct rlimit limit {open_descriptors(pid) + 4, original.rlim_max};
    BOOST_TEST_REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &limit, nullptr) == 0);

    std::vector<int> held;
    for (int i = 0; i < 16; ++i) held.push_back(connect_to(h.daemon().port()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (h.log_text().find("event=accept_failed") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_TEST_REQUIRE(h.log_text().find("event=accept_failed") != std::string::npos, h.log_text());

    const long before = cpu_ticks(pid);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long spent = cpu_ticks(pid) - before;
    BOOST_TEST(spent <= sysconf(_SC_CLK_TCK) / 5, "CPU ticks in 1 s while out of descriptors: " << spent);
    BOOST_TEST(count(h.log_text(), "event=accept_failed") == 1u, h.log_text());

    for (int fd : held) ::close(fd);
    BOOST_TEST_REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &original, nullptr) == 0);
    auto r = h.get("/healthz");
    BOOST_TEST(r.status == 200u, r.body);
    BOOST_TEST(h.log_text().find("event=accept_resumed") != std::string::npos, h.log_text());
}

BOOST_AUTO_TEST_SUITE_END()
