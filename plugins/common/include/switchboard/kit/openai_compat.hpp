// Reusable translation for vendors that speak the OpenAI chat-completions
// wire format (OpenAI itself, custom OpenAI-compatible servers, Together,
// Mistral, xAI, ...). A plugin derives from OpenAICompatibleProvider, passes
// its options and its static descriptor, and exports it with
// SWITCHBOARD_EXPORT_PROVIDER.
#ifndef SWITCHBOARD_KIT_OPENAI_COMPAT_HPP
#define SWITCHBOARD_KIT_OPENAI_COMPAT_HPP

#include <switchboard/kit/kit.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::kit {

struct OpenAICompatOptions {
    std::string id;            // "openai": used in messages
    std::string display_name;  // "OpenAI": used in messages
    std::string env_api_key;   // for not-configured messages
    std::string env_model;
    std::string env_api_base;
    bool requires_api_key = true;  // false: Authorization only when a key is set
    std::string chat_path = "/chat/completions";
    std::string models_path = "/models";
    bool stream_include_usage = true;  // add stream_options.include_usage
};

// The translation itself, usable without the Provider base class.
class OpenAICompat {
public:
    explicit OpenAICompat(OpenAICompatOptions options) : opt_(std::move(options)) {}
    const OpenAICompatOptions &options() const { return opt_; }

    // POST {base}{chat_path}; body = unified request with "model" set from
    // config (or kept from the body when config.model is empty); for streams
    // "stream":true and stream_options.include_usage=true, otherwise "stream"
    // and "stream_options" are removed. Throws not_configured / invalid_request.
    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) const;
    // 2xx: validated (object with a "choices" array) and passed through as is.
    // Otherwise a classified upstream error is thrown.
    std::string parse_chat_response(const sdk::Config &config,
                                     const sdk::HttpResponse &response) const;
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config) const;
    // GET {base}{models_path}.
    sdk::HttpRequest build_models_request(const sdk::Config &config) const;
    // {"data":[{"id":...}, ...]} -> ids.
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) const;

    // Throws not_configured when the base (and, when needed, key) is missing.
    void require_base(const sdk::Config &config) const;
    void require_key(const sdk::Config &config) const;

private:
    OpenAICompatOptions opt_;
};

// Pass-through stream of OpenAI chunks: each SSE data payload is emitted as
// is; "[DONE]" ends the stream; a payload with an "error" member is a
// mid-stream upstream error; finish() emits a usage chunk only when no chunk
// carried a "usage" object.
class OpenAICompatStream final : public sdk::Stream {
public:
    OpenAICompatStream(std::string provider_name, std::string model, std::string api_key)
        : provider_name_(std::move(provider_name)), model_(std::move(model)),
          api_key_(std::move(api_key)) {}
    bool on_event(std::string_view event, std::string_view data,
                  const sdk::ChunkWriter &out) override;
    void finish(const sdk::ChunkWriter &out) override;
    bool saw_usage() const { return saw_usage_; }

private:
    std::string provider_name_;
    std::string model_;
    std::string api_key_;
    std::string id_;
    std::string chunk_model_;
    int64_t created_ = 0;
    bool saw_usage_ = false;
};

// A complete Provider for an OpenAI-compatible vendor.
class OpenAICompatibleProvider : public sdk::Provider {
public:
    explicit OpenAICompatibleProvider(OpenAICompatOptions options) : compat_(std::move(options)) {}

    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override {
        return compat_.build_chat_request(config, body_json, stream);
    }
    std::string parse_chat_response(const sdk::Config &config,
                                    const sdk::HttpResponse &response) override {
        return compat_.parse_chat_response(config, response);
    }
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config,
                                             std::string_view /*body_json*/) override {
        return compat_.open_stream(config);
    }
    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override {
        return compat_.build_models_request(config);
    }
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override {
        return compat_.parse_models_response(config, response);
    }

protected:
    OpenAICompat compat_;
};

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_OPENAI_COMPAT_HPP
