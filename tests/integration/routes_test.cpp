// Aliases of the routes file (--config) through the real daemon, against
// two loopback mock vendors: the weighted split, a 429 deployment resting
// while traffic moves, alias fallbacks, every client dialect, and reloads.
#define BOOST_TEST_MODULE switchboard_integration_routes
#include <csignal>
#include <fstream>
#include <thread>

#include "integration/integration_fixture.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const std::string key_a = "sk-route-a-0123456789abcdef";
const std::string key_b = "sk-route-b-0123456789abcdef";

json::object deployment(const MockOpenAiUpstream &mock, std::string_view key_env, unsigned weight,
                        std::string_view name, std::string_view model = "gpt-4o-mini") {
    return {{"provider", "openai"},   {"model", model},   {"api_base", mock.base_url()},
            {"api_key_env", key_env}, {"weight", weight}, {"name", name}};
}

void write_file(const fs::path &path, const json::value &doc) {
    std::ofstream(path, std::ios::trunc) << json::serialize(doc);
}

// Two mock vendors, a routes file and the daemon serving it.
struct Routes {
    TempDir tmp{"sb-routes"};
    MockOpenAiUpstream a;
    MockOpenAiUpstream b;
    fs::path file = tmp.subdir("conf") / "routes.json";
    std::unique_ptr<DaemonProcess> daemon;

