// Mistral's renamed and retired chat models, from its 2024-02-26 release
// note and model pages; see docs/providers.md.
#pragma once
#include <switchboard/kit/model_lifecycle.hpp>

namespace switchboard::mistral {

inline constexpr std::string_view kRename =
    "https://docs.mistral.ai/resources/release-note/2024-02-26-mistral-large-and-mistral-small-api-endpoints";

// The 2024-02-26 note renamed the old endpoints, to be deprecated three
// months later; no retirement date was announced for the old aliases.
inline constexpr sb_model_lifecycle_entry kModelNotices[] = {
    kit::model_notice("mistral-small", "2024-05-26", "", "mistral-small-latest", kRename),
    kit::model_notice("mistral-tiny", "2024-05-26", "", "ministral-8b-latest", kRename),
    kit::model_notice("mistral-medium", "2024-11-30", "2025-06-16", "mistral-medium-latest",
                      "https://docs.mistral.ai/models/mistral-medium-1-0-23-12"),
    kit::model_notice("mistral-medium-2312", "2024-11-30", "2025-06-16", "mistral-medium-latest",
                      "https://docs.mistral.ai/models/mistral-medium-1-0-23-12"),
};

}  // namespace switchboard::mistral
