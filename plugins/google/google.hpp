// Google Gemini (Generative Language API, v1beta) translation, shared by the
// plugin's source files. Internal to the plugin: nothing here is exported.
#ifndef SWITCHBOARD_PLUGINS_GOOGLE_GOOGLE_HPP
#define SWITCHBOARD_PLUGINS_GOOGLE_GOOGLE_HPP

#include <switchboard/kit/kit.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::google {

namespace sdk = ::switchboard::sdk;
namespace kit = ::switchboard::kit;
namespace json = ::boost::json;

inline constexpr std::string_view kDisplayName = "Google Gemini";

inline bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// "models/gemini-1.5-pro" and "gemini-1.5-pro" both name the same model; the
// unified side always sees the bare id.
std::string bare_model_id(std::string_view model);

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

// unified chat request -> generateContent / streamGenerateContent request.
sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                    bool stream);
// The GenerateContentRequest body alone; model decides model-specific
// details (Gemini 3 thought signatures).
json::object translate_request(const json::object &unified, std::string_view model);

std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response);
std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config);

sdk::HttpRequest build_models_request(const sdk::Config &config);
std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                   const sdk::HttpResponse &response);

// Gemini error body (object, or array of objects) + HTTP status -> kind and
// the vendor's message, with the key redacted.
kit::ClassifiedError classify_error(int status, std::string_view body, std::string_view model,
                                    std::string_view api_key);
// An {"code","message","status","details"} error object seen inside a 2xx
// body or a stream.
kit::ClassifiedError classify_error_object(const json::value &error, std::string_view model,
                                           std::string_view api_key);

void require_key(const sdk::Config &config);
void require_base(const sdk::Config &config);

}  // namespace switchboard::google

#endif  // SWITCHBOARD_PLUGINS_GOOGLE_GOOGLE_HPP
