#pragma once
// Small readers the Responses translation shares: a JSON null counts as
// absent, as OpenAI's API treats it.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace sb::host {

// The member at key, nullptr when absent or null.
inline const boost::json::value *present(const boost::json::object &o, std::string_view key) {
    const boost::json::value *v = o.if_contains(key);
    return v && !v->is_null() ? v : nullptr;
}

// The string at key, "" when absent or not a string.
inline std::string_view string_or_empty(const boost::json::object &o, std::string_view key) {
    const boost::json::value *v = present(o, key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// Seconds since the Unix epoch, as "created_at" counts them.
inline std::int64_t unix_seconds_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace sb::host
