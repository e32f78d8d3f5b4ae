#define BOOST_TEST_MODULE retry
#include <boost/test/unit_test.hpp>

#include "core/gateway/retry.hpp"

#include <chrono>
#include <optional>

using namespace sb::core;
using std::chrono::milliseconds;

namespace {

// The jitter's extremes stand in for the random draw: no clock, no chance.
long lowest(long low, long) { return low; }
long highest(long, long high) { return high; }

RetryPolicy policy(int max_retries, long base, long max, long budget) {
    RetryPolicy p;
    p.max_retries = max_retries;
    p.base_backoff = milliseconds(base);
    p.max_backoff = milliseconds(max);
    p.budget = milliseconds(budget);
    return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(only_429_and_5xx_answers_are_retried) {
    const RetryPolicy p = policy(5, 100, 1000, 10'000);
    for (int status : {200, 201, 301, 400, 401, 403, 404, 422}) {
        RetrySchedule schedule(p, highest);
        BOOST_TEST(!schedule.after_answer(status, std::nullopt).has_value(), "status " << status);
    }
    for (int status : {429, 500, 502, 503, 504, 529}) {
        RetrySchedule schedule(p, highest);
        BOOST_TEST(schedule.after_answer(status, std::nullopt).has_value(), "status " << status);
    }
}

BOOST_AUTO_TEST_CASE(backoff_doubles_up_to_its_ceiling_with_jitter_in_the_upper_half) {
    const RetryPolicy p = policy(6, 100, 500, 60'000);
    RetrySchedule high(p, highest);
    std::vector<long> ceilings;
    for (int i = 0; i < 6; ++i) ceilings.push_back(high.after_answer(503, std::nullopt)->count());
    BOOST_TEST(ceilings == (std::vector<long>{100, 200, 400, 500, 500, 500}), boost::test_tools::per_element());
    RetrySchedule low(p, lowest);
    std::vector<long> floors;
    for (int i = 0; i < 4; ++i) floors.push_back(low.after_answer(503, std::nullopt)->count());
    BOOST_TEST(floors == (std::vector<long>{50, 100, 200, 250}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_more_than_max_retries) {
    RetrySchedule schedule(policy(2, 10, 100, 10'000), highest);
    BOOST_TEST(schedule.after_answer(500, std::nullopt).has_value());
    BOOST_TEST(schedule.after_connect_failure().has_value());
    BOOST_TEST(!schedule.after_answer(500, std::nullopt).has_value());
    BOOST_TEST(schedule.retries() == 3);
    RetrySchedule never(policy(0, 10, 100, 10'000), highest);
    BOOST_TEST(!never.after_answer(429, std::nullopt).has_value());
}

BOOST_AUTO_TEST_CASE(the_vendors_retry_after_is_honoured_within_the_budget) {
    RetrySchedule schedule(policy(5, 100, 1000, 3'000), highest);
    BOOST_TEST(schedule.after_answer(429, milliseconds(1500))->count() == 1500);
    // 1500 waited: another 1500 fits the 3000 budget exactly, 1 ms more would not.
    BOOST_TEST(schedule.after_answer(429, milliseconds(1500))->count() == 1500);
    BOOST_TEST(!schedule.after_answer(429, milliseconds(1)).has_value());
    // A vendor asking for longer than the budget gets its error through at once.
    RetrySchedule patient(policy(5, 100, 1000, 3'000), highest);
    BOOST_TEST(!patient.after_answer(503, milliseconds(30'000)).has_value());
}

BOOST_AUTO_TEST_CASE(the_budget_counts_every_wait_of_the_request) {
    RetrySchedule schedule(policy(10, 400, 400, 1'000), highest);
    BOOST_TEST(schedule.after_connect_failure()->count() == 400);
    BOOST_TEST(schedule.after_answer(502, std::nullopt)->count() == 400);
    BOOST_TEST(!schedule.after_answer(502, std::nullopt).has_value());  // 1200 > 1000
}

BOOST_AUTO_TEST_CASE(retry_after_reads_seconds_in_any_case_and_ignores_dates) {
    BOOST_TEST(retry_after({{"Retry-After", "2"}})->count() == 2000);
    BOOST_TEST(retry_after({{"retry-after", "0.5"}})->count() == 500);
    BOOST_TEST(retry_after({{"content-type", "x"}, {"RETRY-AFTER", "0"}})->count() == 0);
    BOOST_TEST(!retry_after({{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}).has_value());
    BOOST_TEST(!retry_after({{"Retry-After", "-3"}}).has_value());
    BOOST_TEST(!retry_after({{"Retry-Afterx", "3"}}).has_value());
    BOOST_TEST(!retry_after({}).has_value());
}

BOOST_AUTO_TEST_CASE(only_failures_another_provider_might_avoid_fall_back) {
    for (ErrorCode code : {ErrorCode::invalid_json, ErrorCode::invalid_request, ErrorCode::unknown_provider,
                           ErrorCode::context_length_exceeded, ErrorCode::content_filter})
        BOOST_TEST(!worth_falling_back(GatewayError(code, "x")), "code " << error_code_name(code));
    for (ErrorCode code : {ErrorCode::rate_limit_exceeded, ErrorCode::upstream_error, ErrorCode::timeout,
                           ErrorCode::network_error, ErrorCode::invalid_api_key, ErrorCode::model_not_found,
                           ErrorCode::provider_not_configured, ErrorCode::api_base_incorrect})
        BOOST_TEST(worth_falling_back(GatewayError(code, "x")), "code " << error_code_name(code));
}
