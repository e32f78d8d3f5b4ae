#define BOOST_TEST_MODULE environment
#include <boost/test/unit_test.hpp>

// Secrets leave the process environment once captured: getenv finds none of
// them, the snapshot still has them, and everything else stays.
#include "core/config/environment.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

using namespace sb::core;

namespace {
bool has(const std::vector<std::string> &names, const std::string &name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}
}  // namespace

BOOST_AUTO_TEST_CASE(names_the_secret_variables) {
    BOOST_TEST(is_secret_variable("OPENAI_API_KEY"));
    BOOST_TEST(is_secret_variable("ACME_WEST_API_KEY"));
    BOOST_TEST(is_secret_variable("SWITCHBOARD_SECRET_KEY"));
    BOOST_TEST(is_secret_variable("SWITCHBOARD_REDIS_URL"));
    BOOST_TEST(is_secret_variable("SWITCHBOARD_ADMIN_TOKEN"));
    BOOST_TEST(!is_secret_variable("OPENAI_API_BASE"));
    BOOST_TEST(!is_secret_variable("OPENAI_API_KEY_FILE"));
    BOOST_TEST(!is_secret_variable("SWITCHBOARD_SECRET_KEY_FILE"));
    BOOST_TEST(!is_secret_variable("_API_KE"));
}

BOOST_AUTO_TEST_CASE(removes_secrets_and_named_variables_from_the_process_only) {
    ::setenv("SBTEST_API_KEY", "sk-unit-secret-1", 1);
    ::setenv("SBTEST_KEY_2", "sk-unit-secret-2", 1);
    ::setenv("SBTEST_API_BASE", "http://127.0.0.1:9/v1", 1);
    const Environment env = Environment::capture();
    std::vector<std::string> removed = remove_secrets_from_process({"SBTEST_KEY_2"});

    BOOST_TEST(std::getenv("SBTEST_API_KEY") == nullptr);
    BOOST_TEST(std::getenv("SBTEST_KEY_2") == nullptr);
    BOOST_TEST(has(removed, "SBTEST_API_KEY"));
    BOOST_TEST(has(removed, "SBTEST_KEY_2"));
    // Not a secret: left in place.
    BOOST_TEST(std::getenv("SBTEST_API_BASE") != nullptr);
    BOOST_TEST(!has(removed, "SBTEST_API_BASE"));
    // The snapshot taken before still has every value.
    BOOST_TEST(env.get("SBTEST_API_KEY") == "sk-unit-secret-1");
    BOOST_TEST(env.get("SBTEST_KEY_2") == "sk-unit-secret-2");
    BOOST_TEST(env.get("SBTEST_API_BASE") == "http://127.0.0.1:9/v1");
    // And a later capture does not find them.
    BOOST_TEST(Environment::capture().get("SBTEST_API_KEY") == "");
}
