// Translation between the unified (OpenAI chat-completions) format and
// Anthropic's Messages API. Internal to the anthropic plugin.
#ifndef SWITCHBOARD_PLUGIN_ANTHROPIC_HPP
#define SWITCHBOARD_PLUGIN_ANTHROPIC_HPP

#include <switchboard/kit/kit.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace sb_anthropic {

namespace sdk = ::switchboard::sdk;
namespace kit = ::switchboard::kit;
namespace json = ::boost::json;

inline constexpr std::string_view kDisplayName = "Anthropic";
inline constexpr std::string_view kApiVersion = "2023-06-01";
// Anthropic requires max_tokens; OpenAI clients usually leave it out.
inline constexpr int64_t kDefaultMaxTokens = 4096;

// Unified request -> Messages API body (model already resolved). Throws
// sdk::invalid_request for what Anthropic cannot express.
json::object translate_request(const json::object &unified, std::string_view model, bool stream);

// Messages API stop_reason -> OpenAI finish_reason.
std::string_view finish_reason(std::string_view stop_reason);

// Token counts as Anthropic reports them; cache reads and writes are input
// tokens too, so they count into prompt_tokens.
struct Usage {
    int64_t input = 0;
    int64_t cache_creation = 0;
    int64_t cache_read = 0;
    int64_t output = 0;
    // Overwrites the counts present in an Anthropic usage object (Anthropic's
    // counts are cumulative, never increments).
    void update(const json::object &usage);
    json::object to_openai() const;
};

// 2xx Messages API body -> unified chat.completion JSON (throws on non-messages).
std::string translate_response(int status, std::string_view body, std::string_view model,
                               std::string_view api_key, int64_t created);

// Any non-2xx answer -> classification (Anthropic's {"type":"error","error":
// {"type","message"}} first, the kit's generic rules for foreign bodies).
kit::ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                   std::string_view api_key);
// An Anthropic error object ({"type","message"}) seen with status (0 in streams).
kit::ClassifiedError classify_error_object(int status, const json::object &error,
                                           std::string_view api_key);

sdk::ProviderError not_messages_api(int status, std::string_view detail);

class Stream final : public sdk::Stream {
public:
    Stream(std::string model, std::string api_key, int64_t created)
        : model_(std::move(model)), api_key_(std::move(api_key)), created_(created) {}
    bool on_event(std::string_view event, std::string_view data, const sdk::ChunkWriter &out) override;
    void finish(const sdk::ChunkWriter &out) override;

private:
    void emit_delta(const sdk::ChunkWriter &out, json::object delta, json::value finish = nullptr);
    void emit_finish(const sdk::ChunkWriter &out);
    void emit_usage(const sdk::ChunkWriter &out);

    std::string model_;
    std::string api_key_;
    int64_t created_;
    std::string id_;
    Usage usage_;
    std::string stop_reason_;
    bool have_stop_reason_ = false;
    bool finish_emitted_ = false;
    bool usage_emitted_ = false;
    // Anthropic content-block index -> OpenAI tool_calls index (tools counted
    // alone, so text blocks in between do not leave holes).
    std::map<int64_t, int64_t> tool_index_;
};

}  // namespace sb_anthropic

#endif  // SWITCHBOARD_PLUGIN_ANTHROPIC_HPP
