#define BOOST_TEST_MODULE routes_file
#include "core/config/routes_file.hpp"

#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/config/api_base_policy.hpp"
#include "core/config/environment.hpp"
#include "core/config/routes_source.hpp"

using namespace sb::core;
namespace fs = std::filesystem;

namespace {

const Environment env{{"OPENAI_KEY_2", "sk-deployment-secret-0123456789"}, {"EMPTY_KEY", ""}};

RoutesFile parse(const std::string &text) { return parse_routes_file(text, env, ApiBasePolicy{}); }

// The message a refused file gets; fails the test when it is accepted.
std::string refusal(const std::string &text) {
    try {
        parse(text);
    } catch (const std::runtime_error &e) {
        return e.what();
    }
    BOOST_FAIL("accepted: " << text);
    return {};
}

std::string one_deployment(const std::string &fields) {
    return R"({"models": {"fast": {"deployments": [{)" + fields + "}]}}}";
}

const std::string good = R"({
  "models": {
    "fast": {
      "deployments": [
        {"provider": "openai", "model": "gpt-5-mini", "api_base": "https://east.example.com/v1/",
         "api_key_env": "OPENAI_KEY_2", "weight": 3},
        {"provider": "openai", "model": "gpt-5-mini", "name": "west"}
      ],
      "fallbacks": ["cheap", "together/llama"],
      "cooldown_seconds": 5
    },
    "cheap": {"deployments": [{"provider": "custom", "model": "small"}]}
  },
  "prices": {"gpt-5-mini": {"input": 0.25, "output": 2.0}}
})";

struct TempFile {
    fs::path path =
        fs::temp_directory_path() / ("sb-routes-" + std::to_string(::getpid()) + ".json");
    explicit TempFile(const std::string &text) { write(text); }
    ~TempFile() { fs::remove(path); }
    void write(const std::string &text) const { std::ofstream(path, std::ios::trunc) << text; }
};

}  // namespace

BOOST_AUTO_TEST_CASE(parses_aliases_deployments_keys_and_fallbacks) {
    RoutesFile routes = parse(good);
    BOOST_TEST(routes.models().size() == 2u);
    const ModelAlias *fast = routes.find("fast");
    BOOST_TEST_REQUIRE(fast != nullptr);
    BOOST_TEST_REQUIRE(fast->deployments.size() == 2u);
    const Deployment &east = fast->deployments[0];
    BOOST_TEST(east.provider == "openai");
    BOOST_TEST(east.model == "gpt-5-mini");
    BOOST_TEST(east.api_base == "https://east.example.com/v1");  // trailing slash trimmed
    BOOST_TEST(east.api_key == "sk-deployment-secret-0123456789");
    BOOST_TEST(east.weight == 3u);
    BOOST_TEST(east.label == "openai/gpt-5-mini@0");
    BOOST_TEST(fast->deployments[1].weight == 1u);  // the default
    BOOST_TEST(fast->deployments[1].label == "west");
    BOOST_TEST(fast->deployments[1].api_key.empty());
    BOOST_TEST((fast->fallbacks == std::vector<std::string>{"cheap", "together/llama"}));
    BOOST_TEST(fast->cooldown.count() == 5000);
    BOOST_TEST(routes.find("cheap")->cooldown == std::chrono::milliseconds(kDefaultCooldown));
    BOOST_TEST(routes.find("missing") == nullptr);
}

BOOST_AUTO_TEST_CASE(keeps_the_price_table_raw_and_accepts_a_file_without_models) {
    RoutesFile routes = parse(good);
    BOOST_TEST(boost::json::serialize(routes.prices()) ==
               R"({"gpt-5-mini":{"input":2.5E-1,"output":2E0}})");
    RoutesFile only_prices = parse(R"({"prices": {}})");
    BOOST_TEST(only_prices.models().empty());
    BOOST_TEST(parse("{}").prices().empty());
}

