// --plugin-isolation process through the real daemon: a plugin that
// segfaults, hangs or eats memory in build_chat_request costs only its own
// call (502 naming the plugin), its helper is killed, reaped and restarted
// with backoff and counted, other providers serve throughout, and no
// descriptor or zombie is left behind. A stream whose helper dies ends with
// an error event. The config file's "plugins" isolates one plugin alone.
#include "integration/integration_fixture.hpp"
#include "support/loopback_http_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const std::string openai_key = "sk-test-openai-isolation-key-5150";

Env providers_env(const Harness &h) {
    return {{"OPENAI_API_KEY", openai_key},
            {"OPENAI_API_BASE", h.mock.base_url()},
            {"MISBEHAVING_API_BASE", h.mock.base_url()},
            {"CECHO_API_BASE", h.mock.base_url()},
            {"LLM_PROVIDER", "openai"}};
}

json::object chat_saying(std::string_view model, std::string_view content) {
    json::object body = chat_body(model);
    body["messages"] = json::array{json::object{{"role", "user"}, {"content", content}}};
    return body;
}

// The pids of the daemon's children, and how many of them are zombies.
struct Children {
    std::vector<pid_t> pids;
    int zombies = 0;
};

Children children_of(pid_t parent) {
    Children out;
    for (const auto &entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(stat.substr(close + 2));
        char state = 0;
        long ppid = 0;
        rest >> state >> ppid;
        if (ppid != parent) continue;
        out.pids.push_back(static_cast<pid_t>(std::stol(name)));
        if (state == 'Z') ++out.zombies;
    }
    return out;
}

// How many Unix sockets the process holds: its ends of the helpers' socket
// pairs (vendor connections come and go with the pool, so all descriptors
// would not do).
long unix_sockets(pid_t pid) {
    const std::string proc = "/proc/" + std::to_string(pid);
    std::set<std::string> inodes;
    std::ifstream table(proc + "/net/unix");
    std::string line;
    std::getline(table, line);  // the header
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string field;
        for (int i = 0; i < 7 && fields >> field; ++i) {
        }
        inodes.insert(field);  // the seventh column
    }
    long n = 0;
    std::error_code ec;
    for (fs::directory_iterator it(proc + "/fd", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string target = fs::read_symlink(it->path(), ec).string();
        if (target.rfind("socket:[", 0) == 0 && inodes.count(target.substr(8, target.size() - 9))) ++n;
    }
    return n;
}

// How many lines of text hold every one of words.
std::size_t lines_with(const std::string &text, std::initializer_list<std::string_view> words) {
    std::istringstream lines(text);
    std::size_t n = 0;
    for (std::string line; std::getline(lines, line);)
        n += std::all_of(words.begin(), words.end(),
                         [&](std::string_view w) { return line.find(w) != std::string::npos; });
    return n;
}

// The provider's entry in GET /providers; empty when it is not listed.
json::object provider(const Harness &h, std::string_view id) {
    const json::value doc = h.get(providers_path).json();
    const json::object *p = find_in(find(doc, "providers"), "id", id);
    return p ? *p : json::object();
}

// A 200 from the plugin's next ordinary request, within a few seconds: the
// first calls after a failure may still meet the restart backoff.
void serves_again(const Harness &h, std::string_view model) {
    const auto until = Clock::now() + 10s;
    TestHttpResponse r;
    do {
        r = h.post_json(chat_path, chat_body(model));
        if (r.status == 200u) break;
        std::this_thread::sleep_for(50ms);
    } while (Clock::now() < until);
    BOOST_TEST(r.status == 200u, "after a restart " << model << ": " << r.body);
}

void check_contained(const TestHttpResponse &r, std::string_view words) {
    check_error(r, 502, "upstream_error");
    const std::string message = text(r.json(), "error.message");
    BOOST_TEST(message.find("misbehaving") != std::string::npos, r.body);
    BOOST_TEST(message.find(words) != std::string::npos, r.body);
}

std::uint64_t metric(const std::string &metrics, const std::string &series) {
    const auto at = metrics.find(series + " ");
    if (at == std::string::npos) return 0;
    return std::stoull(metrics.substr(at + series.size() + 1));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_isolation)

