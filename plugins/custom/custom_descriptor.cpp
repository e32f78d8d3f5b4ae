#include "custom.hpp"

namespace switchboard::custom {

const sb_provider_descriptor &Provider::descriptor() {
    static constexpr sb_provider_descriptor d = kit::describe({
        .id = "custom",
        .display_name = "Custom (OpenAI-compatible)",
        .env_api_key = "CUSTOM_API_KEY",
        .env_model = "CUSTOM_MODEL",
        .env_api_base = "CUSTOM_API_BASE",
        .capabilities = SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING,
        .credential_header = "authorization",
        .credential_prefix = "Bearer ",
    });
    return d;
}

}  // namespace switchboard::custom
