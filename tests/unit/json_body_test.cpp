#define BOOST_TEST_MODULE json_body
#include <boost/test/unit_test.hpp>

#include "core/errors.hpp"
#include "host/json_body.hpp"

#include <optional>
#include <string>

// Client JSON bodies: what parsing one may allocate is bounded relative to
// its size, whatever its shape.

using sb::core::ErrorCode;
using sb::core::GatewayError;
using sb::host::parse_json_object;

namespace {

std::optional<ErrorCode> refusal(const std::string &body) {
    try {
        parse_json_object(body);
        return std::nullopt;
    } catch (const GatewayError &e) {
        return e.code();
    }
}

// {"a":[0,0,...]} of about `bytes`.
std::string tiny_values(std::size_t bytes) {
    std::string body = "{\"a\":[0";
    while (body.size() < bytes) body += ",0";
    return body + "]}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_body_of_tiny_values_is_refused_past_the_parse_memory_cap) {
    // 2 MiB of "0," would take over 16 MiB parsed; the cap is 9 MiB.
    BOOST_TEST((refusal(tiny_values(2u << 20)) == ErrorCode::request_too_large));
    // Nested the same: still counted.
    std::string nested = "{\"a\":[";
    while (nested.size() < (2u << 20)) nested += "[],";
    nested += "[]]}";
    BOOST_TEST((refusal(nested) == ErrorCode::request_too_large));
}

BOOST_AUTO_TEST_CASE(text_heavy_bodies_parse_at_any_size) {
    const std::string text(24u << 20, 'x');
    auto doc = parse_json_object("{\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}");
    BOOST_TEST(doc.at("messages").as_array()[0].as_object().at("content").as_string().size() == text.size());
    // Once parsed, the document can grow freely (the cap was for parsing).
    for (int i = 0; i < 1000; ++i) doc["k" + std::to_string(i)] = std::string(1024, 'y');
    BOOST_TEST(doc.size() == 1001u);
}

BOOST_AUTO_TEST_CASE(small_bodies_of_any_shape_parse) {
    BOOST_TEST(!refusal(tiny_values(30'000)).has_value());
    BOOST_TEST(!refusal("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").has_value());
    // A structured body of moderate size (tool schemas) is not refused.
    std::string tools = "{\"tools\":[";
    for (int i = 0; i < 2000; ++i)
        tools += std::string(i ? "," : "") + R"({"type":"function","function":{"name":"f)" + std::to_string(i) +
                 R"(","description":"does a thing with a parameter","parameters":{"type":"object",)"
                 R"("properties":{"x":{"type":"string","description":"the x"}},"required":["x"]}}})";
    tools += "]}";
    BOOST_TEST(tools.size() > (256u << 10));
    BOOST_TEST(!refusal(tools).has_value());
}

BOOST_AUTO_TEST_CASE(the_old_refusals_stand) {
    BOOST_TEST((refusal("") == ErrorCode::invalid_json));
    BOOST_TEST((refusal("{") == ErrorCode::invalid_json));
    BOOST_TEST((refusal("[]") == ErrorCode::invalid_request));
    BOOST_TEST((refusal(std::string(100, '[') + std::string(100, ']')) == ErrorCode::invalid_json));  // depth
    BOOST_TEST((refusal("{\"a\":\"" + std::string(100'000, 'x') + "\"") == ErrorCode::invalid_json));  // large, cut
}
