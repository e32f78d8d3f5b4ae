// OpenAI provider plugin: the kit's OpenAI-compatible provider, with the
// request rewritten to what OpenAI's Chat Completions API accepts from
// today's models (openai_request.cpp).
#ifndef SWITCHBOARD_PLUGINS_OPENAI_OPENAI_HPP
#define SWITCHBOARD_PLUGINS_OPENAI_OPENAI_HPP

#include "openai_lifecycle.hpp"

#include <switchboard/kit/embeddings.hpp>
#include <switchboard/kit/openai_compat.hpp>

#include <string_view>

namespace switchboard::openai {

namespace json = ::boost::json;

// o-series (o1, o3, o4-mini, codex-mini) and the gpt-5 family and later,
// except the "-chat" variants, which are not reasoning models.
bool is_reasoning_model(std::string_view model);

// The request rewritten in place for `model`:
//  - max_tokens becomes max_completion_tokens (the only limit reasoning
//    models accept, and accepted by every current model); an explicit
//    max_completion_tokens wins;
//  - on a reasoning model, sampling fields at their default (temperature 1,
//    top_p 1, penalties 0, logprobs false, empty logit_bias/stop) are
//    dropped and any other value is refused with sdk::invalid_request naming
//    the field, unless the model takes them with reasoning_effort "none"
//    (gpt-5.1 and later);
//  - reasoning_effort and everything else pass through.
void apply_model_rules(json::object &body, std::string_view model);

class Provider final : public kit::OpenAICompatibleProvider {
public:
    Provider() : OpenAICompatibleProvider(descriptor(), {}, kModelNotices) {}
    static const sb_provider_descriptor &descriptor();  // openai_descriptor.cpp
    // openai_plugin.cpp: the lifecycle notices, the embeddings below and the
    // native Responses API.
    const void *extension(const char *id) override;

    // openai_native.cpp: the Responses API as clients write it (sb.native/1).
    sdk::HttpRequest build_native_request(const sdk::Config &config, const sdk::NativeRequest &request) override;
    static const sb_native *native_table();

protected:
    void rewrite_request(json::object &body, const sdk::Config &config) const override {
        apply_model_rules(body, config.model);
    }
};

// POST /embeddings, asked as base64 (as OpenAI's own clients do) and
// decoded (openai_embeddings.cpp).
class Embeddings final : public kit::OpenAICompatEmbedder {
public:
    Embeddings() : OpenAICompatEmbedder("OpenAI", {.ask_base64 = true}) {}
    static sdk::EmbeddingsInfo info();
};

}  // namespace switchboard::openai

#endif  // SWITCHBOARD_PLUGINS_OPENAI_OPENAI_HPP
