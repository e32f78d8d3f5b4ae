// Anthropic provider plugin: the Messages API (POST {base}/messages) and the
// models list (GET {base}/models), translated to and from the unified format.
#include "anthropic_lifecycle.hpp"
#include "anthropic.hpp"

#include <ctime>

namespace {

using namespace sb_anthropic;
using switchboard::sdk::to_sb;

const std::string kEnvKey = "ANTHROPIC_API_KEY";
const std::string kEnvModel = "ANTHROPIC_MODEL";
const std::string kEnvBase = "ANTHROPIC_API_BASE";

void require_base_and_key(const sdk::Config &config) {
    if (config.api_base.empty())
        throw sdk::not_configured("anthropic provider has no API base: set " + kEnvBase +
                                  " or POST /api/backdoor/llm/config with api_base");
    if (config.api_key.empty())
        throw sdk::not_configured("anthropic provider has no API key: set " + kEnvKey +
                                  " or POST /api/backdoor/llm/config with api_key");
}

// Anthropic authenticates with x-api-key, not a bearer token.
void add_auth(sdk::HttpRequest &req, std::string_view api_key) {
    req.headers.emplace_back("x-api-key", std::string(api_key));
    req.headers.emplace_back("anthropic-version", std::string(kApiVersion));
}

std::string resolve_model(const sdk::Config &config, const json::object &body) {
    if (!config.model.empty()) return std::string(config.model);
    if (auto m = kit::get_string(body, "model"); !m.empty()) return std::string(m);
    throw sdk::not_configured("anthropic provider has no model: set " + kEnvModel +
                              " or POST /api/backdoor/llm/config with model");
}

int64_t now() { return int64_t(std::time(nullptr)); }

class AnthropicProvider final : public sdk::Provider {
public:
    // What the vendor announced of retired and deprecated models.
    const void *extension(const char *id) override {
        return ::switchboard::kit::lifecycle_extension(id, ::sb_anthropic::kModelLifecycle);
    }

    static const sb_provider_descriptor &descriptor() {
        static const sb_str models[] = {
            to_sb("claude-3-haiku-20240307"),    to_sb("claude-haiku-4-5"),
            to_sb("claude-haiku-4-5-20251001"),  to_sb("claude-sonnet-4-5"),
            to_sb("claude-sonnet-4-5-20250929"), to_sb("claude-sonnet-4-6"),
            to_sb("claude-opus-4-1"),            to_sb("claude-opus-4-1-20250805"),
            to_sb("claude-opus-4-5"),            to_sb("claude-opus-4-5-20251101"),
            to_sb("claude-opus-4-6"),            to_sb("claude-opus-4-7"),
            to_sb("claude-sonnet-4-20250514"),   to_sb("claude-opus-4-20250514"),
        };
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor),
            to_sb("anthropic"),
            to_sb("Anthropic"),
            to_sb("1.0.0"),
            to_sb("claude-3-haiku-20240307"),
            to_sb("https://api.anthropic.com/v1"),
            to_sb("ANTHROPIC_API_KEY"),
            to_sb("ANTHROPIC_MODEL"),
            to_sb("ANTHROPIC_API_BASE"),
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
        json::object unified = kit::parse_chat_request(body_json);
        require_base_and_key(config);
        std::string model = resolve_model(config, unified);
        sdk::HttpRequest req;
        req.method = "POST";
        req.url = kit::join_url(config.api_base, "messages");
        kit::add_json_headers(req, stream);
        add_auth(req, config.api_key);
        req.body = kit::to_json(translate_request(unified, model, stream));
        return req;
    }

    std::string parse_chat_response(const sdk::Config &config,
                                    const sdk::HttpResponse &response) override {
        return translate_response(response.status, response.body, config.model, config.api_key, now());
    }

    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config,
                                             std::string_view body_json) override {
        // The model is known before message_start names it (a stream cut
        // before it still yields chunks that say which model was asked).
        std::string model(config.model);
        if (model.empty()) {
            bool ok = false;
            json::value v = kit::try_parse(body_json, ok);
            if (const json::object *o = ok ? v.if_object() : nullptr)
                model = std::string(kit::get_string(*o, "model"));
        }
        return std::make_unique<Stream>(std::move(model), std::string(config.api_key), now());
    }

    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override {
        require_base_and_key(config);
        sdk::HttpRequest req;
        req.method = "GET";
        // One page of up to 1000 covers every model Anthropic offers.
        req.url = kit::join_url(config.api_base, "models") + "?limit=1000";
        req.headers.emplace_back("Accept", "application/json");
        add_auth(req, config.api_key);
        return req;
    }

    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override {
        if (!kit::is_2xx(response.status))
            throw kit::to_provider_error(
                classify_http(response.status, response.body, config.model, config.api_key));
        bool ok = false;
        json::value v = kit::try_parse(response.body, ok);
        const json::object *o = ok ? v.if_object() : nullptr;
        const json::array *data = o ? kit::get_array(*o, "data") : nullptr;
        if (!data) throw not_messages_api(response.status, "no \"data\" array of models");
        std::vector<sdk::ModelEntry> models;
        for (const json::value &mv : *data) {
            const json::object *m = mv.if_object();
            if (!m) continue;
            auto id = kit::get_string(*m, "id");
            if (id.empty()) continue;
            models.push_back({std::string(id), std::string(kit::get_string(*m, "display_name"))});
        }
        return models;
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(AnthropicProvider)
