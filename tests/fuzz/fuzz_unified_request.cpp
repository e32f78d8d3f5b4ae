// libFuzzer harness: the unified-request parsing of host/json_body.cpp
// (parse_json_object, reject_unknown_fields, optional_string) and the checks
// POST /v1/chat/completions applies (validate_chat_request).
//
// Input: the raw request body. Invariants: no crash, no leak; the only
// exception is GatewayError with code invalid_json or invalid_request and a
// non-empty message; a named unknown field is at most 64 bytes plus "...".
#include "fuzz_support.hpp"
#include "core/errors.hpp"
#include "host/json_body.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

using sb::fuzz::valid_utf8;

namespace json = boost::json;
using sb::core::ErrorCode;
using sb::core::GatewayError;

// What POST /v1/chat/completions does with a parsed body before routing.
void chat_checks(const json::object &body) {
    sb::host::validate_chat_request(body);
    // What chat_completions then reads.
    if (auto model = body.find("model"); model != body.end()) (void)std::string(model->value().get_string());
    // The body travels on to the plugin serialized.
    (void)json::serialize(body);
}

// The message and param end up in the JSON error body sent to the client.
void check_error(const GatewayError &e, bool parse_stage) {
    FUZZ_CHECK(valid_utf8(e.what()));
    FUZZ_CHECK(valid_utf8(e.param()));
    FUZZ_CHECK(e.code() == ErrorCode::invalid_request || (parse_stage && e.code() == ErrorCode::invalid_json));
    FUZZ_CHECK(std::string_view(e.what()).size() > 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char *>(data), size);
    json::object object;
    try {
        object = sb::host::parse_json_object(body);
    } catch (const GatewayError &e) {
        check_error(e, true);
        return 0;
    }
    // The admin API's shape (POST /api/backdoor/llm/config and /test).
    try {
        sb::host::reject_unknown_fields(object, {"provider", "api_key", "api_base", "model"});
    } catch (const GatewayError &e) {
        check_error(e, false);
        FUZZ_CHECK(e.param().size() <= 64 + 3);
    }
    for (std::string_view key : {"provider", "api_key", "api_base", "model"}) {
        try {
            auto v = sb::host::optional_string(object, key);
            if (v) FUZZ_CHECK(object.contains(key) && object.at(key).is_string());
        } catch (const GatewayError &e) {
            check_error(e, false);
            FUZZ_CHECK(object.contains(key) && !object.at(key).is_string());
        }
    }
    try {
        chat_checks(object);
    } catch (const GatewayError &e) {
        check_error(e, false);
    }
    return 0;
}
