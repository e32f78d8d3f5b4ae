#define BOOST_TEST_MODULE errors
#include <boost/test/unit_test.hpp>

#include "core/errors.hpp"
#include "host/error_presentation.hpp"

#include <boost/json.hpp>

using namespace sb::core;
using namespace sb::host;

BOOST_AUTO_TEST_CASE(error_body_has_openai_shape) {
    GatewayError e(ErrorCode::unknown_provider, "unknown provider 'x'", "provider");
    auto v = boost::json::parse(error_body_json(e));
    BOOST_TEST(v.at("error").at("message").as_string() == "unknown provider 'x'");
    BOOST_TEST(v.at("error").at("type").as_string() == "invalid_request_error");
    BOOST_TEST(v.at("error").at("code").as_string() == "unknown_provider");
    BOOST_TEST(v.at("error").at("param").as_string() == "provider");
    BOOST_TEST(error_http_status(e.code()) == 400);
}

BOOST_AUTO_TEST_CASE(statuses_and_test_types_follow_the_classification) {
    BOOST_TEST(error_http_status(ErrorCode::invalid_api_key) == 401);
    BOOST_TEST(error_http_status(ErrorCode::rate_limit_exceeded) == 429);
    BOOST_TEST(error_http_status(ErrorCode::model_not_found) == 404);
    BOOST_TEST(error_http_status(ErrorCode::upstream_error) == 502);
    BOOST_TEST(error_http_status(ErrorCode::timeout) == 504);
    BOOST_TEST(test_error_type(ErrorCode::permission_denied) == "invalid_api_key");
    BOOST_TEST(test_error_type(ErrorCode::context_length_exceeded) == "upstream_error");
    BOOST_TEST(test_error_type(ErrorCode::api_base_incorrect) == "api_base_incorrect");
}

BOOST_AUTO_TEST_CASE(secrets_are_redacted_from_vendor_messages) {
    const std::string key = "sk-test-SECRET-abcdefghijklmnop1234";
    std::string msg = "Incorrect API key provided: " + key + ". You can find your key at ...";
    std::string out = redact_secret(msg, key);
    BOOST_TEST(out.find("SECRET") == std::string::npos);
    BOOST_TEST(out.find("[redacted]") != std::string::npos);
    // a partially echoed key (vendor truncation) is caught too
    std::string partial = redact_secret("key sk-test-SECRET-abc*** is wrong", key);
    BOOST_TEST(partial.find("SECRET") == std::string::npos);
    BOOST_TEST(redact_secret("no secret here", key) == "no secret here");
}
