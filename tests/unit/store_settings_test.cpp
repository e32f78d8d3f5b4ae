#define BOOST_TEST_MODULE store_settings
#include "core/store/store_settings.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace sb::core;
namespace fs = std::filesystem;

namespace {

const std::string kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string message_of(const std::function<void()> &f) {
    try {
        f();
    } catch (const std::exception &e) {
        return e.what();
    }
    return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(parses_host_and_port) {
    auto e = parse_redis_url("redis://10.0.0.5:6380");
    BOOST_TEST(e.host == "10.0.0.5");
    BOOST_TEST(e.port == 6380);
    BOOST_TEST(e.url() == "redis://10.0.0.5:6380");
    BOOST_TEST(parse_redis_url("redis://cache.internal").port == 6379);
    BOOST_TEST(parse_redis_url("redis://cache.internal:7000/").host == "cache.internal");
    auto v6 = parse_redis_url("redis://[::1]:6390");
    BOOST_TEST(v6.host == "::1");
    BOOST_TEST(v6.url() == "redis://[::1]:6390");
}

BOOST_AUTO_TEST_CASE(refuses_what_it_does_not_support) {
    for (std::string bad :
         {"", "localhost:6379", "http://h:1", "rediss://h:1", "redis://h:0", "redis://h:70000",
          "redis://h:1/2", "redis://h:1?db=2", "redis://:6379", "redis://h:port"})
        BOOST_CHECK_THROW(parse_redis_url(bad), std::invalid_argument);
    // A password in the URL is refused without repeating it.
    std::string why = message_of([] { parse_redis_url("redis://user:hunter2@h:6379"); });
    BOOST_TEST(why.find("password") != std::string::npos);
    BOOST_TEST(why.find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(flag_wins_over_environment_and_file_is_the_default) {
    Environment env{{"SWITCHBOARD_REDIS_URL", "redis://from-env:1"}};
    BOOST_TEST(!choose_store("", Environment{}).has_value());
    BOOST_TEST(!choose_store("file", env).has_value());
    BOOST_TEST(choose_store("", env)->host == "from-env");
    BOOST_TEST(choose_store("redis://from-flag:2", env)->host == "from-flag");
    std::string why = message_of([&] {
        choose_store("", Environment{{"SWITCHBOARD_REDIS_URL", "redis://h:x"}});
    });
    BOOST_TEST(why.find("SWITCHBOARD_REDIS_URL") != std::string::npos);
    why = message_of([&] { choose_store("memcached://h", env); });
    BOOST_TEST(why.find("--store") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(secret_key_comes_from_the_variable_or_the_file) {
    BOOST_TEST((load_secret_key(Environment{{"SWITCHBOARD_SECRET_KEY", kKeyHex}}) ==
                parse_secret_key(kKeyHex)));
    fs::path file = fs::temp_directory_path() / ("sb-secret-key-" + std::to_string(::getpid()));
    {
        std::ofstream out(file);
        out << kKeyHex << "\n";
    }
    ::chmod(file.c_str(), 0600);
    BOOST_TEST((load_secret_key(Environment{{"SWITCHBOARD_SECRET_KEY_FILE", file.string()}}) ==
                parse_secret_key(kKeyHex)));
    std::string why = message_of([&] {
        load_secret_key(Environment{{"SWITCHBOARD_SECRET_KEY", kKeyHex},
                                    {"SWITCHBOARD_SECRET_KEY_FILE", file.string()}});
    });
    BOOST_TEST(why.find("both") != std::string::npos);
    fs::remove(file);
    BOOST_CHECK_THROW(load_secret_key(Environment{{"SWITCHBOARD_SECRET_KEY_FILE", file.string()}}),
                      std::runtime_error);
}

BOOST_AUTO_TEST_CASE(missing_or_bad_secret_key_is_refused_without_quoting_it) {
    std::string why = message_of([] { load_secret_key(Environment{}); });
    BOOST_TEST(why.find("SWITCHBOARD_SECRET_KEY") != std::string::npos);
    const std::string bad = "0123456789abcdef-not-a-key";
    why = message_of([&] { load_secret_key(Environment{{"SWITCHBOARD_SECRET_KEY", bad}}); });
    BOOST_TEST(why.find("64 hex digits") != std::string::npos);
    BOOST_TEST(why.find(bad) == std::string::npos);
}
