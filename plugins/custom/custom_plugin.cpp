// Custom provider: any OpenAI-compatible server. No default model or base;
// the API key is optional (Authorization is sent only when one is set).
#include <switchboard/kit/openai_compat.hpp>

namespace {

using switchboard::sdk::to_sb;

class CustomProvider final : public switchboard::kit::OpenAICompatibleProvider {
public:
    CustomProvider()
        : OpenAICompatibleProvider({.id = "custom",
                                    .display_name = "Custom (OpenAI-compatible)",
                                    .env_api_key = "CUSTOM_API_KEY",
                                    .env_model = "CUSTOM_MODEL",
                                    .env_api_base = "CUSTOM_API_BASE",
                                    .requires_api_key = false}) {}

    static const sb_provider_descriptor &descriptor() {
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor),
            to_sb("custom"),
            to_sb("Custom (OpenAI-compatible)"),
            to_sb("1.0.0"),
            to_sb(""),
            to_sb(""),
            to_sb("CUSTOM_API_KEY"),
            to_sb("CUSTOM_MODEL"),
            to_sb("CUSTOM_API_BASE"),
            SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING,
            SB_FRAMING_SSE,
            nullptr,
            0,
        };
        return d;
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(CustomProvider)
