// Keys leave the daemon's environment before any plugin loads: the real
// daemon, started with keys in its environment, shows none of them in
// /proc/<pid>/environ (what any code in the process, a plugin included,
// could read), yet chats with each. A plugin of ABI 1.4 that declares its
// credential header is never given the key (usage_echo's 1.4 build fails
// every call that hands it one) and the host writes the header for it; a 1.3
// plugin still gets the key and the providers list says so.
#include "integration/integration_fixture.hpp"

#include <boost/beast/core/string.hpp>

#include <fstream>
#include <iterator>
#include <sstream>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string openai_key = "sk-env-OPENAI-abcdefghijklmnop1234";
const std::string abi13_key = "sk-env-ABI13-qrstuvwxyzABCDEF5678";
const std::string abi14_key = "sk-env-ABI14-GHIJKLMNOPQRSTUV9012";
const std::string unused_key = "sk-env-UNUSED-0123456789abcdefghij";
const std::string secret_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

std::string environ_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// How many requests the vendor received with exactly one Authorization
// header, of this value.
std::size_t sent_with(const MockOpenAiUpstream &mock, const std::string &authorization) {
    std::size_t n = 0;
    for (const auto &r : mock.requests()) {
        std::size_t found = 0;
        bool match = false;
        for (const auto &[name, value] : r.headers)
            if (boost::beast::iequals(name, "authorization")) {
                ++found;
                match = value == authorization;
            }
        n += found == 1 && match;
    }
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_environment)

BOOST_AUTO_TEST_CASE(keys_leave_the_environment_and_plugins_of_minor_4_never_see_them,
                     *utf::timeout(120)) {
    Harness h({"switchboard-openai.so", "usage_echo_1_3.so", "usage_echo_1_4.so"});
    DaemonProcess &daemon = h.start({{"OPENAI_API_KEY", openai_key},
                                     {"OPENAI_API_BASE", h.mock.base_url()},
                                     {"ABI13_API_KEY", abi13_key},
                                     {"ABI13_API_BASE", h.mock.base_url()},
                                     {"ABI14_API_KEY", abi14_key},
                                     {"ABI14_API_BASE", h.mock.base_url()},
                                     {"UNUSED_API_KEY", unused_key},
                                     {"SWITCHBOARD_SECRET_KEY", secret_key},
                                     {"LLM_PROVIDER", "openai"}});

    const std::string environ = environ_of(daemon.pid());
    BOOST_TEST_REQUIRE(environ.find("PATH=") != std::string::npos,
                       "could not read the daemon's environment");
    BOOST_TEST(environ.find("_API_KEY") == std::string::npos);
    BOOST_TEST(environ.find("SWITCHBOARD_SECRET_KEY") == std::string::npos);
    for (const auto &value :
         {openai_key, abi13_key, abi14_key, unused_key, secret_key, std::string("sk-env-")})
        BOOST_TEST(environ.find(value) == std::string::npos,
                   "the daemon's environment still holds " << value);
    // The variables that are no secret stay.
    BOOST_TEST(environ.find("OPENAI_API_BASE=" + h.mock.base_url()) != std::string::npos);

    // Yet every key reaches its vendor.
    for (const std::string model : {"openai/gpt-4o-mini", "abi13/echo-model", "abi14/echo-model"}) {
        auto plain = h.post_json(chat_path, chat_body(model));
        BOOST_TEST(plain.status == 200u, model << ": " << plain.body);
        json::object body = chat_body(model);
        body["stream"] = true;
        auto streamed = h.post_json(chat_path, body);
        BOOST_TEST(streamed.status == 200u, model << ": " << streamed.body);
        BOOST_TEST(streamed.body.find("data: [DONE]") != std::string::npos,
                   model << ": " << streamed.body);
    }
    BOOST_TEST(sent_with(h.mock, "Bearer " + openai_key) == 2u);
    BOOST_TEST(sent_with(h.mock, "Bearer " + abi13_key) == 2u);
    // abi14 wrote an "AUTHORIZATION" header of its own: only the host's went out.
    BOOST_TEST(sent_with(h.mock, "Bearer " + abi14_key) == 2u);
    for (const auto &r : h.mock.requests())
        for (const auto &[name, value] : r.headers)
            BOOST_TEST(value.find("written-by-the-plugin") == std::string::npos,
                       name << ": " << value);

    auto providers = h.get(providers_path);
    BOOST_TEST_REQUIRE(providers.status == 200u, providers.body);
    const json::value doc = providers.json();
    const json::value *list = find(doc, "providers");
    for (const auto &[id, sees] :
         {std::pair{"openai", false}, std::pair{"abi14", false}, std::pair{"abi13", true}}) {
        const json::object *p = find_in(list, "id", id);
        BOOST_TEST_REQUIRE(p != nullptr, id);
        BOOST_TEST((sees ? is_true(*p, "sees_keys") : is_false(*p, "sees_keys")),
                   id << ": " << providers.body);
    }
    BOOST_TEST(text(*find_in(list, "id", "openai"), "credential_header") == "authorization");
}

BOOST_AUTO_TEST_SUITE_END()