BOOST_AUTO_TEST_CASE(refuses_unknown_top_level_keys_naming_them) {
    std::string why = refusal(R"({"models": {}, "model_list": []})");
    BOOST_TEST(why.find("unknown top-level key 'model_list'") != std::string::npos, why);
    BOOST_TEST(why.find("models, prices") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(refuses_malformed_documents) {
    BOOST_TEST(refusal("{").find("invalid JSON") != std::string::npos);
    BOOST_TEST(refusal("[]").find("must be an object") != std::string::npos);
    BOOST_TEST(refusal(R"({"models": []})").find("models: must be an object") != std::string::npos);
    BOOST_TEST(refusal(R"({"prices": 3})").find("prices: must be an object") != std::string::npos);
    BOOST_TEST(refusal(R"({"models": {"fast": {"deployments": []}}})")
                   .find("models.fast.deployments: must be a non-empty array") !=
               std::string::npos);
    BOOST_TEST(
        refusal(
            R"({"models": {"fast": {"deployments": [{"provider": "openai", "model": "m"}], "fallback": []}}})")
            .find("unknown field 'fallback'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_bad_deployments_naming_the_place) {
    std::string why = refusal(one_deployment(R"("model": "m")"));
    BOOST_TEST(why.find("models.fast.deployments[0]: 'provider' is required") != std::string::npos,
               why);
    why = refusal(one_deployment(R"("provider": "openai", "model": "")"));
    BOOST_TEST(why.find("deployments[0].model: must not be empty") != std::string::npos, why);
    for (const char *weight : {"0", "-1", "1.5", "\"3\"", "2000000"}) {
        why = refusal(one_deployment(
            std::string(R"("provider": "openai", "model": "m", "weight": )") + weight));
        BOOST_TEST(why.find("deployments[0].weight: must be a whole number") != std::string::npos,
                   why);
    }
    why = refusal(one_deployment(R"("provider": "openai", "model": "m", "api_key": "sk-inline")"));
    BOOST_TEST(why.find("unknown field 'api_key'") != std::string::npos, why);
    why = refusal(one_deployment(R"("provider": "openai", "model": "m", "name": "bad name\r\n")"));
    BOOST_TEST(why.find("deployments[0].name") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(a_key_ref_needs_its_own_api_base) {
    std::string why = refusal(
        one_deployment(R"("provider": "openai", "model": "m", "api_key_env": "OPENAI_KEY_2")"));
    BOOST_TEST(why.find("'api_key_env' needs 'api_base'") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(an_unset_key_variable_is_named_and_no_key_is_ever_shown) {
    for (const char *var : {"NOT_SET_ANYWHERE", "EMPTY_KEY"}) {
        std::string why = refusal(one_deployment(
            std::string(R"("provider": "openai", "model": "m", )") +
            R"("api_base": "https://x.example.com/v1", "api_key_env": ")" + var + "\""));
        BOOST_TEST(
            why.find(std::string("the variable ") + var + " is not set") != std::string::npos, why);
    }
    // A refusal elsewhere in a file that holds a key does not print the key.
    std::string why =
        refusal(R"({"models": {"fast": {"deployments": [{"provider": "openai", "model": "m",
        "api_base": "https://x.example.com/v1", "api_key_env": "OPENAI_KEY_2", "weight": 0}]}}})");
    BOOST_TEST(why.find("sk-deployment-secret") == std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(api_bases_are_judged_by_the_policy) {
    std::string why = refusal(one_deployment(
        R"("provider": "openai", "model": "m", "api_base": "http://169.254.169.254/v1")"));
    BOOST_TEST(why.find("deployments[0].api_base") != std::string::npos, why);
    why = refusal(
        one_deployment(R"("provider": "openai", "model": "m", "api_base": "ftp://example.com")"));
    BOOST_TEST(why.find("deployments[0].api_base") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(fallbacks_name_an_alias_of_the_file_or_a_provider_model) {
    std::string why =
        refusal(R"({"models": {"fast": {"deployments": [{"provider": "openai", "model": "m"}],
                                  "fallbacks": ["nowhere"]}}})");
    BOOST_TEST(why.find("'nowhere' is neither an alias of this file nor provider/model") !=
                   std::string::npos,
               why);
    why = refusal(R"({"models": {"fast": {"deployments": [{"provider": "openai", "model": "m"}],
                      "fallbacks": ["fast"]}}})");
    BOOST_TEST(why.find("cannot fall back to itself") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(a_bad_file_at_start_is_an_error_naming_the_file) {
    TempFile file(R"({"modles": {}})");
    try {
        RoutesSource source(file.path, env, ApiBasePolicy{});
        BOOST_FAIL("a bad routes file was accepted at start");
    } catch (const std::runtime_error &e) {
        std::string why = e.what();
        BOOST_TEST(why.find(file.path.string()) != std::string::npos, why);
        BOOST_TEST(why.find("unknown top-level key 'modles'") != std::string::npos, why);
    }
}

BOOST_AUTO_TEST_CASE(a_reload_takes_a_changed_file_and_keeps_the_last_good_one_on_errors) {
    TempFile file(good);
    RoutesSource source(file.path, env, ApiBasePolicy{});
    int hook_calls = 0;
    std::size_t hook_aliases = 0;
    source.on_reload([&](const RoutesFile &routes) {
        ++hook_calls;
        hook_aliases = routes.models().size();
    });
    BOOST_TEST(hook_calls == 1);  // with the routes loaded at start
    BOOST_TEST(hook_aliases == 2u);

    file.write(R"({"models": {"only": {"deployments": [{"provider": "openai", "model": "m"}]}}})");
    BOOST_TEST(source.reload("test"));
    BOOST_TEST(source.current()->find("only") != nullptr);
    BOOST_TEST(source.current()->find("fast") == nullptr);
    BOOST_TEST(hook_calls == 2);
    BOOST_TEST(hook_aliases == 1u);

    BOOST_TEST(source.reload("unchanged"));
    BOOST_TEST(hook_calls == 2);  // nothing new to announce

    auto held = source.current();
    file.write(
        R"({"models": {"only": {"deployments": [{"provider": "openai", "model": "m", "weight": 0}]}}})");
    BOOST_TEST(!source.reload("test"));
    BOOST_TEST(source.current() == held);  // the last good routes still serve
    BOOST_TEST(hook_calls == 2);
}

BOOST_AUTO_TEST_CASE(a_routes_file_others_may_write_is_refused) {
    TempFile file(good);
    fs::permissions(file.path, fs::perms::others_write, fs::perm_options::add);
    BOOST_CHECK_THROW(RoutesSource(file.path, env, ApiBasePolicy{}), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(no_file_means_no_aliases) {
    RoutesSource none;
    BOOST_TEST(none.current()->models().empty());
    BOOST_TEST(none.reload("SIGHUP"));
}
