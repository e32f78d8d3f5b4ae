// Translation between the unified (OpenAI chat-completions) format and
// Anthropic's Messages API. Internal to the anthropic plugin.
#ifndef SWITCHBOARD_PLUGIN_ANTHROPIC_HPP
#define SWITCHBOARD_PLUGIN_ANTHROPIC_HPP

#include "anthropic_lifecycle.hpp"

#include <switchboard/kit/kit.hpp>
#include <switchboard/kit/vendor_provider.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::anthropic {

namespace json = ::boost::json;

inline constexpr std::string_view kDisplayName = "Anthropic";
inline constexpr std::string_view kApiVersion = "2023-06-01";
// Anthropic requires max_tokens; OpenAI clients usually leave it out.
inline constexpr int64_t kDefaultMaxTokens = 4096;

// What a Claude model accepts, read from the version in its id
// ("claude-opus-4-6", "claude-sonnet-4-20250514", "claude-3-7-sonnet-...").
// Unknown ids count as the newest generation: a gateway should not hold back
// a model it does not know yet.
struct ModelTraits {
    int major = 0;
    int minor = 0;
    // thinking {type: enabled, budget_tokens}: Claude 3.7 and every 4.x
    // before 4.7 (4.6 still takes it, deprecated).
    bool budget_thinking = false;
    // thinking {type: adaptive} + output_config.effort: 4.6 and later.
    bool adaptive_thinking = false;
    // output_config.format (structured outputs) and tool "strict": 4.5 and
    // later, and Opus 4.1.
    bool structured_outputs = false;
};
ModelTraits model_traits(std::string_view model);

// Unified request -> Messages API body (model already resolved). Throws
// sdk::invalid_request for what Anthropic cannot express.
json::object translate_request(const json::object &unified, std::string_view model, bool stream);

// Thinking to ask for: the client's own "thinking" object when it sent one,
// else reasoning_effort mapped for the model (see docs/providers.md). Sets
// out["thinking"] (and output_config.effort for adaptive models) and returns
// true when thinking is on. max_tokens may be raised to fit a budget.
bool apply_thinking(const json::object &unified, const ModelTraits &traits, bool max_tokens_given,
                    int64_t &max_tokens, json::object &out);

// Messages API stop_reason -> OpenAI finish_reason.
std::string_view finish_reason(std::string_view stop_reason);

// Token counts as Anthropic reports them; cache reads and writes are input
// tokens too, so they count into prompt_tokens.
struct Usage {
    int64_t input = 0;
    int64_t cache_creation = 0;
    int64_t cache_read = 0;
    int64_t output = 0;
    int64_t thinking = 0;  // output_tokens_details.thinking_tokens (part of output)
    // Overwrites the counts present in an Anthropic usage object (Anthropic's
    // counts are cumulative, never increments).
    void update(const json::object &usage);
    json::object to_openai() const;
};

// Text blocks on either side of a block the client does not see (a server
// tool call or its result) are joined with this, so that the sentences
// before and after the tool do not run together.
inline constexpr std::string_view kBlockSeparator = "\n\n";
// True for content blocks that have no OpenAI form and are not returned:
// server_tool_use, web_search_tool_result, mcp_tool_use, ... (anything but
// text, thinking, redacted_thinking and tool_use).
bool is_hidden_block(std::string_view type);
// An Anthropic citation of the content at [start, end) -> an OpenAI
// annotation: url_citation when it names a URL, else "citation" carrying the
// vendor's object with the offsets added.
json::object annotation(const json::object &citation, int64_t start, int64_t end);
// The thinking_blocks entry a client sends back to continue with thinking.
json::object thinking_block(std::string_view thinking, std::string_view signature);

// 2xx Messages API body -> unified chat.completion (throws on non-messages).
json::object translate_response(int status, std::string_view body, std::string_view model,
                                std::string_view api_key, int64_t created);

// Any non-2xx answer -> classification (Anthropic's {"type":"error","error":
// {"type","message"}} first, the kit's generic rules for foreign bodies).
kit::ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                   std::string_view api_key);
// An Anthropic error object ({"type","message"}) seen with status (0 in streams).
kit::ClassifiedError classify_error_object(int status, const json::object &error,
                                           std::string_view api_key);

// The anthropic-version header: version, or (empty) the one this plugin
// speaks. The key goes in x-api-key, written by the host (the descriptor's
// credential_header).
void add_version(sdk::HttpRequest &req, std::string_view version = {});

sdk::ProviderError not_messages_api(int status, std::string_view detail);

class Stream final : public sdk::Stream {
public:
    // Every chunk leaves through kit::emit_chunk, which reports usage typed.
    bool reports_usage() const override { return true; }
    Stream(std::string model, std::string api_key, int64_t created) : api_key_(std::move(api_key)) {
        header_.model = std::move(model);
        header_.created = created;
    }
    bool on_event(std::string_view event, std::string_view data, const sdk::ChunkWriter &out) override;
    void finish(const sdk::ChunkWriter &out) override;

private:
    // One open content block, by Anthropic index.
    struct Block {
        std::string type;
        std::string thinking;
        std::string signature;
        int64_t text_start = 0;  // chars of content before this text block
        json::array citations;
    };

    void emit_delta(const sdk::ChunkWriter &out, json::object delta, json::value finish = nullptr);
    void emit_content(const sdk::ChunkWriter &out, std::string_view text);
    void emit_reasoning(const sdk::ChunkWriter &out, std::string_view text);
    void emit_finish(const sdk::ChunkWriter &out);
    void emit_usage(const sdk::ChunkWriter &out);
    void on_block_start(const json::object &event, const sdk::ChunkWriter &out);
    void on_block_delta(const json::object &event, const sdk::ChunkWriter &out);
    void on_block_stop(const json::object &event, const sdk::ChunkWriter &out);

    std::string api_key_;
    kit::ChunkHeader header_;
    Usage usage_;
    std::string stop_reason_;
    bool have_stop_reason_ = false;
    bool finish_emitted_ = false;
    bool usage_emitted_ = false;
    int64_t content_chars_ = 0;
    bool reasoning_started_ = false;
    // A hidden block came after some text: the next text starts with
    // kBlockSeparator.
    bool separator_due_ = false;
    std::map<int64_t, Block> blocks_;
    // Anthropic content-block index -> OpenAI tool_calls index (tools counted
    // alone, so text blocks in between do not leave holes).
    std::map<int64_t, int64_t> tool_index_;
};

// The Messages API (POST {base}/messages) and the models list (GET
// {base}/models), translated to and from the unified format.
class Provider final : public kit::VendorProvider {
public:
    Provider() : VendorProvider(kModelNotices) {}
    static const sb_provider_descriptor &descriptor();  // anthropic_descriptor.cpp

    // anthropic_request.cpp
    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override;
    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override;
    // anthropic_response.cpp
    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override;
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override;
    // anthropic_stream.cpp
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view body_json) override;
    // anthropic_native.cpp: Anthropic's Messages API as clients write it
    // (sb.native/1): /messages and /messages/count_tokens sent as written.
    sdk::HttpRequest build_native_request(const sdk::Config &config, const sdk::NativeRequest &request) override;
    const void *extension(const char *id) override;
};

}  // namespace switchboard::anthropic

#endif  // SWITCHBOARD_PLUGIN_ANTHROPIC_HPP
