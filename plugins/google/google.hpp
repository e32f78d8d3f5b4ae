// Google Gemini (Generative Language API, v1beta) translation, shared by the
// plugin's source files. Internal to the plugin: nothing here is exported.
#ifndef SWITCHBOARD_PLUGINS_GOOGLE_GOOGLE_HPP
#define SWITCHBOARD_PLUGINS_GOOGLE_GOOGLE_HPP

#include "google_lifecycle.hpp"

#include <switchboard/kit/kit.hpp>
#include <switchboard/kit/embeddings.hpp>
#include <switchboard/kit/vendor_provider.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::google {

namespace json = ::boost::json;

inline constexpr std::string_view kDisplayName = "Google Gemini";

// "models/gemini-1.5-pro" and "gemini-1.5-pro" both name the same model; the
// unified side always sees the bare id.
std::string bare_model_id(std::string_view model);
// The model's resource name, escaped for a URL path: "models/<id>", or
// "tunedModels/<id>" for a tuned model.
std::string model_resource(std::string_view model);

// What a Gemini model accepts, from the version in its id.
struct GeminiTraits {
    int major = 0;  // 0: not a "gemini-<version>" id (tuned model, Gemma, ...)
    int minor = 0;
    bool pro = false;
    // parametersJsonSchema / responseJsonSchema (full JSON Schema): Gemini 2
    // and later; older models get the OpenAPI subset (parameters / responseSchema).
    bool json_schema = false;
};
GeminiTraits gemini_traits(std::string_view model);

// JSON Schema (as OpenAI tools and response_format carry it) -> Gemini's
// OpenAPI-3.0 subset, for models before Gemini 2. Keys Gemini rejects are
// dropped or mapped and local $refs inlined; nullopt for a schema that says
// nothing (true, {}), which Gemini cannot express.
std::optional<json::object> to_gemini_schema(const json::value &in, const json::object &root, int depth = 0);
// The same for a tool's parameters; an object without properties is left
// out entirely, as Gemini rejects an OBJECT without properties.
std::optional<json::object> parameters_schema(const json::value &params);
// The client's JSON Schema for parametersJsonSchema / responseJsonSchema
// (Gemini 2 and later take it whole); only "$schema" is left out.
json::value full_json_schema(const json::value &schema);

// The GenerateContentRequest body alone; model decides model-specific
// details (Gemini 3 thought signatures).
json::object translate_request(const json::object &unified, std::string_view model);

// Gemini error body (object, or array of objects) + HTTP status -> kind and
// the vendor's message, with the key redacted.
kit::ClassifiedError classify_error(int status, std::string_view body, std::string_view model,
                                    std::string_view api_key);
// An {"code","message","status","details"} error object seen inside a 2xx
// body or a stream.
kit::ClassifiedError classify_error_object(const json::value &error, std::string_view model,
                                           std::string_view api_key);

// ------------------------------------------- answers (google_response.cpp)

sdk::ProviderError not_gemini(int status, std::string_view detail);
// An id for a completion Gemini gave none ("chatcmpl-gemini-<time>-<n>").
std::string fallback_id();
// Gemini finishReason -> OpenAI finish_reason; a failed generation throws.
std::string map_finish(std::string_view reason, bool has_calls, std::string_view finish_message = {});
// usageMetadata -> OpenAI usage (zero counts when null).
json::object usage_of(const json::object *usage_metadata);

struct ToolCall {
    std::string id;
    std::string name;
    std::string arguments;
    std::string signature;
};

struct CandidateParts {
    std::string text;
    std::string reasoning;
    std::vector<ToolCall> calls;
    // The signature Gemini put on a text part (Gemini 3 signs the end of an
    // answer without calls); the last one when there are several.
    std::string text_signature;
};

// {"google":{"thought_signature":sig}}: where signatures travel on the OpenAI
// side, on tool calls and (for a text part's) on the message.
json::object google_extra(std::string_view signature);
// first_call_index numbers the calls across a whole stream so that ids and
// indexes stay stable from chunk to chunk.
CandidateParts read_parts(const json::object &candidate, size_t first_call_index);
json::array tool_calls_json(const std::vector<ToolCall> &calls, bool with_index, size_t first_index);
int64_t candidate_index(const json::object &candidate, size_t position);

// The Generative Language API v1beta, translated to and from the unified
// format.
class Provider final : public kit::VendorProvider {
public:
    Provider() : VendorProvider(kModelNotices) {}
    static const sb_provider_descriptor &descriptor();  // google_descriptor.cpp

    // google_request.cpp
    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override;
    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override;
    // google_response.cpp
    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override;
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override;
    // google_stream.cpp
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view body_json) override;
    // google_plugin.cpp: the lifecycle notices and the embeddings below.
    const void *extension(const char *id) override;
};

// batchEmbedContents (google_embeddings.cpp): "dimensions" becomes
// outputDimensionality; the provider-specific "task_type" (Gemini's
// taskType, e.g. "RETRIEVAL_QUERY") and "title" go on every request of the
// batch.
class Embeddings final : public sdk::Embedder {
public:
    static sdk::EmbeddingsInfo info();
    sdk::HttpRequest build_embeddings_request(const sdk::Config &config, std::string_view body_json,
                                              size_t input_count) override;
    std::string parse_embeddings_response(const sdk::Config &config, const sdk::HttpResponse &response) override;
};

}  // namespace switchboard::google

#endif  // SWITCHBOARD_PLUGINS_GOOGLE_GOOGLE_HPP