BOOST_AUTO_TEST_CASE(crash_hang_and_memory_hog_are_contained, *utf::timeout(120)) {
    Harness h({"switchboard-openai.so", "c_echo.so", "misbehaving.so"});
    // A deadline generous enough for the memory hog to reach its limit on a
    // loaded machine, short enough to keep the hang case quick.
    h.extra_args = {"--plugin-isolation",   "process", "--plugin-call-timeout-ms", "4000",
                    "--plugin-memory-mib", "64",      "--threads",                "4"};
    h.start(providers_env(h));
    const pid_t daemon = h.daemon().pid();

    for (std::string_view id : {"openai", "cecho", "misbehaving"})
        BOOST_TEST(text(provider(h, id), "isolation") == "process", id);
    BOOST_TEST(h.post_json(chat_path, chat_body("misbehaving/m")).status == 200u);
    BOOST_TEST(h.post_json(chat_path, chat_body("openai/gpt-4o-mini")).status == 200u);
    const Children before = children_of(daemon);
    BOOST_TEST(before.pids.size() == 3u, "one helper per plugin");
    BOOST_TEST(unix_sockets(daemon) == 3, "one socket per helper");

    check_contained(h.post_json(chat_path, chat_saying("misbehaving/m", "SB_TEST_CRASH")), "signal 11");
    BOOST_TEST(h.post_json(chat_path, chat_body("openai/gpt-4o-mini")).status == 200u, "openai still serves");
    BOOST_TEST(h.post_json(chat_path, chat_body("cecho/x")).status == 200u, "cecho still serves");
    serves_again(h, "misbehaving/m");

    // While the hang holds its helper (and one daemon thread), the other
    // providers and the provider list answer, before the hang is cut.
    const auto t0 = Clock::now();
    TestHttpResponse hung;
    Clock::time_point hang_done;
    std::thread hang([&] {
        hung = h.post_json(chat_path, chat_saying("misbehaving/m", "SB_TEST_HANG"));
        hang_done = Clock::now();
    });
    std::this_thread::sleep_for(100ms);
    const unsigned during = h.post_json(chat_path, chat_body("openai/gpt-4o-mini")).status;
    const unsigned listed = h.get(providers_path).status;
    const auto others_done = Clock::now();
    hang.join();
    BOOST_TEST(during == 200u, "openai serves during the hang");
    BOOST_TEST(listed == 200u);
    BOOST_TEST((others_done < hang_done), "the other calls waited for the hung plugin");
    check_contained(hung, "did not answer in time");
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(hang_done - t0).count();
    BOOST_TEST(waited < 12000, "the hang was cut after " << waited << " ms");
    serves_again(h, "misbehaving/m");

    // abort() after malloc fails: SIGABRT, or under a seccomp filter that
    // refuses abort's own system calls, whichever signal ends it.
    check_contained(h.post_json(chat_path, chat_saying("misbehaving/m", "SB_TEST_HOG")), "was killed by signal");
    BOOST_TEST(h.post_json(chat_path, chat_body("cecho/x")).status == 200u, "cecho still serves");
    serves_again(h, "misbehaving/m");

    BOOST_TEST(h.daemon().running());
    const json::object p = provider(h, "misbehaving");
    const json::value *restarts = p.if_contains("helper_restarts");
    BOOST_TEST((restarts && restarts->to_number<int>() == 3), json::serialize(p));
    const std::string metrics = h.get("/metrics").body;
    BOOST_TEST(metric(metrics, "switchboard_plugin_helper_restarts_total{provider=\"misbehaving\"}") == 3u, metrics);
    BOOST_TEST(metric(metrics, "switchboard_plugin_helper_failures_total{provider=\"misbehaving\",kind=\"crash\"}") ==
                   2u,
               metrics);
    BOOST_TEST(metric(metrics, "switchboard_plugin_helper_failures_total{provider=\"misbehaving\",kind=\"timeout\"}") ==
                   1u,
               metrics);
    BOOST_TEST(metrics.find("switchboard_plugin_helper_restarts_total{provider=\"openai\"}") == std::string::npos);

    // Every dead helper was reaped, and its socket closed.
    const Children after = children_of(daemon);
    BOOST_TEST(after.zombies == 0);
    BOOST_TEST(after.pids.size() == 3u);
    BOOST_TEST(unix_sockets(daemon) == 3);
    const std::string log = h.log_text();
    BOOST_TEST(log.find("event=plugin_helper_failed") != std::string::npos);
    BOOST_TEST(log.find("event=plugin_helper_restarted") != std::string::npos);
    BOOST_TEST(h.stop() == 0);
}

