// Hostile and broken input to every endpoint of the real daemon: it answers
// with the documented error and keeps serving.
#include "integration/integration_fixture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

void check_still_serving(const Harness &h) {
    auto r = h.client(std::chrono::milliseconds{5'000}).get("/healthz");
    BOOST_TEST(r.status == 200u, "healthz after abuse: " << r.status << " " << r.body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(malformed_json_is_400_invalid_json_everywhere, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-bad-input-0000"}, {"OPENAI_API_BASE", h.mock.base_url()}});
    for (auto path : {config_path, test_path, chat_path}) {
        for (std::string body : {"{", "{\"model\": }", "not json at all", "{\"a\":1}}", "\xff\xfe{}"}) {
            BOOST_TEST_CONTEXT(path << " <- " << body) {
                check_error(h.post(path, body), 400, "invalid_request_error", "invalid_json");
            }
        }
    }
    BOOST_TEST(h.mock.chat_requests().empty());
    check_still_serving(h);
}

BOOST_AUTO_TEST_CASE(wrong_json_types_are_400, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-bad-input-0000"}, {"OPENAI_API_BASE", h.mock.base_url()}});
    for (std::string body : {"[]", "\"hello\"", "null", "{\"model\": 5, \"messages\": []}",
                             "{\"model\": \"openai/gpt-4o-mini\", \"messages\": \"ping\"}",
                             "{\"model\": [\"openai\"], \"messages\": [{\"role\":\"user\",\"content\":\"x\"}]}"}) {
        BOOST_TEST_CONTEXT(chat_path << " <- " << body) {
            check_error(h.post(chat_path, body), 400, "invalid_request_error");
        }
    }
    BOOST_TEST(h.mock.chat_requests().empty());
}

BOOST_AUTO_TEST_CASE(bodies_over_32_mib_get_413_without_hanging, *utf::timeout(90)) {
    Harness h;
    h.start({{"OPENAI_API_KEY", "sk-test-bad-input-0000"}, {"OPENAI_API_BASE", h.mock.base_url()}});
    // Valid JSON, so only the size can be the reason.
    std::string huge = "{\"provider\":\"openai\",\"model\":\"" + std::string((32u << 20) + 1024, 'a') + "\"}";
    for (auto path : {chat_path, config_path, test_path}) {
        BOOST_TEST_CONTEXT(path) {
            auto started = std::chrono::steady_clock::now();
            auto r = h.client(std::chrono::milliseconds{20'000}).post(path, huge);
            auto took = std::chrono::steady_clock::now() - started;
            check_error(r, 413, "request_too_large");
            BOOST_TEST(std::chrono::duration_cast<std::chrono::seconds>(took).count() < 15);
        }
    }
    // A body just under the limit is read (and refused for its content, not its size).
    std::string big_ok = "{\"provider\":\"openai\",\"colour\":\"" + std::string((31u << 20), 'b') + "\"}";
    auto r = h.client(std::chrono::milliseconds{20'000}).post(config_path, big_ok);
    check_error(r, 400, "invalid_request_error");
    BOOST_TEST(h.mock.chat_requests().empty());
    check_still_serving(h);
}

BOOST_AUTO_TEST_CASE(declared_content_length_over_the_limit_is_413_at_once, *utf::timeout(60)) {
    Harness h;
    h.start();
    // Announce 64 MiB, send nothing: the daemon must answer from the header.
    std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 67108864\r\n\r\n";
    auto reply = send_raw_bytes("127.0.0.1", h.daemon().port(), head, std::chrono::milliseconds{5'000}, false);
    BOOST_TEST(reply.rfind("HTTP/1.1 413", 0) == 0u, "reply: " << reply.substr(0, 200));
    check_still_serving(h);
}

BOOST_AUTO_TEST_CASE(unknown_routes_are_404, *utf::timeout(60)) {
    Harness h;
    h.start();
    // ("/" and "/ui" are the admin page.)
    for (std::string target : {"/nope", "/ui/nope", "/api/backdoor/llm/nope", "/api/backdoor/llm", "/v1/nope",
                               "/v1/chat/completions/extra", "/v2/chat/completions"}) {
        BOOST_TEST_CONTEXT("GET " << target) { check_error(h.get(target), 404, "not_found_error"); }
    }
    check_error(h.post("/v1/embeddings-nope", "{}"), 404, "not_found_error");
}

BOOST_AUTO_TEST_CASE(wrong_methods_are_405, *utf::timeout(60)) {
    Harness h;
    h.start();
    auto client = h.client();
    struct Case {
        const char *method;
        std::string_view path;
    };
    const std::vector<Case> cases{
        {"GET", chat_path},        {"PUT", chat_path},         {"POST", v1_models_path},
        {"DELETE", config_path},   {"PUT", config_path},       {"GET", test_path},
        {"POST", providers_path},  {"DELETE", providers_path}, {"POST", models_path},
        {"PATCH", config_path},    {"POST", "/healthz"},
    };
    for (const auto &c : cases) {
        BOOST_TEST_CONTEXT(c.method << " " << c.path) {
            std::string body = std::string(c.method) == "GET" || std::string(c.method) == "DELETE" ? "" : "{}";
            check_error(client.request(c.method, c.path, body), 405, "method_not_allowed");
        }
    }
}

BOOST_AUTO_TEST_CASE(garbage_bytes_do_not_stop_the_daemon, *utf::timeout(60)) {
    Harness h;
    h.start();
    const auto port = h.daemon().port();
    const std::vector<std::pair<const char *, std::string>> inputs{
        {"binary noise", std::string("\x00\xff\x13\x37garbage\r\n\r\n", 15)},
        {"no version", "GET /healthz\r\n\r\n"},
        {"bad version", "GET /healthz HTTP/9.9\r\n\r\n"},
        {"header without colon", "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"},
        {"huge header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(200'000, 'x') + "\r\n\r\n"},
        {"negative length", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}"},
        {"two lengths", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                        "Content-Length: 9\r\n\r\n{}"},
        {"bad chunk size", "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "zz\r\n{}\r\n0\r\n\r\n"},
        {"truncated body", "POST /api/backdoor/llm/config HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro"},
        {"only a newline", "\r\n"},
        {"nothing", ""},
        {"TLS hello", std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11)},
    };
    for (const auto &[name, bytes] : inputs) {
        BOOST_TEST_CONTEXT(name) {
            auto started = std::chrono::steady_clock::now();
            auto reply = send_raw_bytes("127.0.0.1", port, bytes, std::chrono::milliseconds{5'000});
            auto took = std::chrono::steady_clock::now() - started;
            BOOST_TEST(std::chrono::duration_cast<std::chrono::seconds>(took).count() < 5,
                       "the daemon closes a broken request promptly");
            if (!reply.empty())
                BOOST_TEST(reply.rfind("HTTP/1.1 4", 0) == 0u, "a 4xx if anything: " << reply.substr(0, 120));
            check_still_serving(h);
        }
    }
    BOOST_TEST(h.daemon().running());
}

BOOST_AUTO_TEST_CASE(a_silent_client_does_not_block_others, *utf::timeout(60)) {
    Harness h;
    h.start();
    // Hold a connection open with half a request while others are served.
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket idle(ioc);
    idle.connect({boost::asio::ip::make_address("127.0.0.1"), h.daemon().port()});
    boost::asio::write(idle, boost::asio::buffer(std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")));
    for (int i = 0; i < 3; ++i) check_still_serving(h);
    idle.close();
    check_still_serving(h);
}

BOOST_AUTO_TEST_SUITE_END()
