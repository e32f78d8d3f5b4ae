// What the gateway tells its operator stays true and bounded: log values and
// metric labels are escaped and capped whatever a client sends, requests are
// counted by outcome, and a vendor's model list is fetched once for many
// callers (ModelListCache).
#define BOOST_TEST_MODULE observability
#include <boost/test/unit_test.hpp>

#include "core/gateway/model_list_cache.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/json.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using sb::core::GatewayError;
using sb::core::Metrics;
using sb::core::ModelListCache;

namespace {

// What log_event writes to stderr while `write` runs.
template <class Write>
std::string captured_log(Write write) {
    char path[] = "/tmp/sb-log-test-XXXXXX";
    const int file = ::mkstemp(path);
    BOOST_TEST_REQUIRE(file >= 0);
    std::fflush(stderr);
    const int saved = ::dup(2);
    ::dup2(file, 2);
    write();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(file);
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    ::unlink(path);
    return text.str();
}

bool has_control_byte_but_newline(std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n') || u == 0x7f) return true;
    }
    return false;
}

std::size_t count(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_lines)

BOOST_AUTO_TEST_CASE(control_bytes_in_a_value_are_escaped_not_written) {
    const std::string hostile = std::string("a\r\nb\x1b[31mc") + '\0' + "d\x7f\te";
    const std::string line = captured_log([&] {
        sb::core::log_event(sb::core::LogLevel::info, "probe", {{"model", hostile}, {"next", "x"}});
    });
    BOOST_TEST(count(line, "\n") == 1u, line);
    BOOST_TEST(line.back() == '\n');
    BOOST_TEST(!has_control_byte_but_newline(line), line);
    BOOST_TEST(line.find(R"(model="a\r\nb\x1b[31mc\x00d\x7f\te" next=x)") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(a_huge_value_is_cut_and_says_how_long_it_was) {
    const std::string huge(1 << 20, 'm');
    const std::string line = captured_log([&] {
        sb::core::log_event(sb::core::LogLevel::info, "probe", {{"model", huge}, {"next", "x"}});
    });
    BOOST_TEST(line.size() < sb::core::kMaxLogValueBytes + 200, "line of " << line.size() << " bytes");
    BOOST_TEST(line.find(std::string(sb::core::kMaxLogValueBytes, 'm') + "...[1048576 bytes]\" next=x") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_cut_never_splits_a_utf8_character) {
    // 'é' is two bytes: 1023 ASCII bytes then 'é' puts the cap inside it.
    const std::string value = std::string(sb::core::kMaxLogValueBytes - 1, 'a') + "\xc3\xa9" + "tail";
    const std::string line = captured_log([&] { sb::core::log_event(sb::core::LogLevel::info, "probe", {{"v", value}}); });
    BOOST_TEST(line.find(std::string(sb::core::kMaxLogValueBytes - 1, 'a') + "...[") != std::string::npos, line);
    BOOST_TEST(line.find('\xc3') == std::string::npos);
}

// --log-format json: one JSON object per line that a JSON parser reads back
// value for value, whatever the bytes of a value.
BOOST_AUTO_TEST_CASE(json_lines_parse_back_to_the_fields_given) {
    const std::string hostile = std::string("a\r\nb\"c\\d\x1b") + '\0' + "\x7f\xff\xc3\xa9";
    const std::string line = captured_log([&] {
        sb::core::set_log_format(sb::core::LogFormat::json);
        sb::core::log_event(sb::core::LogLevel::warn, "probe", {{"model", hostile}, {"n", "42"}});
        sb::core::set_log_format(sb::core::LogFormat::text);
    });
    BOOST_TEST(count(line, "\n") == 1u, line);
    BOOST_TEST(!has_control_byte_but_newline(line), line);
    const boost::json::object o = boost::json::parse(line).as_object();
    BOOST_TEST(o.at("level").as_string() == "warn");
    BOOST_TEST(o.at("event").as_string() == "probe");
    BOOST_TEST(o.at("n").as_string() == "42");
    BOOST_TEST(o.contains("time"));
    // Every byte comes back but the one that is not UTF-8 (U+FFFD instead).
    const std::string expected = std::string("a\r\nb\"c\\d\x1b") + '\0' + "\x7f\xef\xbf\xbd\xc3\xa9";
    BOOST_TEST(std::string(o.at("model").as_string()) == expected);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(metrics)

Metrics::Observation request(std::string_view model, std::string_view outcome = "ok", int status = 200) {
    Metrics::Observation o;
    o.route = "/v1/chat/completions";
    o.status = status;
    o.outcome = outcome;
    o.provider = "openai";
    o.model = model;
    return o;
}

BOOST_AUTO_TEST_CASE(requests_are_counted_by_outcome) {
    Metrics m;
    m.record(request("gpt-4o-mini"));
    auto failed = request("gpt-4o-mini", "error");
    failed.error_type = "network_error";
    m.record(failed);
    m.record(request("gpt-4o-mini", "client_closed", 499));
    const std::string text = m.render();
    for (const char *series :
         {R"(switchboard_requests_total{route="/v1/chat/completions",status="200",provider="openai",model="gpt-4o-mini",outcome="ok"} 1)",
          R"(switchboard_requests_total{route="/v1/chat/completions",status="200",provider="openai",model="gpt-4o-mini",outcome="error"} 1)",
          R"(switchboard_requests_total{route="/v1/chat/completions",status="499",provider="openai",model="gpt-4o-mini",outcome="client_closed"} 1)",
          R"(switchboard_errors_total{type="network_error",provider="openai"} 1)"})
        BOOST_TEST(text.find(series) != std::string::npos, series << " in\n" << text);
}

BOOST_AUTO_TEST_CASE(label_values_are_capped_and_hold_no_control_bytes) {
    Metrics m;
    m.record(request(std::string(1 << 20, 'x')));
    m.record(request(std::string("a\r\n\x1b[2Jb") + '\0' + "c"));
    const std::string text = m.render();
    BOOST_TEST(text.size() < 16'000u, "rendered " << text.size() << " bytes");
    BOOST_TEST(text.find("model=\"" + std::string(Metrics::kMaxLabelBytes, 'x') + "\"") != std::string::npos);
    BOOST_TEST(!has_control_byte_but_newline(text));
    BOOST_TEST(text.find(R"(model="a\\x0d\\x0a\\x1b[2Jb\\x00c")") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(past_the_series_bound_models_share_other) {
    Metrics m;
    for (std::size_t i = 0; i < Metrics::kMaxSeries + 50; ++i) m.record(request("model-" + std::to_string(i)));
    const std::string text = m.render();
    BOOST_TEST(text.find("model-" + std::to_string(Metrics::kMaxSeries + 10)) == std::string::npos);
    BOOST_TEST(text.find(R"(model="other",outcome="ok"} 50)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(retry_sleeps_have_their_own_histogram) {
    Metrics m;
    auto retried = request("gpt-4o-mini");
    retried.retry_wait = 1200ms;
    retried.overhead = 300us;
    m.record(retried);
    m.record(request("gpt-4o-mini"));  // no retry: not observed
    const std::string text = m.render();
    BOOST_TEST(text.find(R"(switchboard_retry_wait_seconds_count{provider="openai"} 1)") != std::string::npos, text);
    BOOST_TEST(text.find(R"(switchboard_retry_wait_seconds_sum{provider="openai"} 1.2)") != std::string::npos, text);
    BOOST_TEST(text.find(R"(switchboard_retry_wait_seconds_bucket{provider="openai",le="1"} 0)") != std::string::npos);
    BOOST_TEST(text.find(R"(switchboard_gateway_overhead_seconds_sum{route="/v1/chat/completions"} 0.0003)") !=
               std::string::npos, text);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(model_list_cache)

namespace {

// A fetch that takes `delay` and counts its calls.
struct SlowVendor {
    std::atomic<int> calls{0};
    std::chrono::milliseconds delay{50ms};
    bool fail = false;

    ModelListCache::Fetch fetch() {
        return [this]() -> asio::awaitable<std::vector<std::string>> {
            ++calls;
            asio::steady_timer timer(co_await asio::this_coro::executor, delay);
            co_await timer.async_wait(asio::use_awaitable);
            if (fail)
                throw GatewayError(sb::core::ErrorCode::invalid_api_key, "invalid key", {}, "openai");
            co_return std::vector<std::string>{"gpt-4o-mini", "listed-model"};
        };
    }
};

// Runs n callers of cache.get at once on io; returns how many got the list.
int run_callers(asio::io_context &io, ModelListCache &cache, SlowVendor &vendor, int n, std::size_t version = 1) {
    auto got = std::make_shared<int>(0);
    const ModelListCache::Fetch fetch = vendor.fetch();
    for (int i = 0; i < n; ++i)
        asio::co_spawn(
            io,
            [&, got]() -> asio::awaitable<void> {
                auto models = co_await cache.get("openai", version, fetch);
                if (models == std::vector<std::string>{"gpt-4o-mini", "listed-model"}) ++*got;
            },
            asio::detached);
    io.restart();
    io.run_for(5s);
    return *got;
}

}  // namespace

BOOST_AUTO_TEST_CASE(concurrent_callers_share_one_vendor_call) {
    asio::io_context io;
    ModelListCache cache(60s, 10s);
    SlowVendor vendor;
    BOOST_TEST(run_callers(io, cache, vendor, 16) == 16);
    BOOST_TEST(vendor.calls == 1);
    BOOST_TEST(run_callers(io, cache, vendor, 4) == 4);
    BOOST_TEST(vendor.calls == 1, "a fresh list is served without a call");
    BOOST_TEST(cache.lists("openai", "listed-model"));
    BOOST_TEST(!cache.lists("openai", "unlisted"));
    BOOST_TEST(!cache.lists("mistral", "listed-model"));
}

BOOST_AUTO_TEST_CASE(a_new_config_or_forget_fetches_again) {
    asio::io_context io;
    ModelListCache cache(60s, 10s);
    SlowVendor vendor;
    run_callers(io, cache, vendor, 2);
    BOOST_TEST(vendor.calls == 1);
    run_callers(io, cache, vendor, 2, /*version=*/2);
    BOOST_TEST(vendor.calls == 2, "another key or base is another list");
    cache.forget("openai");
    BOOST_TEST(!cache.lists("openai", "listed-model"));
    run_callers(io, cache, vendor, 2, 2);
    BOOST_TEST(vendor.calls == 3);
}

BOOST_AUTO_TEST_CASE(a_list_is_fetched_again_once_stale) {
    asio::io_context io;
    ModelListCache cache(100ms, 10s);
    SlowVendor vendor;
    vendor.delay = 1ms;
    run_callers(io, cache, vendor, 1);
    std::this_thread::sleep_for(150ms);
    run_callers(io, cache, vendor, 1);
    BOOST_TEST(vendor.calls == 2);
}

BOOST_AUTO_TEST_CASE(a_vendor_failure_is_kept_for_the_failure_ttl) {
    asio::io_context io;
    ModelListCache cache(60s, 200ms);
    SlowVendor vendor;
    vendor.fail = true;
    std::atomic<int> failures{0};
    const auto fetch = vendor.fetch();
    auto call = [&]() -> asio::awaitable<void> {
        try {
            co_await cache.get("openai", 1, fetch);
        } catch (const GatewayError &e) {
            if (e.code() == sb::core::ErrorCode::invalid_api_key) ++failures;
        }
    };
    for (int i = 0; i < 5; ++i) asio::co_spawn(io, call(), asio::detached);
    io.run_for(5s);
    BOOST_TEST(failures == 5);
    BOOST_TEST(vendor.calls == 1);
    std::this_thread::sleep_for(250ms);
    asio::co_spawn(io, call(), asio::detached);
    io.restart();
    io.run_for(5s);
    BOOST_TEST(failures == 6);
    BOOST_TEST(vendor.calls == 2, "retried once the failure is stale");
}

BOOST_AUTO_TEST_CASE(when_the_fetching_caller_is_cancelled_a_waiter_fetches) {
    asio::io_context io;
    ModelListCache cache(60s, 10s);
    SlowVendor vendor;
    vendor.delay = 200ms;
    const auto fetch = vendor.fetch();
    asio::cancellation_signal cancel;
    bool fetcher_cancelled = false;
    int waiter_got = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            try {
                co_await cache.get("openai", 1, fetch);
            } catch (const boost::system::system_error &) {
                fetcher_cancelled = true;
            }
        },
        asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            waiter_got = static_cast<int>((co_await cache.get("openai", 1, fetch)).size());
        },
        asio::detached);
    asio::steady_timer later(io, 50ms);
    later.async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
    io.run_for(5s);
    BOOST_TEST(fetcher_cancelled);
    BOOST_TEST(waiter_got == 2);
    BOOST_TEST(vendor.calls == 2);
}

BOOST_AUTO_TEST_CASE(waiters_on_other_event_loops_are_woken) {
    asio::io_context fetching, waiting;
    ModelListCache cache(60s, 10s);
    SlowVendor vendor;
    vendor.delay = 100ms;
    const auto fetch = vendor.fetch();
    std::atomic<int> got{0};
    auto call = [&]() -> asio::awaitable<void> {
        if ((co_await cache.get("openai", 1, fetch)).size() == 2) ++got;
    };
    asio::co_spawn(fetching, call(), asio::detached);
    std::thread first([&] { fetching.run_for(5s); });
    std::this_thread::sleep_for(20ms);  // the fetch is under way
    for (int i = 0; i < 3; ++i) asio::co_spawn(waiting, call(), asio::detached);
    std::thread second([&] { waiting.run_for(5s); });
    first.join();
    second.join();
    BOOST_TEST(got == 4);
    BOOST_TEST(vendor.calls == 1);
}

BOOST_AUTO_TEST_SUITE_END()
