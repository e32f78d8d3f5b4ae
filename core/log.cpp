#include "core/log.hpp"

#include "core/hex.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace sb::core {
namespace {

std::atomic<LogLevel> g_min_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};
std::mutex g_write_mutex;

std::string_view level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warn: return "warn";
        case LogLevel::error: return "error";
    }
    return "info";
}

// Plain values are written as they are; any other is quoted, with `"` and
// `\\` escaped and every control byte (CR, LF, TAB, ESC, NUL, DEL...) written
// as an escape, so a value can neither end the line nor drive a terminal.
bool needs_quotes(std::string_view v) {
    if (v.empty()) return true;
    for (char c : v) {
        const auto u = static_cast<unsigned char>(c);
        if (c == ' ' || c == '"' || c == '=' || c == '\\' || u < 0x20 || u == 0x7f) return true;
    }
    return false;
}

void append_escaped(std::string &line, std::string_view v) {
    for (char c : v) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': line += "\\\""; break;
            case '\\': line += "\\\\"; break;
            case '\n': line += "\\n"; break;
            case '\r': line += "\\r"; break;
            case '\t': line += "\\t"; break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    line += "\\x";
                    append_hex(line, u);
                } else {
                    line += c;
                }
        }
    }
}

// A value longer than the cap keeps its first kMaxLogValueBytes (never half
// a UTF-8 character) and says how long it was: a client-chosen model name or
// path costs the log a bounded line, whatever its size.
void append_value(std::string &line, std::string_view v) {
    std::size_t cut = v.size();
    if (cut > kMaxLogValueBytes) {
        cut = kMaxLogValueBytes;
        while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xc0) == 0x80) --cut;
    }
    if (cut == v.size() && !needs_quotes(v)) {
        line += v;
        return;
    }
    line += '"';
    append_escaped(line, v.substr(0, cut));
    if (cut < v.size()) {
        line += "...[";
        line += std::to_string(v.size());
        line += " bytes]";
    }
    line += '"';
}

// The length of the valid UTF-8 sequence at the start of v, 0 when none.
std::size_t utf8_sequence(std::string_view v) {
    const auto lead = static_cast<unsigned char>(v[0]);
    const std::size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || n > v.size() || (n == 2 && lead < 0xc2)) return 0;
    for (std::size_t i = 1; i < n; ++i)
        if ((static_cast<unsigned char>(v[i]) & 0xc0) != 0x80) return 0;
    return n;
}

// A JSON string: `"` and `\` escaped, control bytes as \u00XX, bytes that
// are not UTF-8 as U+FFFD, cut like a text value.
void append_json_string(std::string &line, std::string_view v) {
    std::size_t cut = v.size();
    if (cut > kMaxLogValueBytes) {
        cut = kMaxLogValueBytes;
        while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xc0) == 0x80) --cut;
    }
    line += '"';
    for (std::size_t i = 0; i < cut;) {
        const char c = v[i];
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            const std::size_t n = utf8_sequence(v.substr(i, cut - i));
            if (n == 0) {
                line += "\\ufffd";
                ++i;
            } else {
                line.append(v.substr(i, n));
                i += n;
            }
            continue;
        }
        if (c == '"' || c == '\\') {
            line += '\\';
            line += c;
        } else if (u < 0x20 || u == 0x7f) {
            line += "\\u00";
            append_hex(line, u);
        } else {
            line += c;
        }
        ++i;
    }
    if (cut < v.size()) {
        line += "...[";
        line += std::to_string(v.size());
        line += " bytes]";
    }
    line += '"';
}

std::string timestamp() {
    auto now = std::chrono::system_clock::now();
    std::time_t t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];  // room for any int the fields may hold, as the compiler checks
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

}  // namespace

void set_log_level(LogLevel level) { g_min_level.store(level); }

void set_log_format(LogFormat format) { g_format.store(format); }

bool log_enabled(LogLevel level) noexcept { return level >= g_min_level.load(std::memory_order_relaxed); }

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
    if (level < g_min_level.load(std::memory_order_relaxed)) return;
    std::string line;
    if (g_format.load(std::memory_order_relaxed) == LogFormat::json) {
        line += "{\"time\":\"";
        line += timestamp();
        line += "\",\"level\":\"";
        line += level_name(level);
        line += "\",\"event\":";
        append_json_string(line, event);
        for (const auto &[key, value] : fields) {
            line += ',';
            append_json_string(line, key);
            line += ':';
            append_json_string(line, value);
        }
        line += "}\n";
    } else {
        line = timestamp();
        line += " level=";
    line += level_name(level);
    line += " event=";
    line += event;
    for (const auto &[key, value] : fields) {
        line += ' ';
        line += key;
        line += '=';
        append_value(line, value);
    }
    line += '\n';
    }
    std::lock_guard lock(g_write_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace sb::core
