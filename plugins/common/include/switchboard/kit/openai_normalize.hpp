// For vendors whose wire format is "almost OpenAI" (Together, Mistral): their
// responses and stream chunks are OpenAI-shaped but differ in details that
// break OpenAI clients -- finish reasons ("eos", "model_length"), tool-call
// deltas without "index"/"type", usage riding on the last content chunk,
// content given as a part array. These helpers rewrite such payloads into the
// exact unified shape instead of passing them through.
#ifndef SWITCHBOARD_KIT_OPENAI_NORMALIZE_HPP
#define SWITCHBOARD_KIT_OPENAI_NORMALIZE_HPP

#include <switchboard/kit/kit.hpp>
#include <switchboard/kit/openai_compat.hpp>

#include <span>
#include <map>
#include <string>
#include <string_view>

namespace switchboard::kit {

// OpenAI's finish reasons (stop, length, tool_calls, content_filter) from a
// vendor's: eos/end_turn/stop_sequence -> stop, model_length/max_tokens ->
// length, function_call -> tool_calls; anything unknown -> stop. Check
// is_error_finish first: a failed generation must not read as "stop".
std::string_view openai_finish_reason(std::string_view vendor);

// Whether a vendor finish reason says the generation failed (Mistral's
// "error"): reported as an upstream error, never as a finish reason.
bool is_error_finish(std::string_view vendor);

// The text of a content value: a string as is, a part array's "text" parts
// concatenated (other parts dropped), anything else empty.
std::string content_text(const json::value &content);

// The thinking text of a content part array: Mistral/Magistral
// {"type":"thinking","thinking":[{"type":"text","text":...}]} parts (or a
// plain "thinking" string) concatenated; empty when there are none.
std::string reasoning_text(const json::value &content);

// An OpenAI usage object completed in place: prompt/completion counts made
// integers, total_tokens filled in, vendor cached-token counts
// (num_cached_tokens, cached_tokens) moved to prompt_tokens_details.cached_tokens.
void normalize_usage(json::object &usage);

// Tool calls in OpenAI's shape: "type":"function" added, object arguments
// serialized to a JSON string.
void normalize_tool_call(json::object &call);

// ------------------------------------------------- requests to such vendors

// Whether key is one of names (a vendor's pass-through allow-list).
bool is_one_of(std::string_view key, std::span<const std::string_view> names);

// An OpenAI function tool in the shape such vendors take: name,
// description, and "parameters" always present (an empty object schema when
// the client left it out, as OpenAI allows and these vendors do not); "strict"
// kept when keep_strict. Anything but a function tool is refused with
// sdk::invalid_request naming provider_name.
json::object function_tool(const json::object &tool, std::string_view provider_name, bool keep_strict);
// Every object of a "tools" array as function_tool makes it ([] when not an array).
json::array function_tools(const json::value &tools, std::string_view provider_name, bool keep_strict);

// OpenAI's max_completion_tokens as the vendor's max_tokens, unless the
// vendor body has one already.
void completion_limit_as_max_tokens(const json::object &unified, json::object &vendor);

// A vendor request rebuilt from the unified one, field by field: null
// members are dropped, members named in pass_through copied as they are, and
// every other member handed to map(key, value, vendor_body), which writes
// what the vendor takes of it (or nothing); then
// completion_limit_as_max_tokens.
template <class Map>
json::object rebuild_request(const json::object &unified, std::span<const std::string_view> pass_through, Map &&map) {
    json::object out;
    for (const auto &kv : unified) {
        if (kv.value().is_null()) continue;
        if (is_one_of(kv.key(), pass_through))
            out[kv.key()] = kv.value();
        else
            map(std::string_view(kv.key()), kv.value(), out);
    }
    completion_limit_as_max_tokens(unified, out);
    return out;
}

// Rewrites a vendor chat.completion in place: finish reasons, content arrays
// flattened to text (their thinking parts, and a "reasoning" string, become
// "reasoning_content"), tool calls normalized, usage completed. Throws
// api_base_incorrect when there is no "choices" array and failed_generation
// for an error finish reason.
void normalize_chat_completion(json::object &completion, int http_status,
                               std::string_view provider_name = "the vendor");

// Stream of almost-OpenAI chunks (one JSON payload per event, "[DONE]" ends):
// emits unified chunks (thinking parts and "reasoning" as
// "reasoning_content" deltas, an error finish reason as an error), splitting a usage that rides on a choice chunk into
// its own "choices":[] chunk, and produces a zero usage chunk at finish() when
// the vendor sent none. A payload with an "error" member is a classified
// mid-stream error.
class NormalizingStream : public OpenAIChunkStream {
public:
    using OpenAIChunkStream::OpenAIChunkStream;

protected:
    void on_chunk(json::object &chunk, std::string_view as_received, const sdk::ChunkWriter &out) override;

private:
    // Per choice: tool-call id -> OpenAI index, in order of appearance.
    std::map<int64_t, std::map<std::string, int64_t>> tool_index_;
    std::map<int64_t, int64_t> last_tool_index_;
};

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_OPENAI_NORMALIZE_HPP
