// Small text helpers every plugin needs when it reads vendor messages and
// names: one copy here instead of one per plugin.
#ifndef SWITCHBOARD_KIT_TEXT_HPP
#define SWITCHBOARD_KIT_TEXT_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::kit {

// ASCII lower case (vendor codes and messages; no locale).
inline std::string lower(std::string_view s) {
    std::string r(s);
    for (char &c : r)
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return r;
}

// ASCII upper case.
inline std::string upper(std::string_view s) {
    std::string r(s);
    for (char &c : r)
        if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    return r;
}

// Whether hay contains needle, ignoring ASCII case; an empty needle never matches.
inline bool contains_ci(std::string_view hay, std::string_view needle) {
    return !needle.empty() && lower(hay).find(lower(needle)) != std::string::npos;
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

inline bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Characters (code points) in UTF-8 text: the unit of OpenAI annotation
// offsets and of vendors' citation offsets.
inline std::int64_t char_count(std::string_view utf8) {
    std::int64_t n = 0;
    for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// s without leading and trailing spaces, tabs and line breaks.
inline std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_TEXT_HPP
