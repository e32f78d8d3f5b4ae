// An API key given to the daemon never comes back out: not in any response
// body or header, on any endpoint or error path, and not in its log.
#include "integration/integration_fixture.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string env_key = "sk-test-SECRET-abcdefghijklmnop1234";
const std::string runtime_key = "sk-test-RUNTIME-qrstuvwxyzABCDEF5678";
const std::string rejected_key = "sk-bad-SECRET-GHIJKLMNOPQRSTUV9012";

// The whole keys and recognisable middle parts of them.
const std::vector<std::string> fragments{env_key,        runtime_key,        rejected_key,
                                         "SECRET",       "abcdefghijklmnop", "RUNTIME",
                                         "qrstuvwxyzABC", "GHIJKLMNOPQRSTUV"};

struct Exchange {
    std::string what;
    TestHttpResponse response;
};

void check_clean(const std::string &where, const std::string &haystack) {
    for (const auto &fragment : fragments)
        BOOST_TEST(haystack.find(fragment) == std::string::npos,
                   where << " leaks \"" << fragment << "\": " << haystack.substr(0, 4000));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(keys_never_appear_in_responses_headers_or_logs, *utf::timeout(120)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", env_key},
             {"OPENAI_API_BASE", h.mock.base_url()},
             {"CECHO_API_BASE", h.mock.base_url()},
             {"CECHO_MODEL", "mock-model"},
             {"LLM_PROVIDER", "openai"},
             {"SWITCHBOARD_TEST_TIMEOUT_MS", "3000"}});
    ClosedPort closed_port;
    const std::string closed = closed_port.base_url();
    std::vector<Exchange> seen;
    auto get = [&](std::string target) { seen.push_back({"GET " + target, h.get(target)}); };
    auto post = [&](std::string target, const json::value &body) {
        seen.push_back({"POST " + target + " " + json::serialize(body), h.post_json(target, body)});
    };

    // With the key from env.
    get(std::string(providers_path));
    get(std::string(models_path));
    get(std::string(models_path) + "?provider=openai");
    get(std::string(config_path));
    get(std::string(v1_models_path));
    post(std::string(test_path), json::object{});
    post(std::string(chat_path), chat_body());
    post(std::string(chat_path), chat_body("openai/missing-model"));
    post(std::string(chat_path), chat_body("openai/boom-model"));
    post(std::string(chat_path), chat_body("cecho/mock-model"));
    post(std::string(test_path), json::object{{"model", "missing-model"}});
    post(std::string(test_path), json::object{{"model", "slow-model"}});
    post(std::string(test_path), json::object{{"api_base", h.mock.wrong_base_url()}, {"api_key", env_key}});
    post(std::string(test_path), json::object{{"api_base", closed}, {"api_key", env_key}});
    // The vendor quotes a rejected key back in its error message.
    post(std::string(test_path), json::object{{"api_key", rejected_key}});
    // Bad input that carries a key.
    seen.push_back({"POST config malformed",
                    h.post(config_path, "{\"provider\":\"openai\",\"api_key\":\"" + runtime_key + "\"")});
    post(std::string(config_path), json::object{{"provider", "nope"}, {"api_key", runtime_key}});
    post(std::string(config_path), json::object{{"provider", "openai"}, {"api_key", runtime_key}, {"x", 1}});
    post(std::string(config_path), json::object{{"provider", "openai"}, {"api_key", runtime_key}, {"api_base", "ftp://x"}});
    post(std::string(test_path), json::object{{"provider", "nope"}, {"api_key", runtime_key}});

    // With a runtime key, then the rejected key stored at runtime.
    post(std::string(config_path),
         json::object{{"provider", "openai"}, {"api_key", runtime_key}, {"api_base", h.mock.base_url()}});
    get(std::string(config_path));
    post(std::string(test_path), json::object{});
    post(std::string(chat_path), chat_body("openai/gpt-4o-mini"));
    get(std::string(models_path) + "?provider=openai");
    post(std::string(config_path), json::object{{"provider", "openai"}, {"api_key", rejected_key}});
    post(std::string(chat_path), chat_body());
    get(std::string(models_path) + "?provider=openai");
    get(std::string(v1_models_path));
    post(std::string(test_path), json::object{});
    // Moving the base drops the key; a request there carries no key.
    post(std::string(config_path), json::object{{"provider", "openai"}, {"api_base", closed}});
    post(std::string(test_path), json::object{});
    post(std::string(chat_path), chat_body());

    BOOST_TEST(seen.size() >= 30u);
    for (const auto &exchange : seen) {
        check_clean(exchange.what + " body", exchange.response.body);
        check_clean(exchange.what + " headers", exchange.response.headers_text());
    }
    // The vendor did get the keys (so the paths above really used them).
    bool env_sent = false, runtime_sent = false, rejected_sent = false;
    for (const auto &r : h.mock.requests()) {
        env_sent |= r.header("Authorization") == "Bearer " + env_key;
        runtime_sent |= r.header("Authorization") == "Bearer " + runtime_key;
        rejected_sent |= r.header("Authorization") == "Bearer " + rejected_key;
    }
    BOOST_TEST(env_sent);
    BOOST_TEST(runtime_sent);
    BOOST_TEST(rejected_sent);

    BOOST_TEST(h.stop() == 0);
    check_clean("daemon log", h.log_text());
}

BOOST_AUTO_TEST_CASE(the_persisted_state_is_private, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto r = h.post_json(config_path, json::object{{"provider", "openai"}, {"api_key", runtime_key}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    h.start();  // reload from disk
    check_clean("config after restart", h.get(config_path).body);
    check_clean("daemon log after restart", h.log_text());
    auto status = fs::status(h.state_dir / "config.json");
    BOOST_TEST(((status.permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none),
               "config.json readable by others");
}

BOOST_AUTO_TEST_SUITE_END()
