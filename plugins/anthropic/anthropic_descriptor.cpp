#include "anthropic.hpp"

namespace switchboard::anthropic {

namespace {
using sdk::to_sb;
constexpr sb_str kModels[] = {
    to_sb("claude-3-haiku-20240307"),    to_sb("claude-haiku-4-5"),
    to_sb("claude-haiku-4-5-20251001"),  to_sb("claude-sonnet-4-5"),
    to_sb("claude-sonnet-4-5-20250929"), to_sb("claude-sonnet-4-6"),
    to_sb("claude-opus-4-1"),            to_sb("claude-opus-4-1-20250805"),
    to_sb("claude-opus-4-5"),            to_sb("claude-opus-4-5-20251101"),
    to_sb("claude-opus-4-6"),            to_sb("claude-opus-4-7"),
    to_sb("claude-sonnet-4-20250514"),   to_sb("claude-opus-4-20250514"),
};
}  // namespace

const sb_provider_descriptor &Provider::descriptor() {
    static constexpr sb_provider_descriptor d = kit::describe(
        {
            .id = "anthropic",
            .display_name = kDisplayName,
            .default_model = "claude-3-haiku-20240307",
            .default_api_base = "https://api.anthropic.com/v1",
            .env_api_key = "ANTHROPIC_API_KEY",
            .env_model = "ANTHROPIC_MODEL",
            .env_api_base = "ANTHROPIC_API_BASE",
            .credential_header = "x-api-key",
        },
        kModels);
    return d;
}

}  // namespace switchboard::anthropic
