// Cohere's deprecated chat models, from its 2025-09-15 deprecation notice
// (no shutdown date announced); see docs/providers.md.
#pragma once
#include <switchboard/kit/model_lifecycle.hpp>

namespace switchboard::cohere {

inline constexpr std::string_view kNotice = "https://docs.cohere.com/changelog/2025-09-15-major-command-deprecations";

inline constexpr sb_model_lifecycle_entry kModelNotices[] = {
    kit::model_notice("command", "2025-09-15", "", "command-a-03-2025", kNotice),
    kit::model_notice("command-light", "2025-09-15", "", "command-a-03-2025", kNotice),
    kit::model_notice("command-r", "2025-09-15", "", "command-r-08-2024", kNotice),
    kit::model_notice("command-r-03-2024", "2025-09-15", "", "command-r-08-2024", kNotice),
    kit::model_notice("command-r-plus", "2025-09-15", "", "command-r-plus-08-2024", kNotice),
    kit::model_notice("command-r-plus-04-2024", "2025-09-15", "", "command-r-plus-08-2024", kNotice),
};

}  // namespace switchboard::cohere
