// Together's free endpoints ended with its free tier; Together lists no date
// for them, so the date is the latest day they were reported gone. See
// docs/providers.md.
#pragma once
#include <switchboard/kit/model_lifecycle.hpp>

namespace switchboard::together {

inline constexpr sb_model_lifecycle_entry kModelNotices[] = {
    kit::model_notice("meta-llama/Llama-3.3-70B-Instruct-Turbo-Free", "", "2025-11-21",
                      "meta-llama/Llama-3.3-70B-Instruct-Turbo", "https://docs.together.ai/docs/billing-credits"),
};

}  // namespace switchboard::together
