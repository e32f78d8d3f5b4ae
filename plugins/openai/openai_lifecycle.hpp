// OpenAI's retired and deprecated chat models, from its deprecations page
// (https://developers.openai.com/api/docs/deprecations); see docs/providers.md.
#pragma once
#include <switchboard/kit/model_lifecycle.hpp>

namespace switchboard::openai {

inline constexpr std::string_view kDeprecations = "https://developers.openai.com/api/docs/deprecations";

// 2026-04-22 notice: shut down 2026-10-23. 2026-06-11: shut down 2026-12-11.
// 2026-10-14: shut down 2027-01-14.
inline constexpr sb_model_lifecycle_entry kModelNotices[] = {
    kit::model_notice("gpt-3.5-turbo", "2026-04-22", "2026-10-23", "gpt-5.6-terra", kDeprecations),
    kit::model_notice("gpt-3.5-turbo-0125", "2026-04-22", "2026-10-23", "gpt-5.6-terra", kDeprecations),
    kit::model_notice("gpt-4", "2026-04-22", "2026-10-23", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("gpt-4-0613", "2026-04-22", "2026-10-23", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("gpt-4-turbo", "2026-04-22", "2026-10-23", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("gpt-4-turbo-2024-04-09", "2026-04-22", "2026-10-23", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("gpt-4o-2024-05-13", "2026-04-22", "2026-10-23", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("o1", "2026-04-22", "2026-10-23", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("o3-mini", "2026-04-22", "2026-10-23", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("o4-mini", "2026-04-22", "2026-10-23", "gpt-5.6-terra", kDeprecations),
    kit::model_notice("gpt-4.1-nano", "2026-04-22", "2026-10-23", "gpt-5.6-luna", kDeprecations),
    kit::model_notice("gpt-5", "2026-06-11", "2026-12-11", "gpt-6.1-sol", kDeprecations),
    kit::model_notice("gpt-5-mini", "2026-06-11", "2026-12-11", "gpt-6.1-terra", kDeprecations),
    kit::model_notice("gpt-5-nano", "2026-06-11", "2026-12-11", "gpt-5.6-luna", kDeprecations),
    kit::model_notice("o3", "2026-06-11", "2026-12-11", "gpt-5.6-sol", kDeprecations),
    kit::model_notice("gpt-4o", "2026-10-14", "2027-01-14", "gpt-6-luna", kDeprecations),
    kit::model_notice("gpt-4o-mini", "2026-10-14", "2027-01-14", "gpt-6-luna", kDeprecations),
    kit::model_notice("gpt-4.1", "2026-10-14", "2027-01-14", "gpt-6-luna", kDeprecations),
    kit::model_notice("gpt-4.1-mini", "2026-10-14", "2027-01-14", "gpt-6-luna", kDeprecations),
};

}  // namespace switchboard::openai
