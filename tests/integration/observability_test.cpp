// Logs and metrics through the real daemon tell the truth and stay bounded:
// a stream that ends in an error event is an error, a client that leaves is
// a 499, the overhead is the gateway's own time, the access log names the
// client (and its key by id), /test logs what it found, /providers shows the
// effective api_base; hostile model names cannot grow the metrics, the log
// or the daemon's memory; vendor model lists are fetched once for many GETs.
#include "integration/integration_fixture.hpp"
#include "support/loopback_http_server.hpp"

#include <openssl/sha.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

const std::string openai_key = "sk-test-observability-key-4242";
const MockHeaders json_headers{{"Content-Type", "application/json"}};
const MockHeaders sse_headers{{"Content-Type", "text/event-stream"}};

std::string completion_json() {
    return R"({"id":"chatcmpl-obs","object":"chat.completion","created":0,"model":"gpt-4o-mini",)"
           R"("choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}],)"
           R"("usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})";
}

std::string sse_chunk(std::string_view content) {
    return R"(data: {"id":"chatcmpl-obs","object":"chat.completion.chunk","created":0,"model":"gpt-4o-mini",)"
           R"("choices":[{"index":0,"delta":{"content":")" +
           std::string(content) + R"("},"finish_reason":null}]})" + "\n\n";
}

std::vector<std::string> sse_pieces(int n, bool done) {
    std::vector<std::string> pieces;
    for (int i = 0; i < n; ++i) pieces.push_back(sse_chunk("w" + std::to_string(i)));
    if (done) pieces.push_back("data: [DONE]\n\n");
    return pieces;
}

// A vendor answering chats with whatever the test last set, and model
// lists slowly (so that GETs overlap); counts both.
class Vendor {
public:
    Vendor()
        : state_(std::make_shared<State>()),
          server_([s = state_](const RecordedRequest &r) { return s->answer(r); }) {}

    void on_chat(std::vector<MockAction> script) {
        std::lock_guard lock(state_->mutex);
        state_->script = std::move(script);
        state_->chats = 0;
    }
    int model_lists() const { return state_->model_lists.load(); }
    std::string api_base() const { return server_.base_url() + "/v1"; }
    LoopbackHttpServer &server() { return server_; }

private:
    struct State {
        std::mutex mutex;
        std::vector<MockAction> script;  // one per chat, the last repeats
        std::size_t chats = 0;
        std::atomic<int> model_lists{0};

        MockAction answer(const RecordedRequest &r) {
            if (r.target.find("/models") != std::string::npos) {
                ++model_lists;
                return MockAction::stream(
                    200, json_headers,
                    {R"({"object":"list","data":[{"id":"gpt-4o-mini"},{"id":"listed-model"}]})"}, 400ms);
            }
            std::lock_guard lock(mutex);
            if (script.empty()) return MockAction::reply(200, json_headers, completion_json());
            const std::size_t i = chats++;
            return i < script.size() ? script[i] : script.back();
        }
    };
    std::shared_ptr<State> state_;
    LoopbackHttpServer server_;
};

Env openai_env(const Vendor &vendor, Env extra = {}) {
    Env env{{"OPENAI_API_KEY", openai_key},
            {"OPENAI_API_BASE", vendor.api_base()},
            {"OPENAI_MODEL", "gpt-4o-mini"},
            {"LLM_PROVIDER", "openai"}};
    env.insert(extra.begin(), extra.end());
    return env;
}

TestHttpResponse chat(const Harness &h, const std::string &request_id, json::object body = chat_body(),
                      TestHeaders headers = {}) {
    headers.emplace_back("X-Request-Id", request_id);
    return h.client().post(chat_path, json::serialize(body), headers);
}

json::object stream_body(std::string_view model = {}) {
    auto body = chat_body(model);
    body["stream"] = true;
    return body;
}

// The access-log line of request_id, waiting up to `limit` for it.
std::string access_line(const Harness &h, std::string_view request_id, std::chrono::milliseconds limit = 5s) {
    const std::string marker = "request_id=" + std::string(request_id) + " ";
    const auto deadline = Clock::now() + limit;
    for (;;) {
        const std::string log = h.log_text();
        for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
            const auto begin = log.rfind('\n', at) == std::string::npos ? 0 : log.rfind('\n', at) + 1;
            const std::string line = log.substr(begin, log.find('\n', at) - begin);
            if (line.find(" event=request ") != std::string::npos) return line;
        }
        if (Clock::now() >= deadline) return "<no access-log line for " + std::string(request_id) + ">";
        std::this_thread::sleep_for(20ms);
    }
}

