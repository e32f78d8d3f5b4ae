// Cohere provider plugin: the unified (OpenAI chat-completions) format to
// and from Cohere's Chat API v2 (POST /v2/chat), streaming included.
//
// Cohere v2 is close to OpenAI in shape but not in detail, so every field is
// mapped explicitly and anything Cohere's spec lacks is dropped: the v2 API
// answers unknown or out-of-range fields with a 400/422.
#ifndef SWITCHBOARD_PLUGINS_COHERE_COHERE_HPP
#define SWITCHBOARD_PLUGINS_COHERE_COHERE_HPP

#include "cohere_lifecycle.hpp"

#include <switchboard/kit/kit.hpp>
#include <switchboard/kit/embeddings.hpp>
#include <switchboard/kit/vendor_provider.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::cohere {

namespace json = ::boost::json;

inline constexpr std::string_view kDisplayName = "Cohere";

// The host without any version segment. Users paste the v1 base from older
// docs ("https://api.cohere.ai/v1"), the v2 one, or a bare host; chat always
// lives under /v2 and the model list under /v1, so both derive from the root.
std::string api_root(std::string_view base);

// ---------------------------------------------- request (cohere_request.cpp)

// Unified request -> Cohere v2 chat body. Throws sdk::invalid_request for
// what Cohere cannot express.
json::object translate_request(const json::object &unified, std::string_view model, bool stream);
// A tool call's function.arguments as the JSON text both sides use ("{}"
// when absent).
json::value arguments_of(const json::object &function);

// -------------------------------------------- answers (cohere_response.cpp)

sdk::ProviderError api_base_incorrect(int status, std::string_view detail);
// Any non-2xx answer classified: Cohere's 498/499 and the messages that carry
// the real cause first, the kit's rules for the rest.
kit::ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                   std::string_view api_key);
// An error met inside a 2xx answer or a stream, where only text is left.
kit::ClassifiedError classify_message(std::string_view message, std::string_view api_key);
// Cohere's finish reason in OpenAI's terms; a failed generation throws.
std::string_view finish_reason(std::string_view reason, bool has_tool_calls, int http_status = 0);
// Cohere usage (tokens, else billed units) -> OpenAI usage.
json::object usage_of(const json::object *usage);
// A Cohere citation as an OpenAI message annotation, offsets moved by shift.
json::object annotation(const json::object &citation, int64_t shift);

class Provider final : public kit::VendorProvider {
public:
    Provider() : VendorProvider(kModelNotices) {}
    static const sb_provider_descriptor &descriptor();  // cohere_descriptor.cpp

    // cohere_request.cpp
    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override;
    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override;
    // cohere_response.cpp
    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override;
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override;
    // cohere_stream.cpp
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view body_json) override;
    // cohere_plugin.cpp: the lifecycle notices and the embeddings below.
    const void *extension(const char *id) override;
};

// The input_type Cohere requires when the client names none: the documents
// of a search index, the common case of an embeddings call.
inline constexpr std::string_view kDefaultInputType = "search_document";

// POST /v2/embed (cohere_embeddings.cpp): "input" becomes "texts",
// "dimensions" output_dimension; the provider-specific "input_type"
// (search_document, search_query, classification, clustering) overrides
// kDefaultInputType, and "truncate" and "max_tokens" pass through. Floats
// only ("embedding_types":["float"]).
class Embeddings final : public sdk::Embedder {
public:
    static sdk::EmbeddingsInfo info();
    sdk::HttpRequest build_embeddings_request(const sdk::Config &config, std::string_view body_json,
                                              size_t input_count) override;
    std::string parse_embeddings_response(const sdk::Config &config, const sdk::HttpResponse &response) override;
};

}  // namespace switchboard::cohere

#endif  // SWITCHBOARD_PLUGINS_COHERE_COHERE_HPP
