// Small text helpers every plugin needs when it reads vendor messages and
// names: one copy here instead of one per plugin.
#ifndef SWITCHBOARD_KIT_TEXT_HPP
#define SWITCHBOARD_KIT_TEXT_HPP

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

// s without leading and trailing spaces, tabs and line breaks.
inline std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_TEXT_HPP