// The value of key in a log line (unquoted; quotes kept off).
std::string field(const std::string &line, std::string_view key) {
    const std::string marker = " " + std::string(key) + "=";
    auto at = line.find(marker);
    if (at == std::string::npos) return "<no " + std::string(key) + ">";
    at += marker.size();
    if (line[at] == '"') {
        auto end = at + 1;
        while (end < line.size() && line[end] != '"') end += line[end] == '\\' ? 2 : 1;
        return line.substr(at + 1, end - at - 1);
    }
    return line.substr(at, line.find(' ', at) - at);
}

long number_field(const std::string &line, std::string_view key) {
    try {
        return std::stol(field(line, key));
    } catch (const std::exception &) {
        return -1;
    }
}

// The value of the series whose text (name and labels) is `series`, or -1.
double metric(const std::string &metrics, std::string_view series) {
    const std::string marker = "\n" + std::string(series) + " ";
    auto at = metrics.find(marker);
    if (at == std::string::npos) return -1;
    return std::stod(metrics.substr(at + marker.size()));
}

// Sends a chat on a raw socket the test closes when it likes.
int send_chat(unsigned short port, const json::object &body, std::string_view request_id) {
    const std::string payload = json::serialize(body);
    const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: " +
                                std::string(request_id) + "\r\nContent-Type: application/json\r\nContent-Length: " +
                                std::to_string(payload.size()) + "\r\n\r\n" + payload;
    int fd = connect_to(port);
    BOOST_TEST_REQUIRE(send_all(fd, request));
    return fd;
}

std::string sha256_prefix(std::string_view text) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char *>(text.data()), text.size(), d);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 4; ++i) {
        out += hex[d[i] >> 4];
        out += hex[d[i] & 0xf];
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logs_and_metrics)

BOOST_AUTO_TEST_CASE(a_stream_that_ends_in_an_error_event_is_logged_and_counted_as_an_error, *utf::timeout(60)) {
    Vendor vendor;
    Harness h;
    h.start(openai_env(vendor));
    // Two chunks, then the connection drops before the last chunk.
    vendor.on_chat({MockAction::stream(200, sse_headers, sse_pieces(2, false), 0ms, /*truncate=*/true)});
    auto r = chat(h, "obs-stream-error", stream_body());
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST_REQUIRE(r.body.find("data: {\"error\"") != std::string::npos, "an error event: " << r.body);

    const std::string line = access_line(h, "obs-stream-error");
    BOOST_TEST(field(line, "status") == "200", line);
    BOOST_TEST(field(line, "outcome") == "error", line);
    BOOST_TEST(field(line, "error").size() > 2u, "the error type is named: " << line);
    BOOST_TEST(field(line, "error_after_head") == "true", line);
    BOOST_TEST(field(line, "streamed") == "true", line);
    BOOST_TEST(field(line, "dialect") == "openai.chat", line);
    BOOST_TEST(field(line, "native") == "false", line);

    const std::string m = h.get("/metrics").body;
    BOOST_TEST(metric(m, R"(switchboard_requests_total{route="/v1/chat/completions",status="200",provider="openai",model="gpt-4o-mini",outcome="error"})") == 1, m);
    BOOST_TEST(metric(m, R"(switchboard_ingress_requests_total{dialect="openai.chat",path="translated"})") == 1, m);
    BOOST_TEST(metric(m, "switchboard_errors_total{type=\"" + field(line, "error") + "\",provider=\"openai\"}") == 1, m);

    // A stream that ends well is ok.
    vendor.on_chat({MockAction::stream(200, sse_headers, sse_pieces(2, true))});
    auto fine = chat(h, "obs-stream-ok", stream_body());
    BOOST_TEST(fine.body.find("\"error\"") == std::string::npos, fine.body);
    const std::string ok_line = access_line(h, "obs-stream-ok");
    BOOST_TEST(field(ok_line, "outcome") == "ok", ok_line);
    BOOST_TEST(field(ok_line, "error_after_head") == "false", ok_line);
}

