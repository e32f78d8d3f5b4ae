// Google Gemini provider plugin (Generative Language API v1beta): the
// descriptor and the Provider glue over google_request.cpp and
// google_response.cpp.
#include "google_lifecycle.hpp"
#include "google.hpp"

namespace {

using switchboard::sdk::to_sb;
namespace g = switchboard::google;
namespace sdk = switchboard::sdk;

class GoogleProvider final : public sdk::Provider {
public:
    // What the vendor announced of retired and deprecated models.
    const void *extension(const char *id) override {
        return ::switchboard::kit::lifecycle_extension(id, ::switchboard::google::kModelLifecycle);
    }

    static const sb_provider_descriptor &descriptor() {
        static const sb_str models[] = {
            to_sb("gemini-pro"),           to_sb("gemini-1.5-pro"),
            to_sb("gemini-1.5-flash"),     to_sb("gemini-1.5-flash-8b"),
            to_sb("gemini-2.0-flash"),     to_sb("gemini-2.0-flash-lite"),
            to_sb("gemini-2.5-pro"),       to_sb("gemini-2.5-flash"),
            to_sb("gemini-2.5-flash-lite"), to_sb("gemini-3-pro-preview"),
        };
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor),
            to_sb("google"),
            to_sb("Google Gemini"),
            to_sb("1.0.0"),
            to_sb("gemini-pro"),
            to_sb("https://generativelanguage.googleapis.com/v1beta"),
            to_sb("GOOGLE_API_KEY"),
            to_sb("GOOGLE_MODEL"),
            to_sb("GOOGLE_API_BASE"),
            SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING |
                SB_CAP_REQUIRES_API_KEY,
            SB_FRAMING_SSE,
            models,
            sizeof(models) / sizeof(models[0]),
        };
        return d;
    }

    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override {
        return g::build_chat_request(config, body_json, stream);
    }
    std::string parse_chat_response(const sdk::Config &config,
                                    const sdk::HttpResponse &response) override {
        return g::parse_chat_response(config, response);
    }
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config,
                                             std::string_view /*body_json*/) override {
        return g::open_stream(config);
    }
    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override {
        return g::build_models_request(config);
    }
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override {
        return g::parse_models_response(config, response);
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(GoogleProvider)
