// Together AI provider plugin. Together speaks the OpenAI chat-completions
// format, but its schema is narrower (string-only system/tool content,
// "stop" only as an array, integer "logprobs", tool calls with an "index",
// no stream_options) and its answers say "eos" where OpenAI says "stop". The
// request is rebuilt from an allow-list of Together's request fields and the
// answers are normalized to the unified shape by the kit.
#ifndef SWITCHBOARD_PLUGINS_TOGETHER_TOGETHER_HPP
#define SWITCHBOARD_PLUGINS_TOGETHER_TOGETHER_HPP

#include "together_lifecycle.hpp"

#include <switchboard/kit/embeddings.hpp>
#include <switchboard/kit/openai_compat.hpp>

namespace switchboard::together {

namespace json = ::boost::json;

inline constexpr std::string_view kDisplayName = "Together AI";

// The unified request rewritten into Together's ChatCompletionRequest.
json::object translate_request(const json::object &unified);

class Provider final : public kit::OpenAICompatibleProvider {
public:
    // Together's stream ends with a usage chunk on its own; it has no
    // stream_options.
    Provider()
        : OpenAICompatibleProvider(descriptor(), {.stream_include_usage = false, .normalize = true}, kModelNotices) {}
    static const sb_provider_descriptor &descriptor();  // together_descriptor.cpp
    // together_plugin.cpp: the lifecycle notices and the embeddings below.
    const void *extension(const char *id) override;

protected:
    void rewrite_request(json::object &body, const sdk::Config &) const override { body = translate_request(body); }
    // together_response.cpp
    std::optional<sdk::ModelEntry> model_entry(const json::object &model) const override;
};

// POST /embeddings (together_embeddings.cpp): Together takes "model" and
// "input" (strings) only; everything else is left out.
class Embeddings final : public kit::OpenAICompatEmbedder {
public:
    Embeddings() : OpenAICompatEmbedder(kDisplayName) {}
    static sdk::EmbeddingsInfo info();

protected:
    void rewrite_request(json::object &batch, const sdk::Config &config) const override;
};

}  // namespace switchboard::together

#endif  // SWITCHBOARD_PLUGINS_TOGETHER_TOGETHER_HPP
