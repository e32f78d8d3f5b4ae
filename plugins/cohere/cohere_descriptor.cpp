#include "cohere.hpp"

namespace switchboard::cohere {

namespace {
using sdk::to_sb;
constexpr sb_str kModels[] = {
    to_sb("command-a-03-2025"),          to_sb("command-a-vision-07-2025"),
    to_sb("command-a-reasoning-08-2025"), to_sb("command-a-translate-08-2025"),
    to_sb("command-r7b-12-2024"),        to_sb("command-r-plus-08-2024"),
    to_sb("command-r-08-2024"),          to_sb("command-r-plus"),
    to_sb("command-r"),                  to_sb("command"),
    to_sb("command-light"),              to_sb("command-nightly"),
};
}  // namespace

const sb_provider_descriptor &Provider::descriptor() {
    static constexpr sb_provider_descriptor d = kit::describe(
        {
            .id = "cohere",
            .display_name = kDisplayName,
            .default_model = "command",
            .default_api_base = "https://api.cohere.ai/v1",
            .env_api_key = "COHERE_API_KEY",
            .env_model = "COHERE_MODEL",
            .env_api_base = "COHERE_API_BASE",
            .credential_header = "authorization",
            .credential_prefix = "Bearer ",
        },
        kModels);
    return d;
}

}  // namespace switchboard::cohere
