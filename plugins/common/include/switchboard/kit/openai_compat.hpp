// Reusable translation for vendors that speak the OpenAI chat-completions
// wire format (OpenAI itself, custom OpenAI-compatible servers, Together,
// Mistral, xAI, ...). A plugin derives from OpenAICompatibleProvider, hands
// it its descriptor (the facts, written once) and its lifecycle notices,
// overrides the hooks where its vendor differs, and exports it with
// SWITCHBOARD_EXPORT_PROVIDER.
#ifndef SWITCHBOARD_KIT_OPENAI_COMPAT_HPP
#define SWITCHBOARD_KIT_OPENAI_COMPAT_HPP

#include <switchboard/kit/kit.hpp>
#include <switchboard/kit/vendor_provider.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::kit {

// How the vendor's wire format differs in ways that need no code.
struct OpenAICompatOptions {
    std::string_view chat_path = "/chat/completions";
    std::string_view models_path = "/models";
    bool stream_include_usage = true;  // add stream_options.include_usage
    // Answers are "almost OpenAI" and are rewritten to the unified shape
    // (openai_normalize.hpp) instead of passed through.
    bool normalize = false;
};

// Pass-through stream of OpenAI chunks: each SSE data payload is emitted as
// is; "[DONE]" ends the stream; a payload with an "error" member is a
// mid-stream upstream error; finish() emits a usage chunk only when no chunk
// carried a "usage" object.
class OpenAICompatStream final : public sdk::Stream {
public:
    OpenAICompatStream(std::string_view provider_name, const sdk::Config &config)
        : provider_name_(provider_name), api_key_(config.api_key) {
        header_.model = std::string(config.model);
    }
    bool on_event(std::string_view event, std::string_view data, const sdk::ChunkWriter &out) override;
    void finish(const sdk::ChunkWriter &out) override;

private:
    std::string_view provider_name_;  // the static descriptor's
    std::string api_key_;
    ChunkHeader header_;
    bool saw_usage_ = false;
};

// A complete Provider for an OpenAI-compatible vendor, built from its
// descriptor. The vendor's differences are the virtual hooks below.
class OpenAICompatibleProvider : public VendorProvider {
public:
    explicit OpenAICompatibleProvider(const sb_provider_descriptor &descriptor, OpenAICompatOptions options = {})
        : descriptor_(descriptor), options_(options) {}
    template <std::size_t N>
    OpenAICompatibleProvider(const sb_provider_descriptor &descriptor, OpenAICompatOptions options,
                             const sb_model_lifecycle_entry (&notices)[N])
        : VendorProvider(notices), descriptor_(descriptor), options_(options) {}

    // POST {base}{chat_path}: the unified request parsed once, rewritten by
    // rewrite_request, "model" set from config; for streams "stream":true
    // (and stream_options.include_usage), otherwise both removed.
    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override;
    // 2xx: checked (object with a "choices" array) and passed through as is,
    // or normalized. Otherwise a classified upstream error is thrown.
    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override;
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view body_json) override;
    // GET {base}{models_path}.
    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override;
    // {"data":[...]}, {"models":[...]} or a bare array -> model_entry of each.
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override;

protected:
    std::string_view display_name() const { return sdk::to_sv(descriptor_.display_name); }

    // Hooks. The unified request rewritten into the vendor's (default: as is).
    virtual void rewrite_request(json::object & /*body*/, const sdk::Config & /*config*/) const {}
    // A non-2xx answer classified (default: the kit's rules).
    virtual ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                          std::string_view api_key) const;
    // A vendor error a 2xx answer may carry besides an "error" member.
    virtual void check_completion(const json::object & /*completion*/, const sdk::HttpResponse & /*response*/,
                                  const sdk::Config & /*config*/) const {}
    // One entry of the model list; nullopt leaves it out (default: its "id").
    virtual std::optional<sdk::ModelEntry> model_entry(const json::object &model) const;

private:
    const sb_provider_descriptor &descriptor_;
    OpenAICompatOptions options_;
};

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_OPENAI_COMPAT_HPP
