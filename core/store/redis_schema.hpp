#pragma once
// Every Redis key and channel the daemons share, in one place. All start
// with "sb:" so that a Redis can be shared with other applications.
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::core::redis_schema {

// The runtime config: JSON as the file store writes it, vendor keys sealed.
inline constexpr std::string_view config = "sb:config";
// Virtual key records: hash id -> record JSON; and key hash -> id.
inline constexpr std::string_view keys = "sb:keys";
inline constexpr std::string_view key_hashes = "sb:key_hashes";
// A random value set when a daemon first finds the data set empty: a
// different (or missing) value later means Redis lost its data (restarted
// without persistence, flushed) and the daemons write back what they know.
inline constexpr std::string_view epoch = "sb:epoch";
// Published with the topic ("config", "keys") after every change.
inline constexpr std::string_view changed_channel = "sb:changed";
inline constexpr std::string_view topic_config = "config";
inline constexpr std::string_view topic_keys = "keys";

inline std::string spend(std::string_view key_id, std::int64_t period_start) {
    return "sb:spend:" + std::string(key_id) + ":" + std::to_string(period_start);
}
inline std::string rate(std::string_view key_id, std::string_view metric,
                        std::int64_t window_start) {
    return "sb:rate:" + std::string(key_id) + ":" + std::string(metric) + ":" +
           std::to_string(window_start);
}
// Marks one spend addition as applied, so that retrying it after a lost
// answer does not count it twice.
inline std::string applied_op(std::string_view op_id) { return "sb:op:" + std::string(op_id); }

}  // namespace sb::core::redis_schema
