#include "core/rfc3339.hpp"

#include <chrono>
#include <ctime>

namespace sb::core {
namespace {

// The number in text[at, at + digits), or -1 when any is not a digit.
int number_at(std::string_view text, std::size_t at, std::size_t digits) {
    if (at + digits > text.size()) return -1;
    int value = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
        if (text[i] < '0' || text[i] > '9') return -1;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

}  // namespace

std::string format_rfc3339(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
    using namespace std::chrono;
    const int y = number_at(text, 0, 4), mo = number_at(text, 5, 2), d = number_at(text, 8, 2);
    const int h = number_at(text, 11, 2), mi = number_at(text, 14, 2), s = number_at(text, 17, 2);
    if (text.size() < 20 || y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || text[4] != '-' ||
        text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
        text[16] != ':')
        return std::nullopt;
    const year_month_day date{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
    if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;  // 60: a leap second
    std::size_t at = 19;
    if (text[at] == '.') {
        std::size_t end = at + 1;
        while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
        if (end == at + 1) return std::nullopt;
        at = end;
    }
    int offset = 0;
    const std::string_view zone = text.substr(at);
    if (zone == "Z" || zone == "z") {
        offset = 0;
    } else {
        const int oh = number_at(zone, 1, 2), om = number_at(zone, 4, 2);
        if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' || oh < 0 || oh > 23 ||
            om < 0 || om > 59)
            return std::nullopt;
        offset = (zone[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    }
    const std::int64_t days_since_epoch = sys_days(date).time_since_epoch().count();
    return days_since_epoch * 86400 + h * 3600 + mi * 60 + s - offset;
}

}  // namespace sb::core
