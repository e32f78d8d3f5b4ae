#pragma once
// Client JSON bodies: parsed once with a depth limit and strict UTF-8, and
// checked field by field with errors that name the field.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace sb::host {

// Throws GatewayError(invalid_json / invalid_request) unless body is a JSON object.
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
