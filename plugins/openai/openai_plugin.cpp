// OpenAI provider plugin: the kit's OpenAI-compatible translation, with the
// request rewritten to what current models accept (openai_request.hpp).
#include "openai_lifecycle.hpp"
#include "openai_request.hpp"

#include <switchboard/kit/openai_compat.hpp>

namespace {

namespace kit = ::switchboard::kit;
namespace sdk = ::switchboard::sdk;
using switchboard::sdk::to_sb;

class OpenAIProvider final : public switchboard::kit::OpenAICompatibleProvider {
public:
    // What the vendor announced of retired and deprecated models.
    const void *extension(const char *id) override {
        return ::switchboard::kit::lifecycle_extension(id, ::sb_openai::kModelLifecycle);
    }

    OpenAIProvider()
        : OpenAICompatibleProvider({.id = "openai",
                                    .display_name = "OpenAI",
                                    .env_api_key = "OPENAI_API_KEY",
                                    .env_model = "OPENAI_MODEL",
                                    .env_api_base = "OPENAI_API_BASE",
                                    .requires_api_key = true}) {}

    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override {
        kit::CallArena arena;  // the body lives until it is serialised below
        boost::json::object body = kit::parse_chat_request(body_json, arena.storage());
        // Copied: rewriting the body may move the member the name lives in.
        const std::string model(config.model.empty() ? kit::get_string(body, "model") : config.model);
        sb_openai::apply_model_rules(body, model);
        return compat_.build_chat_request(config, boost::json::serialize(body), stream);
    }

    static const sb_provider_descriptor &descriptor() {
        static const sb_str models[] = {
            to_sb("gpt-4o"),       to_sb("gpt-4o-mini"),   to_sb("gpt-4.1"),
            to_sb("gpt-4.1-mini"), to_sb("gpt-4.1-nano"),  to_sb("gpt-4-turbo"),
            to_sb("gpt-4"),        to_sb("gpt-3.5-turbo"), to_sb("o1"),
            to_sb("o1-mini"),      to_sb("o3"),            to_sb("o3-mini"),
            to_sb("o4-mini"),
        };
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor),
            to_sb("openai"),
            to_sb("OpenAI"),
            to_sb("1.0.0"),
            to_sb("gpt-3.5-turbo"),
            to_sb("https://api.openai.com/v1"),
            to_sb("OPENAI_API_KEY"),
            to_sb("OPENAI_MODEL"),
            to_sb("OPENAI_API_BASE"),
            SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING |
                SB_CAP_REQUIRES_API_KEY,
            SB_FRAMING_SSE,
            models,
            sizeof(models) / sizeof(models[0]),
        };
        return d;
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(OpenAIProvider)
