// OpenAI's reasoning_effort, read once for the plugins that map it onto a
// vendor's own thinking controls (anthropic, google).
#ifndef SWITCHBOARD_KIT_REASONING_HPP
#define SWITCHBOARD_KIT_REASONING_HPP

#include <switchboard/kit/kit.hpp>

#include <string_view>

namespace switchboard::kit {

// The request's reasoning_effort: "none", "minimal", "low", "medium", "high"
// or "xhigh"; empty when absent or null. Any other value or type is refused
// with sdk::invalid_request naming the field and the accepted values. The
// view points into unified.
std::string_view reasoning_effort(const json::object &unified);

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_REASONING_HPP
