// Anthropic's retired chat models, from its model deprecations page; see
// docs/providers.md.
#pragma once
#include <switchboard/kit/model_lifecycle.hpp>

namespace switchboard::anthropic {

inline constexpr std::string_view kDeprecations = "https://platform.claude.com/docs/en/about-claude/model-deprecations";

inline constexpr sb_model_lifecycle_entry kModelNotices[] = {
    kit::model_notice("claude-3-haiku-20240307", "2026-02-19", "2026-04-20", "claude-haiku-4-5-20251001",
                      kDeprecations),
    kit::model_notice("claude-3-5-haiku-20241022", "2025-12-19", "2026-02-19", "claude-haiku-4-5-20251001",
                      kDeprecations),
    kit::model_notice("claude-3-7-sonnet-20250219", "2025-10-28", "2026-02-19", "claude-sonnet-4-6", kDeprecations),
    kit::model_notice("claude-3-5-sonnet-20241022", "2025-08-13", "2025-10-28", "claude-sonnet-4-6", kDeprecations),
    kit::model_notice("claude-3-5-sonnet-20240620", "2025-08-13", "2025-10-28", "claude-sonnet-4-6", kDeprecations),
    kit::model_notice("claude-3-opus-20240229", "2025-06-30", "2026-01-05", "claude-opus-4-8", kDeprecations),
    kit::model_notice("claude-3-sonnet-20240229", "2025-01-21", "2025-07-21", "claude-sonnet-4-6", kDeprecations),
    kit::model_notice("claude-2.1", "2025-01-21", "2025-07-21", "claude-opus-4-8", kDeprecations),
    kit::model_notice("claude-2.0", "2025-01-21", "2025-07-21", "claude-opus-4-8", kDeprecations),
    kit::model_notice("claude-instant-1.2", "2024-09-04", "2024-11-06", "claude-haiku-4-5-20251001", kDeprecations),
};

}  // namespace switchboard::anthropic
