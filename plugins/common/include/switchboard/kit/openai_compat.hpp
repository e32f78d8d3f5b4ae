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

// What every stream of OpenAI-shaped chunks shares: one JSON payload per
// event, "[DONE]" ends it, a payload with an error is a classified mid-stream
// upstream error, and finish() closes a stream whose vendor sent no usage
// with a zero usage chunk. What a chunk becomes is on_chunk's.
class OpenAIChunkStream : public sdk::Stream {
public:
    // Every chunk leaves through kit::emit_chunk, which reports usage typed.
    bool reports_usage() const override { return true; }
    // provider_name: the static descriptor's display name.
    OpenAIChunkStream(std::string_view provider_name, const sdk::Config &config)
        : provider_name_(provider_name), api_key_(config.api_key) {
        header_.model = std::string(config.model);
    }
    bool on_event(std::string_view event, std::string_view data, const sdk::ChunkWriter &out) final;
    void finish(const sdk::ChunkWriter &out) final;

protected:
    // One vendor chunk (header already learnt from it); as_received is its text.
    virtual void on_chunk(json::object &chunk, std::string_view as_received, const sdk::ChunkWriter &out) = 0;
    // The error a payload carries, if any (default: a non-null "error" member).
    virtual const json::value *stream_error(const json::object &payload) const;

    std::string_view provider_name() const { return provider_name_; }
    const ChunkHeader &header() const { return header_; }
    void emit_usage(const sdk::ChunkWriter &out, json::value usage);
    void saw_usage() { saw_usage_ = true; }

private:
    std::string_view provider_name_;
    std::string api_key_;
    ChunkHeader header_;
    bool saw_usage_ = false;
};

// Pass-through stream of OpenAI chunks: each payload is emitted as it came.
class OpenAICompatStream final : public OpenAIChunkStream {
public:
    using OpenAIChunkStream::OpenAIChunkStream;

protected:
    void on_chunk(json::object &chunk, std::string_view as_received, const sdk::ChunkWriter &out) override;
};

// A complete Provider for an OpenAI-compatible vendor, built from its
// descriptor, whose credential_header must say where the key goes
// ("authorization", "Bearer "): no request it builds carries a key, the host
// writes it (ABI v1.4). The vendor's differences are the virtual hooks below.
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
    // A vendor error a 2xx answer may carry besides an "error" member; asked
    // of normalized answers only (a pass-through is checked by
    // scan_completion, without a tree to hand this).
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
