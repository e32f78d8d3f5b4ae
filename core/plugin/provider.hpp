#pragma once
// The host's C++ view of one loaded provider plugin (LoadedProvider; the
// plugin side's C++ helper is sdk::Provider): copies of its descriptor, and
// every ABI call wrapped so that plugin statuses become GatewayErrors (with
// any API key redacted), plugin output is bounded, and a plugin that
// declares where its credential goes never sees the key.
#include "core/upstream/http_message.hpp"
#include "core/plugin/model_lifecycle.hpp"
#include "core/plugin/plugin_library.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

// What a plugin offers through sb.embeddings/1 (ABI v1.3); supported is
// false for a plugin without it or built against an older minor.
struct EmbeddingSupport {
    bool supported = false;
    std::vector<std::string> models;
    std::string default_model;
    std::size_t max_batch = 0;  // 0: no limit known
    uint64_t flags = 0;         // SB_EMBED_* bits

    bool has(uint64_t flag) const noexcept { return (flags & flag) != 0; }
};

struct ProviderInfo {
    std::string id;
    std::string display_name;
    std::string plugin_version;
    std::string default_model;
    std::string default_api_base;
    std::string env_api_key;
    std::string env_model;
    std::string env_api_base;
    uint64_t capabilities = 0;
    int32_t stream_framing = SB_FRAMING_SSE;
    std::vector<std::string> known_models;
    ModelLifecycles lifecycle;  // what the plugin declares of retired and deprecated models
    // Client dialects the plugin takes as written (sb.native/1), e.g.
    // "anthropic.messages".
    std::vector<std::string> native_dialects;
    EmbeddingSupport embeddings;
    // Where the host writes the key (ABI v1.4 credential_header, lower-case,
    // and credential_prefix); empty header: the plugin places it itself.
    std::string credential_header;
    std::string credential_prefix;
    // Whether the plugin is given API keys: true for a plugin of minor < 4
    // or one without credential_header. Otherwise every call gets an empty
    // key and the host writes the header into every request built.
    bool sees_keys = true;

    bool has(uint64_t capability) const noexcept { return (capabilities & capability) != 0; }
};

// The configuration one call runs with (already resolved by precedence).
struct EffectiveConfig {
    std::string api_key;
    std::string api_base;
    std::string model;
};

// The token counts of one chat call: totals, -1 where unknown. A plugin of
// ABI minor 2 or later reports them typed (sb_usage); for plugins of minor 0
// and 1 the host finds them in the JSON they produce. Either way the gateway
// reads this, never the JSON.
struct TokenUsage {
    std::int64_t prompt_tokens = -1;
    std::int64_t completion_tokens = -1;
    std::int64_t cached_tokens = -1;      // of prompt_tokens, served from the vendor's cache
    std::int64_t reasoning_tokens = -1;   // of completion_tokens, spent on reasoning

    // Takes every count report knows (read by its struct_size); keeps the rest.
    void update(const sb_usage &report) noexcept;
    bool operator==(const TokenUsage &) const = default;
};

using ChunkHandler = std::function<void(std::string_view chunk_json)>;

// A client request to send as written (sb.native/1); see sb_native_request.
struct NativeCall {
    std::string_view dialect;
    std::string_view operation;  // the client's path below /v1
    std::string_view body_json;  // "model" already replaced
    HeaderList headers;          // the dialect's client headers, lower-case names
    bool stream = false;
};

// One streaming response being translated; abandons the plugin state when
// destroyed before finish(). Holds the library alive.
class ProviderStream {
public:
    ProviderStream(std::shared_ptr<PluginLibrary> library, sb_stream *state, std::string provider_id,
                   std::string api_key);
    ~ProviderStream();
    ProviderStream(const ProviderStream &) = delete;
    ProviderStream &operator=(const ProviderStream &) = delete;

    // Returns true when the vendor signalled the end. Throws GatewayError on
    // a mid-stream vendor error.
    bool feed(std::string_view event, std::string_view data, const ChunkHandler &on_chunk);
    // Emits the final chunks (usage); the stream is spent afterwards.
    void finish(const ChunkHandler &on_chunk);
    // The latest token counts the stream carried, after any feed or finish.
    const TokenUsage &usage() const noexcept { return usage_; }

private:
    std::shared_ptr<PluginLibrary> library_;
    sb_stream *state_;
    std::string provider_id_;
    std::string api_key_;
    TokenUsage usage_;
};

class LoadedProvider {
public:
    explicit LoadedProvider(std::shared_ptr<PluginLibrary> library);

    const ProviderInfo &info() const noexcept { return info_; }
    const std::string &id() const noexcept { return info_.id; }
    const PluginLibrary &library() const noexcept { return *library_; }

    UpstreamRequest build_chat_request(const EffectiveConfig &config, std::string_view body_json,
                                       bool stream) const;
    // Any status in, chat.completion JSON out; throws a classified GatewayError.
    // usage, when given, receives the response's token counts.
    std::string parse_chat_response(const EffectiveConfig &config, const UpstreamResponse &response,
                                    TokenUsage *usage = nullptr) const;
    std::unique_ptr<ProviderStream> open_stream(const EffectiveConfig &config,
                                                std::string_view body_json) const;
    // Whether the plugin takes dialect natively (sb.native/1).
    bool speaks_natively(std::string_view dialect) const noexcept;
    // The vendor request for a client request in a dialect it speaks. Throws
    // GatewayError (invalid_request for an operation the plugin refuses).
    UpstreamRequest build_native_request(const EffectiveConfig &config, const NativeCall &call) const;
    // std::nullopt when the plugin cannot list models.
    std::optional<UpstreamRequest> build_models_request(const EffectiveConfig &config) const;
    std::vector<std::string> parse_models_response(const EffectiveConfig &config,
                                                   const UpstreamResponse &response) const;
    // One batch of embeddings (sb.embeddings/1): body_json is the batch as
    // provider_abi.h describes it. Throws invalid_request when the plugin
    // does not embed (info().embeddings.supported is false).
    UpstreamRequest build_embeddings_request(const EffectiveConfig &config, std::string_view body_json,
                                             std::size_t input_count) const;
    // Any status in, the OpenAI-shaped embeddings list out; throws a
    // classified GatewayError. usage receives the input token count.
    std::string parse_embeddings_response(const EffectiveConfig &config, const UpstreamResponse &response,
                                          TokenUsage &usage) const;
    // The plugin's own checks (ABI v1.1); nullopt when the plugin has none,
    // otherwise an empty string when healthy or what is wrong.
    std::optional<std::string> self_check() const;

private:
    const sb_embeddings &embeddings_table() const;

    std::shared_ptr<PluginLibrary> library_;
    ProviderInfo info_;
    const sb_native *native_ = nullptr;  // the plugin's, valid while library_ is loaded
    const sb_embeddings *embeddings_ = nullptr;  // the plugin's, valid while library_ is
};

}  // namespace sb::core
