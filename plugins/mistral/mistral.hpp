// Mistral AI provider plugin. Mistral's chat API is OpenAI-shaped, but it
// answers any field it does not know with 422 (extra_forbidden), wants
// "random_seed" for "seed" and "any" for tool_choice "required", takes tool
// call ids only as 9 alphanumerics, streams tool calls without "index", and
// has its own error bodies. The request is rebuilt field by field from
// Mistral's ChatCompletionRequest schema; answers are normalized.
#ifndef SWITCHBOARD_PLUGINS_MISTRAL_MISTRAL_HPP
#define SWITCHBOARD_PLUGINS_MISTRAL_MISTRAL_HPP

#include "mistral_lifecycle.hpp"

#include <switchboard/kit/embeddings.hpp>
#include <switchboard/kit/openai_compat.hpp>

#include <string>

namespace switchboard::mistral {

namespace json = ::boost::json;

inline constexpr std::string_view kDisplayName = "Mistral AI";

// The unified request rewritten into Mistral's ChatCompletionRequest.
json::object translate_request(const json::object &unified);

// A Mistral error "message": a string as is, a 422's {"detail":[{loc,msg}]}
// as "loc: msg; ...", anything else as JSON.
std::string render_message(const json::value &message);

// A non-2xx Mistral answer classified: its own {"message","type","code"}
// bodies (invalid_model is MODEL_NOT_FOUND), the kit's rules for the rest.
kit::ClassifiedError classify_error(int status, std::string_view body, std::string_view model,
                                    std::string_view api_key);

class Provider final : public kit::OpenAICompatibleProvider {
public:
    // Usage rides on Mistral's last chunk; stream_options would be a 422.
    Provider()
        : OpenAICompatibleProvider(descriptor(), {.stream_include_usage = false, .normalize = true}, kModelNotices) {}
    static const sb_provider_descriptor &descriptor();  // mistral_descriptor.cpp
    // mistral_plugin.cpp: the lifecycle notices and the embeddings below.
    const void *extension(const char *id) override;

    // mistral_stream.cpp
    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view body_json) override;

protected:
    void rewrite_request(json::object &body, const sdk::Config &) const override { body = translate_request(body); }
    // mistral_response.cpp
    kit::ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                       std::string_view api_key) const override;
    void check_completion(const json::object &completion, const sdk::HttpResponse &response,
                          const sdk::Config &config) const override;
    std::optional<sdk::ModelEntry> model_entry(const json::object &model) const override;
};

// POST /v1/embeddings (mistral_embeddings.cpp). Mistral refuses unknown
// fields, so the batch is rebuilt from its EmbeddingRequest schema:
// "dimensions" becomes output_dimension, "metadata" passes, the rest
// ("user", ...) is left out.
class Embeddings final : public kit::OpenAICompatEmbedder {
public:
    Embeddings() : OpenAICompatEmbedder(kDisplayName) {}
    static sdk::EmbeddingsInfo info();

protected:
    void rewrite_request(json::object &batch, const sdk::Config &config) const override;
    kit::ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                       std::string_view api_key) const override {
        return classify_error(status, body, model, api_key);
    }
};

}  // namespace switchboard::mistral

#endif  // SWITCHBOARD_PLUGINS_MISTRAL_MISTRAL_HPP