    DaemonOptions options() const {
        DaemonOptions o;
        o.plugins_dir = make_plugins_dir(tmp.path() / "plugins", {"switchboard-openai.so"});
        o.state_dir = tmp.path() / "state";
        o.home_dir = tmp.path() / "home";
        o.env = {{"KEY_A", key_a}, {"KEY_B", key_b}, {"KEY_HOT", "sk-ratelimited"}};
        o.extra_args = {"--config", file.string()};
        return o;
    }
    DaemonProcess &start(const json::value &doc) {
        write_file(file, doc);
        daemon = std::make_unique<DaemonProcess>(options());
        return *daemon;
    }
    TestHttpClient client() const { return TestHttpClient("127.0.0.1", daemon->port()); }
    TestHttpResponse chat(std::string_view model) const {
        return client().post_json(chat_path, chat_body(model));
    }
    // How often text is in the log, waiting (up to 2 s) for it to reach
    // at_least: a request's log line is written once its response is out.
    std::size_t count(std::string_view text, std::size_t at_least = 0) const {
        std::size_t n = 0;
        for (int tries = 0; tries < 200; ++tries) {
            const std::string log = daemon->log_text();
            n = 0;
            for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
            if (n >= at_least) break;
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        return n;
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_split_follows_the_weights_and_each_key_goes_only_to_its_base,
                     *utf::timeout(120)) {
    Routes r;
    r.start(json::object{
        {"models",
         json::object{{"split", json::object{{"deployments",
                                              json::array{deployment(r.a, "KEY_A", 3, "a"),
                                                          deployment(r.b, "KEY_B", 1, "b")}}}}}}});
    // 200 requests at 3:1: a expects 150 (standard deviation ~6.1); the
    // tolerance is +-30, about 5 standard deviations.
    const int n = 200;
    int said_a = 0, said_b = 0;
    for (int i = 0; i < n; ++i) {
        auto reply = r.chat("split");
        BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
        const std::string which = reply.header("x-switchboard-deployment");
        said_a += which == "a";
        said_b += which == "b";
    }
    const auto at_a = r.a.chat_requests(), at_b = r.b.chat_requests();
    BOOST_TEST(said_a + said_b == n);
    BOOST_TEST(at_a.size() == std::size_t(said_a));  // the header names the one that answered
    BOOST_TEST(at_b.size() == std::size_t(said_b));
    BOOST_TEST(said_a >= 120);
    BOOST_TEST(said_a <= 180);
    for (const auto &req : at_a) BOOST_TEST(req.header("Authorization") == "Bearer " + key_a);
    for (const auto &req : at_b) BOOST_TEST(req.header("Authorization") == "Bearer " + key_b);
    BOOST_TEST(text(parse_json(at_a.front().body), "model") == "gpt-4o-mini");
    BOOST_TEST(r.count("deployment=a ", std::size_t(said_a)) == std::size_t(said_a));
    const std::string log = r.daemon->log_text();
    BOOST_TEST(log.find(key_a) == std::string::npos);
    BOOST_TEST(log.find(key_b) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_client_dialect_routes_an_alias, *utf::timeout(60)) {
    Routes r;
    r.start(json::object{
        {"models",
         json::object{{"only-b", json::object{{"deployments",
                                               json::array{deployment(r.b, "KEY_B", 1, "b")}}}}}}});
    auto chat = r.chat("only-b");
    BOOST_TEST(chat.status == 200u, chat.body);
    BOOST_TEST(chat.header("x-switchboard-deployment") == "b");
    json::object stream = chat_body("only-b");
    stream["stream"] = true;
    auto streamed = r.client().post_json(chat_path, stream);
    BOOST_TEST(streamed.status == 200u, streamed.body);
    BOOST_TEST(streamed.header("x-switchboard-deployment") == "b");
    auto messages = r.client().post_json(
        "/v1/messages",
        json::object{
            {"model", "only-b"},
            {"max_tokens", 16},
            {"messages", json::array{json::object{{"role", "user"}, {"content", "ping"}}}}});
    BOOST_TEST(messages.status == 200u, messages.body);
    BOOST_TEST(messages.header("x-switchboard-deployment") == "b");
    auto responses =
        r.client().post_json("/v1/responses", json::object{{"model", "only-b"}, {"input", "ping"}});
    BOOST_TEST(responses.status == 200u, responses.body);
    BOOST_TEST(responses.header("x-switchboard-deployment") == "b");
    // /v1/responses reaches the openai deployment natively, at its own path.
    BOOST_TEST(r.b.chat_requests().size() == 3u);
    const auto all = r.b.requests();
    BOOST_TEST((!all.empty() && all.back().target == "/v1/responses"));
    BOOST_TEST(r.a.chat_requests().empty());
}

BOOST_AUTO_TEST_CASE(a_rate_limited_deployment_rests_and_traffic_moves, *utf::timeout(60)) {
    Routes r;
    // The mock answers the key "sk-ratelimited" with 429 and Retry-After: 1.
    r.start(json::object{
        {"models",
         json::object{
             {"hot", json::object{
                         {"deployments", json::array{deployment(r.a, "KEY_HOT", 50, "hot-a"),
                                                     deployment(r.b, "KEY_B", 1, "cool-b")}}}}}}});
    const auto started = Clock::now();
    for (int i = 0; i < 6; ++i) {
        auto reply = r.chat("hot");
        BOOST_TEST_REQUIRE(reply.status == 200u, reply.body);
        BOOST_TEST(reply.header("x-switchboard-deployment") == "cool-b");
    }
    const auto elapsed = Clock::now() - started;
    // a was tried once (chosen first 50 times in 51), answered 429 and was
    // handed over at once, without retries; then it rested for the second
    // its Retry-After asked.
    if (elapsed < 900ms) BOOST_TEST(r.a.chat_requests().size() == 1u);
    BOOST_TEST(r.count("event=deployment_cooled_down deployment=hot-a") >= 1u);
    BOOST_TEST(r.count("rest_ms=1000") >= 1u);
    // Taken back after the rest: a is asked again (and rests again).
    std::this_thread::sleep_for(1200ms);
    const std::size_t before = r.a.chat_requests().size();
    for (int i = 0; i < 5 && r.a.chat_requests().size() == before; ++i) {
        auto reply = r.chat("hot");
        BOOST_TEST(reply.status == 200u, reply.body);
    }
    BOOST_TEST(r.a.chat_requests().size() == before + 1);
}

BOOST_AUTO_TEST_CASE(alias_fallbacks_serve_when_the_deployments_fail, *utf::timeout(60)) {
    Routes r;
    // "boom-model" answers 500.
    r.start(json::object{
        {"models",
         json::object{
             {"broken", json::object{{"deployments", json::array{deployment(r.a, "KEY_A", 1, "boom",
                                                                            "boom-model")}},
                                     {"fallbacks", json::array{"backup"}}}},
             {"backup", json::object{{"deployments",
                                      json::array{deployment(r.b, "KEY_B", 1, "backup-b")}}}}}}});
    auto reply = r.chat("broken");
    BOOST_TEST(reply.status == 200u, reply.body);
    BOOST_TEST(reply.header("x-switchboard-deployment") == "backup-b");
    BOOST_TEST(r.a.chat_requests().size() == 1u);  // handed over at once: a fallback follows
    BOOST_TEST(r.b.chat_requests().size() == 1u);
    BOOST_TEST(r.count("fallbacks=1", 1) == 1u);
    BOOST_TEST(r.count("event=deployment_cooled_down deployment=boom") == 1u);
}

BOOST_AUTO_TEST_CASE(sighup_reloads_the_file_and_a_bad_file_keeps_the_last_good,
                     *utf::timeout(60)) {
    Routes r;
    // The daemon is given a link in the watched directory; the file behind
    // it changes elsewhere, unseen by the watch: only SIGHUP reloads it.
    const fs::path real = r.tmp.subdir("real") / "routes.json";
    const json::object one{
        {"one", json::object{{"deployments", json::array{deployment(r.a, "KEY_A", 1, "one-a")}}}}};
    write_file(real, json::object{{"models", one}});
    fs::create_symlink(real, r.file);
    r.daemon = std::make_unique<DaemonProcess>(r.options());
    BOOST_TEST(r.chat("one").header("x-switchboard-deployment") == "one-a");
    BOOST_TEST(r.chat("two").status != 200u);  // no alias "two": the active provider has no key

    json::object both = one;
    both["two"] = json::object{{"deployments", json::array{deployment(r.b, "KEY_B", 1, "two-b")}}};
    write_file(real, json::object{{"models", both}});
    std::this_thread::sleep_for(600ms);
    BOOST_TEST(r.chat("two").status != 200u);  // not reloaded yet
    ::kill(r.daemon->pid(), SIGHUP);
    TestHttpResponse reply;
    for (int i = 0; i < 30; ++i, std::this_thread::sleep_for(100ms))
        if ((reply = r.chat("two")).status == 200u) break;
    BOOST_TEST(reply.status == 200u, reply.body);
    BOOST_TEST(reply.header("x-switchboard-deployment") == "two-b");

    std::ofstream(real, std::ios::trunc) << R"({"models": {"one": {"deployments": []}}})";
    ::kill(r.daemon->pid(), SIGHUP);
    for (int i = 0; i < 30 && r.count("event=routes_reload_failed") == 0; ++i)
        std::this_thread::sleep_for(100ms);
    BOOST_TEST(r.count("event=routes_reload_failed") == 1u);
    BOOST_TEST(r.count("models.one.deployments: must be a non-empty array") == 1u);
    BOOST_TEST(r.chat("two").header("x-switchboard-deployment") ==
               "two-b");  // the last good routes serve
    BOOST_TEST(r.daemon->running());
}

BOOST_AUTO_TEST_CASE(a_changed_file_is_reloaded_without_a_signal, *utf::timeout(60)) {
    Routes r;
    r.start(json::object{{"models", json::object{}}});
    BOOST_TEST(r.chat("late").status != 200u);
    // As an editor saves: a new file renamed over the old one.
    const fs::path next = r.file.parent_path() / "routes.json.new";
    write_file(
        next, json::object{
                  {"models",
                   json::object{
                       {"late", json::object{{"deployments", json::array{deployment(
                                                                 r.b, "KEY_B", 1, "late-b")}}}}}}});
    fs::rename(next, r.file);
    TestHttpResponse reply;
    for (int i = 0; i < 50; ++i, std::this_thread::sleep_for(100ms))
        if ((reply = r.chat("late")).status == 200u) break;
    BOOST_TEST(reply.status == 200u, reply.body);
    BOOST_TEST(reply.header("x-switchboard-deployment") == "late-b");
}

BOOST_AUTO_TEST_CASE(a_bad_routes_file_refuses_start_up_with_the_reason, *utf::timeout(60)) {
    Routes r;
    write_file(r.file,
               json::object{{"models", json::object{}}, {"router_settings", json::object{}}});
    DaemonOptions o = r.options();
    o.start_timeout = 5s;
    try {
        DaemonProcess daemon(o);
        BOOST_FAIL("the daemon started with a bad routes file");
    } catch (const std::exception &e) {
        const std::string why = e.what();
        BOOST_TEST(why.find("exited (status 2)") != std::string::npos, why);
        BOOST_TEST(why.find("event=routes_file_refused") != std::string::npos, why);
        BOOST_TEST(why.find("unknown top-level key 'router_settings'") != std::string::npos, why);
    }
}

BOOST_AUTO_TEST_CASE(a_bare_model_goes_to_the_provider_whose_catalogue_has_it, *utf::timeout(60)) {
    TempDir tmp{"sb-catalogue"};
    MockOpenAiUpstream openai, custom;
    DaemonOptions o;
    o.plugins_dir = make_plugins_dir(tmp.path() / "plugins",
                                     {"switchboard-openai.so", "switchboard-custom.so"});
    o.state_dir = tmp.path() / "state";
    o.home_dir = tmp.path() / "home";
    o.env = {{"LLM_PROVIDER", "custom"},
             {"CUSTOM_API_BASE", custom.base_url()},
             {"CUSTOM_MODEL", "local-model"},
             {"OPENAI_API_BASE", openai.base_url()},
             {"OPENAI_API_KEY", key_a}};
    DaemonProcess daemon(o);
    TestHttpClient client("127.0.0.1", daemon.port());
    BOOST_TEST(daemon.log_text().find("event=active_provider provider=custom") !=
               std::string::npos);

    // openai's descriptor lists gpt-3.5-turbo (its default model): it goes
    // there although custom is active; a name no catalogue has stays with
    // the active provider.
    auto listed = client.post_json(chat_path, chat_body("gpt-3.5-turbo"));
    BOOST_TEST(listed.status == 200u, listed.body);
    BOOST_TEST(listed.header("x-switchboard-provider") == "openai");
    BOOST_TEST(openai.chat_requests().size() == 1u);
    auto unlisted = client.post_json(chat_path, chat_body("mock-model"));
    BOOST_TEST(unlisted.status == 200u, unlisted.body);
    BOOST_TEST(unlisted.header("x-switchboard-provider") == "custom");
    BOOST_TEST(custom.chat_requests().size() == 1u);

    // The active provider's plugin goes away: said in the log, and its
    // traffic goes to the provider now active.
    fs::remove(o.plugins_dir / "switchboard-custom.so");
    for (int i = 0;
         i < 50 && daemon.log_text().find("event=active_provider_removed") == std::string::npos;
         ++i)
        std::this_thread::sleep_for(100ms);
    const std::string log = daemon.log_text();
    BOOST_TEST(log.find("event=active_provider_removed provider=custom now_active=openai") !=
                   std::string::npos,
               log);
    auto moved = client.post_json(chat_path, chat_body("mock-model"));
    BOOST_TEST(moved.status == 200u, moved.body);
    BOOST_TEST(moved.header("x-switchboard-provider") == "openai");
}
