// The hostile test plugin (tests/plugins/hostile) served by the real daemon
// with --plugin-isolation process, next to the openai plugin on a mock
// vendor: every attempt it makes, from its constructor and from each call in
// its helper, is refused; a crash ends its helper, never the daemon; the
// openai provider answers throughout; and no key of the daemon's environment
// is anywhere the plugin could read it.
#define BOOST_TEST_MODULE switchboard_integration_plugin_sandbox
#include <unistd.h>

#include <boost/test/results_collector.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "integration/integration_fixture.hpp"
#include "plugins/hostile/hostile_report.hpp"
#include "support/child_command.hpp"

using namespace sb::test;
using namespace sb::test::it;
using namespace sb::test::hostile;
namespace utf = boost::unit_test;

namespace {

const std::string openai_key = "sk-daemon-openai-SECRET-4b1d2c3e4f5a6b7c";
const std::string anthropic_key = "sk-ant-daemon-SECRET-9a8b7c6d5e4f3a2b";

// The daemon's child processes (its plugin helpers), as each of its threads
// lists the children it started.
std::vector<pid_t> helpers_of(pid_t daemon) {
    std::vector<pid_t> out;
    for (const auto &task : fs::directory_iterator("/proc/" + std::to_string(daemon) + "/task")) {
        std::istringstream children(read_text_file(task.path() / "children"));
        for (pid_t pid; children >> pid;) out.push_back(pid);
    }
    return out;
}

bool holds_no_key(const std::string &where, const std::string &text) {
    for (const auto &key : {openai_key, anthropic_key})
        if (text.find(key) != std::string::npos ||
            text.find(key.substr(8, 16)) != std::string::npos) {
            BOOST_ERROR(where << " holds a key of the daemon");
            return false;
        }
    return true;
}

struct IsolatedDaemon {
    TempDir tmp{"sb-sandbox-it"};
    MockOpenAiUpstream mock;
    TrapListener listener;
    fs::path plugins_dir;
    std::unique_ptr<DaemonProcess> daemon;