BOOST_AUTO_TEST_CASE(stream_whose_helper_dies_ends_with_an_error_event, *utf::timeout(60)) {
    std::vector<std::string> pieces;
    for (int i = 0; i < 20; ++i)
        pieces.push_back("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"m\","
                         "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w" +
                         std::to_string(i) + "\"},\"finish_reason\":null}]}\n\n");
    pieces.push_back("data: [DONE]\n\n");
    LoopbackHttpServer vendor([&](const RecordedRequest &) {
        return MockAction::stream(200, {{"Content-Type", "text/event-stream"}}, pieces, 150ms);
    });
    Harness h({"switchboard-openai.so"});
    h.extra_args = {"--plugin-isolation", "process"};
    h.start({{"OPENAI_API_KEY", openai_key}, {"OPENAI_API_BASE", vendor.base_url() + "/v1"}});
    json::object body = chat_body("openai/m");
    body["stream"] = true;
    const std::string payload = json::serialize(body);
    int fd = connect_to(h.daemon().port());
    BOOST_TEST_REQUIRE(send_all(fd, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Content-Type: application/json\r\nContent-Length: " +
                                        std::to_string(payload.size()) + "\r\n\r\n" + payload));
    std::string got = recv_until(fd, "\"w1\"", 5s);
    BOOST_TEST_REQUIRE(got.find("\"w1\"") != std::string::npos, got);
    const Children helpers = children_of(h.daemon().pid());
    BOOST_TEST_REQUIRE(helpers.pids.size() == 1u);
    ::kill(helpers.pids[0], SIGKILL);
    got += recv_until(fd, "", 10s);
    ::close(fd);
    BOOST_TEST(got.find("\"w19\"") == std::string::npos, got);
    BOOST_TEST(got.find("\"error\"") != std::string::npos, got);
    BOOST_TEST(got.find("plugin 'openai' failed") != std::string::npos, got);
    BOOST_TEST(h.daemon().running());
    BOOST_TEST(children_of(h.daemon().pid()).zombies == 0);
}

BOOST_AUTO_TEST_CASE(config_file_isolates_one_plugin, *utf::timeout(60)) {
    Harness h({"c_echo.so", "misbehaving.so"});
    const fs::path config = h.tmp.path() / "routes.json";
    std::ofstream(config) << R"({"plugins": {"misbehaving.so": {"isolation": "process"}}})";
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
    h.extra_args = {"--config", config.string()};
    h.start({{"MISBEHAVING_API_BASE", h.mock.base_url()}, {"CECHO_API_BASE", h.mock.base_url()}});
    BOOST_TEST(text(provider(h, "misbehaving"), "isolation") == "process");
    BOOST_TEST(text(provider(h, "cecho"), "isolation") == "in-process");
    check_contained(h.post_json(chat_path, chat_saying("misbehaving/m", "SB_TEST_CRASH")), "signal 11");
    BOOST_TEST(h.post_json(chat_path, chat_body("cecho/x")).status == 200u);
    BOOST_TEST(h.daemon().running());
}

// A reload of the config file that moves a plugin into a helper reloads
// that plugin alone; it keeps serving.
BOOST_AUTO_TEST_CASE(config_reload_moves_a_plugin_into_a_helper, *utf::timeout(60)) {
    Harness h({"c_echo.so", "switchboard-openai.so"});
    const fs::path config = h.tmp.path() / "routes.json";
    std::ofstream(config) << R"({"plugins": {}})";
    h.extra_args = {"--config", config.string()};
    h.start(providers_env(h));
    BOOST_TEST(text(provider(h, "cecho"), "isolation") == "in-process");
    std::ofstream(config) << R"({"plugins": {"c_echo.so": {"isolation": "process"}}})";
    ::kill(h.daemon().pid(), SIGHUP);
    const auto until = Clock::now() + 10s;
    while (text(provider(h, "cecho"), "isolation") != "process" && Clock::now() < until)
        std::this_thread::sleep_for(50ms);
    BOOST_TEST(text(provider(h, "cecho"), "isolation") == "process");
    const std::string log = h.log_text();
    BOOST_TEST(lines_with(log, {"event=plugin_loaded", "provider=openai"}) == 1u, "openai was not loaded again");
    BOOST_TEST(lines_with(log, {"event=plugin_loaded", "provider=cecho", "isolation=process"}) == 1u, log);
    BOOST_TEST(children_of(h.daemon().pid()).pids.size() == 1u);
    BOOST_TEST(h.post_json(chat_path, chat_body("cecho/x")).status == 200u);
}

BOOST_AUTO_TEST_CASE(unknown_isolation_mode_is_refused, *utf::timeout(30)) {
    Harness h({"c_echo.so"});
    h.extra_args = {"--plugin-isolation", "sandboxed"};
    BOOST_CHECK_THROW(h.start(), std::exception);
}

BOOST_AUTO_TEST_SUITE_END()
