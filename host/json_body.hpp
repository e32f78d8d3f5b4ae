#pragma once
// Client JSON bodies: parsed once with a depth limit and strict UTF-8, and
// checked field by field with errors that name the field.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace sb::host {

// What parsing a body may allocate, value stack and document together:
// kJsonParseMemoryPerByte times its size plus kJsonParseMemoryBase. Text
// (strings) takes about three times its size while parsed; a body of many
// tiny values takes ten times and more, and is refused. Bodies under
// kJsonParseMemoryBase / kJsonSmallBodyRatio are not counted: whatever their
// shape they stay under the cap.
inline constexpr std::size_t kJsonParseMemoryPerByte = 4;
inline constexpr std::size_t kJsonParseMemoryBase = 1u << 20;
inline constexpr std::size_t kJsonSmallBodyRatio = 32;
std::size_t json_parse_memory_cap(std::size_t body_bytes) noexcept;

// Throws GatewayError(invalid_json / invalid_request) unless body is a JSON
// object, and request_too_large (413) when parsing it would take more than
// json_parse_memory_cap(body.size()).
boost::json::object parse_json_object(std::string_view body);

// Throws invalid_request naming the first key not in allowed.
void reject_unknown_fields(const boost::json::object &object, std::initializer_list<std::string_view> allowed);

// nullopt when absent; throws invalid_request when present but not a string.
std::optional<std::string> optional_string(const boost::json::object &object, std::string_view key);

// The checks POST /v1/chat/completions applies before routing: a non-empty
// "messages" array of objects with a string "role", a string "model" and a
// boolean "stream" when present. Throws invalid_request naming the field.
void validate_chat_request(const boost::json::object &body);

}  // namespace sb::host
