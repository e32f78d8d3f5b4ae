#include "openai.hpp"

namespace switchboard::openai {

namespace {
using sdk::to_sb;
constexpr sb_str kModels[] = {
    to_sb("gpt-4o"),       to_sb("gpt-4o-mini"),   to_sb("gpt-4.1"),
    to_sb("gpt-4.1-mini"), to_sb("gpt-4.1-nano"),  to_sb("gpt-4-turbo"),
    to_sb("gpt-4"),        to_sb("gpt-3.5-turbo"), to_sb("o1"),
    to_sb("o1-mini"),      to_sb("o3"),            to_sb("o3-mini"),
    to_sb("o4-mini"),
};
}  // namespace

const sb_provider_descriptor &Provider::descriptor() {
    static constexpr sb_provider_descriptor d = kit::describe(
        {
            .id = "openai",
            .display_name = "OpenAI",
            .default_model = "gpt-3.5-turbo",
            .default_api_base = "https://api.openai.com/v1",
            .env_api_key = "OPENAI_API_KEY",
            .env_model = "OPENAI_MODEL",
            .env_api_base = "OPENAI_API_BASE",
            .credential_header = "authorization",
            .credential_prefix = "Bearer ",
        },
        kModels);
    return d;
}

}  // namespace switchboard::openai
