#include "google.hpp"

namespace switchboard::google {

namespace {
using sdk::to_sb;
constexpr sb_str kModels[] = {
    to_sb("gemini-pro"),           to_sb("gemini-1.5-pro"),
    to_sb("gemini-1.5-flash"),     to_sb("gemini-1.5-flash-8b"),
    to_sb("gemini-2.0-flash"),     to_sb("gemini-2.0-flash-lite"),
    to_sb("gemini-2.5-pro"),       to_sb("gemini-2.5-flash"),
    to_sb("gemini-2.5-flash-lite"), to_sb("gemini-3-pro-preview"),
};
}  // namespace

const sb_provider_descriptor &Provider::descriptor() {
    static constexpr sb_provider_descriptor d = kit::describe(
        {
            .id = "google",
            .display_name = kDisplayName,
            .default_model = "gemini-pro",
            .default_api_base = "https://generativelanguage.googleapis.com/v1beta",
            .env_api_key = "GOOGLE_API_KEY",
            .env_model = "GOOGLE_MODEL",
            .env_api_base = "GOOGLE_API_BASE",
            .credential_header = "x-goog-api-key",
        },
        kModels);
    return d;
}

}  // namespace switchboard::google
