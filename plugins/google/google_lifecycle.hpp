// Gemini API models Google has shut down, from its deprecations page and
// changelog; see docs/providers.md.
#pragma once
#include <switchboard/kit/model_lifecycle.hpp>

namespace switchboard::google {

inline constexpr std::string_view kDeprecations = "https://ai.google.dev/gemini-api/docs/deprecations";
inline constexpr std::string_view kChangelog = "https://ai.google.dev/gemini-api/docs/changelog";

// The 2025-09-29 changelog says Gemini 1.5 is shut down; Gemini 1.0
// (gemini-pro) went before it, on a date the API docs no longer give: it is
// listed as gone by that date at the latest.
inline constexpr sb_model_lifecycle_entry kModelNotices[] = {
    kit::model_notice("gemini-pro", "", "2025-09-29", "gemini-3.5-flash", kChangelog),
    kit::model_notice("gemini-1.0-pro", "", "2025-09-29", "gemini-3.5-flash", kChangelog),
    kit::model_notice("gemini-1.5-pro", "", "2025-09-29", "gemini-3.5-flash", kChangelog),
    kit::model_notice("gemini-1.5-flash", "", "2025-09-29", "gemini-3.5-flash", kChangelog),
    kit::model_notice("gemini-2.0-flash", "2026-02-18", "2026-06-01", "gemini-3.5-flash", kDeprecations),
    kit::model_notice("gemini-2.0-flash-lite", "2026-02-18", "2026-06-01", "gemini-3.1-flash-lite", kDeprecations),
};

}  // namespace switchboard::google
