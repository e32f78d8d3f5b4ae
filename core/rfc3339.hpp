#pragma once
// Timestamps as RFC 3339 text, the form the admin API reads and writes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::core {

// "2026-12-07T10:00:30Z" (UTC, whole seconds).
std::string format_rfc3339(std::int64_t unix_seconds);
// Unix seconds of "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" ('t',
// 'z' and a space for 'T' accepted; the fraction is dropped); nullopt when
// text is not such a time.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace sb::core
