#include "host/json_body.hpp"

#include "core/errors.hpp"

#include <boost/json/parse.hpp>

namespace sb::host {

using core::ErrorCode;
using core::GatewayError;

boost::json::object parse_json_object(std::string_view body) {
    if (body.empty()) throw GatewayError(ErrorCode::invalid_json, "request body is empty; expected a JSON object");
    boost::json::parse_options options;
    options.max_depth = 64;
    boost::json::error_code ec;
    boost::json::value value = boost::json::parse(body, ec, {}, options);
    if (ec) throw GatewayError(ErrorCode::invalid_json, "request body is not valid JSON: " + ec.message());
    if (!value.is_object()) throw GatewayError(ErrorCode::invalid_request, "request body must be a JSON object");
    return std::move(value.as_object());
}

void reject_unknown_fields(const boost::json::object &object, std::initializer_list<std::string_view> allowed) {
    for (const auto &entry : object) {
        bool known = false;
        for (auto name : allowed) known = known || entry.key() == name;
        if (!known) {
            std::string key(entry.key());
            if (key.size() > 64) {
                std::size_t cut = 64;  // never split a UTF-8 sequence
                while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) --cut;
                key = key.substr(0, cut) + "...";
            }
            throw GatewayError(ErrorCode::invalid_request, "unknown field '" + key + "'", key);
        }
    }
}

std::optional<std::string> optional_string(const boost::json::object &object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    if (!it->value().is_string())
        throw GatewayError(ErrorCode::invalid_request, "field '" + std::string(key) + "' must be a string",
                           std::string(key));
    return std::string(it->value().get_string());
}

void validate_chat_request(const boost::json::object &body) {
    auto messages = body.find("messages");
    if (messages == body.end())
        throw GatewayError(ErrorCode::invalid_request, "field 'messages' is required", "messages");
    if (!messages->value().is_array() || messages->value().get_array().empty())
        throw GatewayError(ErrorCode::invalid_request, "field 'messages' must be a non-empty array", "messages");
    for (const auto &m : messages->value().get_array()) {
        if (!m.is_object() || !m.get_object().contains("role") || !m.get_object().at("role").is_string())
            throw GatewayError(ErrorCode::invalid_request, "each message must be an object with a string 'role'",
                               "messages");
    }
    if (auto model = body.find("model"); model != body.end() && !model->value().is_string())
        throw GatewayError(ErrorCode::invalid_request, "field 'model' must be a string", "model");
    if (auto stream = body.find("stream"); stream != body.end() && !stream->value().is_bool() &&
                                           !stream->value().is_null())
        throw GatewayError(ErrorCode::invalid_request, "field 'stream' must be a boolean", "stream");
}

}  // namespace sb::host