    IsolatedDaemon() {
        plugins_dir = make_plugins_dir(tmp.path() / "plugins", {"switchboard-openai.so"});
        fs::copy_file(SB_HOSTILE_PLUGIN, plugins_dir / "hostile.so");
        fs::permissions(plugins_dir / "hostile.so", fs::perms(0755));
        DaemonOptions options;
        options.plugins_dir = plugins_dir;
        options.state_dir = tmp.subdir("state");
        options.home_dir = tmp.path() / "home";
        options.env = {{"OPENAI_API_KEY", openai_key},
                       {"ANTHROPIC_API_KEY", anthropic_key},
                       {"OPENAI_API_BASE", mock.base_url()},
                       {"HOSTILE_API_BASE", mock.base_url()},
                       {"LLM_PROVIDER", "openai"}};
        options.extra_args = {"--plugin-isolation", "process"};
        daemon = std::make_unique<DaemonProcess>(std::move(options));
    }
    ~IsolatedDaemon() {
        if (!boost::unit_test::results_collector
                 .results(boost::unit_test::framework::current_test_case().p_id)
                 .passed())
            std::cerr << "---- daemon log ----\n" << daemon->log_text() << "---- end ----\n";
        daemon->stop(std::chrono::milliseconds{2'000});
    }

    TestHttpClient client() const {
        return TestHttpClient("127.0.0.1", daemon->port(), std::chrono::milliseconds{15'000});
    }
    TestHttpResponse hostile(const std::string &extra = {}, bool stream = false) const {
        return client().post(chat_path,
                             R"({"model":"hostile/hostile-1","messages":[{"role":"user",)"
                             R"("content":"hi"}],"hostile_port":)" +
                                 std::to_string(listener.port()) + extra +
                                 (stream ? R"(,"stream":true})" : "}"));
    }
    void openai_answers(const std::string &when) const {
        auto r =
            client().post(chat_path, R"({"model":"openai/gpt-4o-mini","messages":[{"role":"user",)"
                                     R"("content":"ping"}]})");
        BOOST_TEST(r.status == 200u, when << ": " << r.status << " " << r.body);
        if (r.status == 200u)
            BOOST_TEST(text(r.json(), "choices.0.message.content") == "pong", when);
    }
};

// Files the hostile plugin would have left beside itself: in the plugins
// directory, or in the private copy's directory the daemon loads it from.
std::vector<fs::path> traces(const IsolatedDaemon &d) {
    std::vector<fs::path> dirs = {d.plugins_dir};
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(fs::temp_directory_path(), ec))
        if (entry.path().filename().string().rfind("switchboard-plugin-", 0) == 0)
            dirs.push_back(entry.path());
    std::vector<fs::path> found;
    for (const auto &dir : dirs)
        for (const char *name : {"hostile-was-here", "hostile-spawned"})
            if (fs::exists(dir / name, ec)) found.push_back(dir / name);
    return found;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(isolated_hostile_plugin)

BOOST_AUTO_TEST_CASE(every_attempt_is_refused_and_the_other_provider_keeps_answering,
                     *utf::timeout(240)) {
    IsolatedDaemon d;
    d.openai_answers("at start");

    auto r = d.hostile();
    BOOST_TEST_REQUIRE(r.status == 200u, r.status << " " << r.body);
    const std::string content = text(r.json(), "choices.0.message.content");
    check_refused("constructor (from parse)", bracketed(content, "ctor"), false);
    check_refused("parse_chat_response", bracketed(content, "call"), true);
    auto sent = d.mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    check_refused("build_chat_request", sent->header("x-hostile-call"), true);
    check_refused("constructor (from build)", sent->header("x-hostile-ctor"), false);
    holds_no_key("the request the hostile plugin built",
                 sent->body + sent->header("authorization"));
    holds_no_key("the hostile answer", r.body);

    auto s = d.hostile({}, true);
    BOOST_TEST_REQUIRE(s.status == 200u, s.status << " " << s.body);
    auto at = s.body.find("call[");
    BOOST_TEST_REQUIRE(at != std::string::npos, s.body);
    check_refused("stream_event", bracketed(s.body.substr(at), "call"), true);
    d.openai_answers("after the hostile calls");

    // The helpers: nothing of the daemon's environment, confined.
    auto helpers = helpers_of(d.daemon->pid());
    BOOST_TEST(!helpers.empty());
    for (pid_t pid : helpers) {
        const fs::path proc = "/proc/" + std::to_string(pid);
        const std::string environ_block = read_text_file(proc / "environ");
        holds_no_key("helper " + std::to_string(pid) + " environ", environ_block);
        BOOST_TEST(environ_block.find("_API_KEY") == std::string::npos);
        const std::string status = read_text_file(proc / "status");
        BOOST_TEST(status.find("NoNewPrivs:\t1") != std::string::npos, status);
        BOOST_TEST(status.find("Seccomp:\t2") != std::string::npos, status);
    }

    BOOST_TEST(!d.listener.saw_connection());
    BOOST_TEST(traces(d).empty());
    holds_no_key("the daemon log", d.daemon->log_text());
}

BOOST_AUTO_TEST_CASE(crashes_end_the_helper_not_the_daemon, *utf::timeout(240)) {
    IsolatedDaemon d;
    for (const char *action : {"segv", "abort"}) {
        BOOST_TEST_CONTEXT(action) {
            auto r = d.hostile(std::string(R"(,"hostile_action":")") + action + "\"");
            BOOST_TEST(r.status == 502u, r.status << " " << r.body);
            BOOST_TEST(d.daemon->running());
            d.openai_answers(std::string("after ") + action);
            // The helper is started again: the provider answers once more
            // (with backoff, so allow it a few seconds).
            unsigned status = 0;
            for (int i = 0; i < 40 && status != 200u; ++i) {
                status = d.hostile().status;
                if (status != 200u) std::this_thread::sleep_for(std::chrono::milliseconds(250));
            }
            BOOST_TEST(status == 200u);
        }
    }
    BOOST_TEST(traces(d).empty());
}

BOOST_AUTO_TEST_SUITE_END()
