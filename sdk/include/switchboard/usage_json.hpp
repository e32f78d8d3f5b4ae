// Token counts read out of unified JSON text (a chat.completion or a
// chat.completion.chunk) by a scan, without parsing it whole. Before ABI v1.2
// the JSON was the only place usage travelled, so the host reads plugins of
// minor 0 and 1 with this; and the C++ helper uses it for a v1.2 call whose
// Provider has not reported typed usage itself. One scan, shared by both.
#ifndef SWITCHBOARD_USAGE_JSON_HPP
#define SWITCHBOARD_USAGE_JSON_HPP

#include <switchboard/provider_abi.h>

#include <charconv>
#include <cstdint>
#include <string_view>

namespace switchboard::sdk {
namespace detail {

// The non-negative integer after "key": in json, or SB_USAGE_UNKNOWN.
inline std::int64_t count_after(std::string_view json, std::string_view key) noexcept {
    auto at = json.find(key);
    if (at == std::string_view::npos) return SB_USAGE_UNKNOWN;
    at += key.size();
    while (at < json.size() && (json[at] == ' ' || json[at] == ':' || json[at] == '\t')) ++at;
    std::int64_t value = SB_USAGE_UNKNOWN;
    std::from_chars(json.data() + at, json.data() + json.size(), value);
    return value >= 0 ? value : SB_USAGE_UNKNOWN;
}

}  // namespace detail

// The counts of the first "usage" object in json (OpenAI's names:
// prompt_tokens, completion_tokens, prompt_tokens_details.cached_tokens,
// completion_tokens_details.reasoning_tokens); SB_USAGE_UNKNOWN for each one
// absent, all of them when json has no "usage".
inline sb_usage usage_from_json(std::string_view json) noexcept {
    sb_usage u{sizeof(sb_usage), SB_USAGE_UNKNOWN, SB_USAGE_UNKNOWN, SB_USAGE_UNKNOWN, SB_USAGE_UNKNOWN};
    auto at = json.find("\"usage\"");
    if (at == std::string_view::npos) return u;
    std::string_view rest = json.substr(at);
    u.prompt_tokens = detail::count_after(rest, "\"prompt_tokens\"");
    u.completion_tokens = detail::count_after(rest, "\"completion_tokens\"");
    u.cached_tokens = detail::count_after(rest, "\"cached_tokens\"");
    u.reasoning_tokens = detail::count_after(rest, "\"reasoning_tokens\"");
    return u;
}

// Whether any count of u is known.
inline bool any_known(const sb_usage &u) noexcept {
    return u.prompt_tokens >= 0 || u.completion_tokens >= 0 || u.cached_tokens >= 0 ||
           u.reasoning_tokens >= 0;
}

}  // namespace switchboard::sdk

#endif  // SWITCHBOARD_USAGE_JSON_HPP
