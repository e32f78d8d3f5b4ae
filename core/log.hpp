#pragma once
// One line per event on stderr: `<time> level=<l> event=<e> key=value ...`,
// or with LogFormat::json one JSON object per line: {"time","level","event",
// and each field as a string}.
// Callers pass only non-secret values; nothing here ever sees an API key.
// A value with a space, `"`, `=`, `\` or a control byte is quoted and
// escaped (`\"`, `\\`, `\n`, `\r`, `\t`, `\xHH` for the other control
// bytes and DEL); one longer than kMaxLogValueBytes is cut, ending in
// `...[<length> bytes]`. A line therefore stays one line, of bounded length.
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sb::core {

inline constexpr std::size_t kMaxLogValueBytes = 1024;

enum class LogLevel { debug, info, warn, error };
enum class LogFormat { text, json };

using LogField = std::pair<std::string_view, std::string_view>;

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// How lines are written (default text).
void set_log_format(LogFormat format);
// Lines below this level are dropped (default info).
void set_log_level(LogLevel level);
// Whether a line at this level would be written: lets a caller skip
// formatting the fields of a dropped line.
bool log_enabled(LogLevel level) noexcept;

}  // namespace sb::core
