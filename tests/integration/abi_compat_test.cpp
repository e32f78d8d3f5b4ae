// One daemon serves plugins of ABI 1.0, 1.1 and 1.2 at once: each answers
// plain and streamed chats, and each one's token counts reach the metrics:
// found in the JSON for 1.0 and 1.1, taken from the typed report for 1.2,
// whose typed counts (101 in, 202 out) differ from its JSON's (5 and 1, the
// mock vendor's) on purpose.
#define BOOST_TEST_MODULE switchboard_integration_abi_compat
#include "integration/integration_fixture.hpp"

#include <chrono>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

// The value of the tokens counter of provider's echo-model in direction, or -1.
long tokens(const std::string &metrics, std::string_view provider, std::string_view direction) {
    const std::string series = "switchboard_tokens_total{provider=\"" + std::string(provider) +
                               "\",model=\"echo-model\",direction=\"" + std::string(direction) + "\"} ";
    auto at = metrics.find(series);
    if (at == std::string::npos) return -1;
    return std::stol(metrics.substr(at + series.size()));
}

}  // namespace

BOOST_AUTO_TEST_CASE(plugins_of_every_minor_chat_and_count_tokens_in_one_daemon, *utf::timeout(120)) {
    Harness h({"usage_echo_1_0.so", "usage_echo_1_1.so", "usage_echo_1_2.so"});
    h.start({{"ABI10_API_BASE", h.mock.base_url()},
             {"ABI11_API_BASE", h.mock.base_url()},
             {"ABI12_API_BASE", h.mock.base_url()},
             {"LLM_PROVIDER", "abi10"}});
    struct Expected {
        std::string id;
        long in, out;  // over one plain and one streamed chat
    };
    for (const Expected &e : {Expected{"abi10", 10, 2}, Expected{"abi11", 10, 2}, Expected{"abi12", 202, 404}}) {
        auto plain = h.post_json(chat_path, chat_body(e.id + "/echo-model"));
        BOOST_TEST_REQUIRE(plain.status == 200u, e.id << ": " << plain.body);
        BOOST_TEST(text(plain.json(), "choices.0.message.content") == "pong", plain.body);
        BOOST_TEST(plain.header("x-switchboard-provider") == e.id);

        json::object body = chat_body(e.id + "/echo-model");
        body["stream"] = true;
        auto streamed = h.post_json(chat_path, body);
        BOOST_TEST_REQUIRE(streamed.status == 200u, e.id << ": " << streamed.body);
        BOOST_TEST(streamed.body.find("\"po\"") != std::string::npos, streamed.body);
        BOOST_TEST(streamed.body.find("data: [DONE]") != std::string::npos, streamed.body);

        // A streamed exchange is counted once its body has gone out, which
        // may be just after the client has read it: wait for it, boundedly.
        auto metrics = h.get("/metrics");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (tokens(metrics.body, e.id, "out") != e.out && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            metrics = h.get("/metrics");
        }
        BOOST_TEST_REQUIRE(metrics.status == 200u);
        BOOST_TEST(tokens(metrics.body, e.id, "in") == e.in, e.id << ":\n" << metrics.body);
        BOOST_TEST(tokens(metrics.body, e.id, "out") == e.out, e.id << ":\n" << metrics.body);
    }
}
