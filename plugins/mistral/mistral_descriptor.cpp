#include "mistral.hpp"

namespace switchboard::mistral {

namespace {
using sdk::to_sb;
constexpr sb_str kModels[] = {
    to_sb("mistral-small"),        to_sb("mistral-small-latest"), to_sb("mistral-medium-latest"),
    to_sb("mistral-large-latest"), to_sb("ministral-8b-latest"),  to_sb("ministral-3b-latest"),
    to_sb("open-mistral-nemo"),    to_sb("codestral-latest"),     to_sb("pixtral-large-latest"),
    to_sb("pixtral-12b-2409"),     to_sb("magistral-medium-latest"), to_sb("magistral-small-latest"),
};
}  // namespace

const sb_provider_descriptor &Provider::descriptor() {
    static constexpr sb_provider_descriptor d = kit::describe(
        {
            .id = "mistral",
            .display_name = kDisplayName,
            .default_model = "mistral-small",
            .default_api_base = "https://api.mistral.ai/v1",
            .env_api_key = "MISTRAL_API_KEY",
            .env_model = "MISTRAL_MODEL",
            .env_api_base = "MISTRAL_API_BASE",
            .credential_header = "authorization",
            .credential_prefix = "Bearer ",
        },
        kModels);
    return d;
}

}  // namespace switchboard::mistral