BOOST_AUTO_TEST_CASE(a_client_that_leaves_is_logged_as_499_client_closed, *utf::timeout(60)) {
    Vendor vendor;
    Harness h;
    h.start(openai_env(vendor));

    // Mid-stream.
    vendor.on_chat({MockAction::stream(200, sse_headers, sse_pieces(40, true), 250ms)});
    int fd = send_chat(h.daemon().port(), stream_body(), "obs-leaves-stream");
    const std::string got = recv_until(fd, "\"w1\"", 5s);
    BOOST_TEST_REQUIRE(got.find("\"w1\"") != std::string::npos, got);
    ::close(fd);
    const std::string line = access_line(h, "obs-leaves-stream");
    BOOST_TEST(field(line, "status") == "499", line);
    BOOST_TEST(field(line, "outcome") == "client_closed", line);

    // Before any answer: the vendor never answers, the client gives up.
    vendor.on_chat({MockAction::hang()});
    fd = send_chat(h.daemon().port(), chat_body(), "obs-leaves-wait");
    std::this_thread::sleep_for(800ms);  // in flight across a watch tick
    ::close(fd);
    const std::string waiting = access_line(h, "obs-leaves-wait");
    BOOST_TEST(field(waiting, "status") == "499", waiting);
    BOOST_TEST(field(waiting, "outcome") == "client_closed", waiting);
    BOOST_TEST(field(waiting, "error") == "", "leaving is not an internal error: " << waiting);

    const std::string m = h.get("/metrics").body;
    BOOST_TEST(metric(m, R"(switchboard_requests_total{route="/v1/chat/completions",status="499",provider="openai",model="gpt-4o-mini",outcome="client_closed"})") == 2, m);
    BOOST_TEST(m.find("switchboard_errors_total{type=\"internal_error\"") == std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(overhead_is_the_gateways_own_time_only, *utf::timeout(90)) {
    constexpr long own_time_bound_us = 250'000;  // generous for sanitizer builds; every wait below is longer
    Vendor vendor;
    Harness h;
    h.start(openai_env(vendor));

    // A vendor slow to send its answer's body.
    const std::string answer = completion_json();
    vendor.on_chat({MockAction::stream(200, json_headers, {answer.substr(0, 40), answer.substr(40)}, 400ms)});
    auto slow = chat(h, "obs-slow-vendor");
    BOOST_TEST_REQUIRE(slow.status == 200u, slow.body);
    std::string line = access_line(h, "obs-slow-vendor");
    BOOST_TEST(std::stol(slow.header("x-switchboard-overhead-us")) < own_time_bound_us, line);
    BOOST_TEST(number_field(line, "overhead_us") < own_time_bound_us, line);
    BOOST_TEST(number_field(line, "upstream_us") >= 700'000, line);

    // A retry after Retry-After: 1.
    vendor.on_chat({MockAction::reply(429, {{"Content-Type", "application/json"}, {"Retry-After", "1"}},
                                      R"({"error":{"message":"slow down","type":"rate_limit_exceeded"}})"),
                    MockAction::reply(200, json_headers, completion_json())});
    auto retried = chat(h, "obs-retried");
    BOOST_TEST_REQUIRE(retried.status == 200u, retried.body);
    line = access_line(h, "obs-retried");
    BOOST_TEST(std::stol(retried.header("x-switchboard-overhead-us")) < own_time_bound_us, line);
    BOOST_TEST(number_field(line, "overhead_us") < own_time_bound_us, line);
    BOOST_TEST(number_field(line, "retry_wait_us") >= 950'000, line);
    BOOST_TEST(number_field(line, "attempts") == 2, line);

    // A stream of a second and a half.
    vendor.on_chat({MockAction::stream(200, sse_headers, sse_pieces(5, true), 300ms)});
    const auto t0 = Clock::now();
    auto streamed = chat(h, "obs-streamed", stream_body());
    BOOST_TEST_REQUIRE(streamed.status == 200u, streamed.body);
    BOOST_TEST_REQUIRE((Clock::now() - t0 >= 1400ms));
    line = access_line(h, "obs-streamed");
    BOOST_TEST(std::stol(streamed.header("x-switchboard-overhead-us")) < own_time_bound_us, line);
    BOOST_TEST(number_field(line, "overhead_us") < own_time_bound_us, line);
    BOOST_TEST(number_field(line, "duration_us") >= 1'400'000, line);

    const std::string m = h.get("/metrics").body;
    BOOST_TEST(metric(m, R"(switchboard_gateway_overhead_seconds_count{route="/v1/chat/completions"})") == 3, m);
    BOOST_TEST(metric(m, R"(switchboard_gateway_overhead_seconds_sum{route="/v1/chat/completions"})") <
                   3 * own_time_bound_us / 1e6, m);
    BOOST_TEST(metric(m, R"(switchboard_retry_wait_seconds_count{provider="openai"})") == 1, m);
    BOOST_TEST(metric(m, R"(switchboard_retry_wait_seconds_sum{provider="openai"})") >= 0.95, m);
}

BOOST_AUTO_TEST_CASE(test_endpoint_logs_provider_model_and_the_error_type_it_returned, *utf::timeout(60)) {
    Harness h;
    h.start({{"OPENAI_API_BASE", h.mock.base_url()}});
    const std::string bad_key = "sk-bad-observability-key-5555";
    auto r = h.client().post(test_path,
                             json::serialize(json::object{
                                 {"provider", "openai"}, {"api_key", bad_key}, {"model", "gpt-4o-mini"}}),
                             {{"X-Request-Id", "obs-test-call"}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(text(r.json(), "error.type") == "invalid_api_key", r.body);
    const std::string line = access_line(h, "obs-test-call");
    BOOST_TEST(field(line, "provider") == "openai", line);
    BOOST_TEST(field(line, "model") == "gpt-4o-mini", line);
    BOOST_TEST(field(line, "error") == "invalid_api_key", line);
    BOOST_TEST(h.log_text().find(bad_key) == std::string::npos, "the key stays out of the log");
}

BOOST_AUTO_TEST_CASE(access_log_names_the_client_and_its_key_by_id_never_the_key, *utf::timeout(60)) {
    Vendor vendor;
    Harness h;
    const std::string first = "ck-observability-first-1111", second = "ck-observability-second-2222";
    h.start(openai_env(vendor, {{"SWITCHBOARD_CLIENT_KEYS", first + "," + second}}));
    auto r = chat(h, "obs-keyed", chat_body(), {{"Authorization", "Bearer " + second}});
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    const std::string line = access_line(h, "obs-keyed");
    BOOST_TEST(field(line, "client") == "127.0.0.1", line);
    BOOST_TEST(field(line, "client_key") == sha256_prefix(second), line);
    BOOST_TEST(field(line, "client_key") != sha256_prefix(first), line);
    const std::string log = h.log_text();
    BOOST_TEST(log.find(second) == std::string::npos, "the key stays out of the log");
    BOOST_TEST(log.find("observability-second") == std::string::npos);

    auto refused = chat(h, "obs-bad-key", chat_body(), {{"Authorization", "Bearer ck-not-a-key"}});
    BOOST_TEST(refused.status == 401u);
    BOOST_TEST(field(access_line(h, "obs-bad-key"), "client_key") == "", "a refused key gets no id");
}

BOOST_AUTO_TEST_CASE(providers_show_the_effective_api_base_beside_the_default, *utf::timeout(60)) {
    Vendor vendor;
    Harness h;
    h.start(openai_env(vendor));
    auto r = h.get(providers_path);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    const auto doc = r.json();
    const json::object *openai = find_in(find(doc, "providers"), "id", "openai");
    BOOST_TEST_REQUIRE(openai != nullptr, r.body);
    BOOST_TEST(text(*openai, "api_base") == "https://api.openai.com/v1", r.body);
    BOOST_TEST(text(*openai, "effective_api_base") == vendor.api_base(), r.body);
    BOOST_TEST(text(*openai, "effective_api_base_source") == "env", r.body);
    const json::object *custom = find_in(find(doc, "providers"), "id", "custom");
    BOOST_TEST_REQUIRE(custom != nullptr, r.body);
    BOOST_TEST(text(*custom, "effective_api_base") == text(*custom, "api_base"), r.body);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(attacks)

// Issue: 300 requests with 1 MB model names for an unconfigured provider
// grew the daemon by ~290 MiB for good, /metrics to 300 MB and the log by
// 300 MB.
BOOST_AUTO_TEST_CASE(huge_model_names_leave_metrics_log_and_memory_bounded, *utf::timeout(180)) {
    Vendor vendor;
    Harness h;
    h.start(openai_env(vendor));
    // Warm up: the daemon's steady state before the attack.
    for (int i = 0; i < 3; ++i) BOOST_TEST_REQUIRE(chat(h, "obs-warm-" + std::to_string(i)).status == 200u);
    const long rss_before = daemon_rss_kib(h.daemon().pid());
    const std::size_t log_before = h.log_text().size();

    const auto client = h.client(30s);
    for (int i = 0; i < 300; ++i) {
        std::string model = "custom/" + std::string(1 << 20, static_cast<char>('a' + i % 26)) + std::to_string(i);
        auto r = client.post(chat_path, json::serialize(chat_body(model)));
        BOOST_TEST_REQUIRE(r.status >= 400u, r.body.substr(0, 200));
        BOOST_TEST_REQUIRE(r.status < 500u, r.body.substr(0, 200));
    }
    // And a name with bytes meant for a terminal or a log parser.
    const std::string hostile = std::string("openai/x\r\nlevel=error event=forged\x1b[2J") + '\0' + "y";
    chat(h, "obs-hostile", chat_body(hostile));

    const auto metrics = h.get("/metrics");
    BOOST_TEST(metrics.body.size() < 64u * 1024, "/metrics is " << metrics.body.size() << " bytes");
    BOOST_TEST(metrics.body.find(R"(provider="custom",model="other",outcome="error"} 300)") != std::string::npos,
               metrics.body);
    BOOST_TEST(metrics.body.find(R"(model="gpt-4o-mini",outcome="ok"} 3)") != std::string::npos, metrics.body);

    const std::string log = h.log_text();
    BOOST_TEST(log.size() - log_before < 2u << 20, "the log grew by " << log.size() - log_before << " bytes");
    std::size_t longest = 0;
    for (std::size_t at = 0, next; at < log.size(); at = next + 1) {
        next = log.find('\n', at);
        if (next == std::string::npos) next = log.size();
        longest = std::max(longest, next - at);
    }
    BOOST_TEST(longest < 8u * 1024, "a log line of " << longest << " bytes");
    BOOST_TEST(log.find("\nlevel=error event=forged") == std::string::npos, "a forged log line");
    BOOST_TEST(log.find('\x1b') == std::string::npos, "a raw ESC in the log");
    BOOST_TEST(log.find('\0') == std::string::npos, "a raw NUL in the log");

    const long rss_after = daemon_rss_kib(h.daemon().pid());
    BOOST_TEST_MESSAGE("daemon RSS " << rss_before << " KiB before, " << rss_after << " KiB after");
#ifndef SB_SANITIZED_BUILD
    BOOST_TEST(rss_after - rss_before < 64 * 1024, "RSS grew by " << (rss_after - rss_before) << " KiB");
#else
    // ASan's quarantine holds freed memory back: RSS proves nothing here; the
    // metrics and log bounds above still do.
#endif
}

// A model the vendor lists, or one in the fallback chain, is known; any
// other name a client sends is "other".
BOOST_AUTO_TEST_CASE(only_model_ids_the_daemon_knows_become_labels, *utf::timeout(60)) {
    Vendor vendor;
    Harness h;
    h.start(openai_env(vendor, {{"SWITCHBOARD_FALLBACK", "openai/fallback-model"}}));
    BOOST_TEST_REQUIRE(h.get(std::string(models_path) + "?provider=openai").status == 200u);  // lists listed-model
    for (const char *model : {"openai/listed-model", "openai/gpt-4o-mini", "openai/fallback-model",
                              "openai/made-up-model", "gpt-made-up"})
        BOOST_TEST(chat(h, "obs-label", chat_body(model)).status == 200u, model);
    const std::string m = h.get("/metrics").body;
    for (const char *label : {"model=\"listed-model\"", "model=\"gpt-4o-mini\"", "model=\"fallback-model\""})
        BOOST_TEST(m.find(label) != std::string::npos, label << " in\n" << m);
    BOOST_TEST(m.find("made-up-model") == std::string::npos, m);
    BOOST_TEST(m.find("gpt-made-up") == std::string::npos, m);
    BOOST_TEST(metric(m, R"(switchboard_requests_total{route="/v1/chat/completions",status="200",provider="openai",model="other",outcome="ok"})") == 2, m);
}

// Issue: every GET of /api/backdoor/llm/models called every vendor with the
// operator's keys.
BOOST_AUTO_TEST_CASE(vendor_model_lists_are_fetched_once_for_many_gets, *utf::timeout(90)) {
    Vendor vendor;
    Harness h;
    h.start(openai_env(vendor));
    const std::string target = std::string(models_path) + "?provider=openai";
    std::vector<std::future<TestHttpResponse>> gets;
    for (int i = 0; i < 8; ++i) gets.push_back(std::async(std::launch::async, [&] { return h.get(target); }));
    for (auto &g : gets) {
        auto r = g.get();
        BOOST_TEST(r.status == 200u, r.body);
        BOOST_TEST(text(r.json(), "providers.0.source") == "live", r.body);
    }
    BOOST_TEST(vendor.model_lists() == 1, "8 concurrent GETs made " << vendor.model_lists() << " vendor calls");

    BOOST_TEST(h.get(target).status == 200u);
    BOOST_TEST(h.get(v1_models_path).status == 200u);
    BOOST_TEST(vendor.model_lists() == 1, "within the TTL no GET calls the vendor");

    auto changed = h.post_json(config_path, json::object{{"provider", "openai"}, {"model", "gpt-4o"}});
    BOOST_TEST_REQUIRE(changed.status == 200u, changed.body);
    auto after = h.get(target);
    BOOST_TEST(text(after.json(), "providers.0.source") == "live", after.body);
    BOOST_TEST(vendor.model_lists() == 2, "a config change clears the provider's list");
}

BOOST_AUTO_TEST_SUITE_END()
