// Custom provider: any OpenAI-compatible server, served by the kit's
// OpenAI-compatible provider as it is. No default model or base; the API key
// is optional (Authorization is sent only when one is set).
#ifndef SWITCHBOARD_PLUGINS_CUSTOM_CUSTOM_HPP
#define SWITCHBOARD_PLUGINS_CUSTOM_CUSTOM_HPP

#include <switchboard/kit/embeddings.hpp>
#include <switchboard/kit/openai_compat.hpp>

namespace switchboard::custom {

class Provider final : public kit::OpenAICompatibleProvider {
public:
    Provider() : OpenAICompatibleProvider(descriptor()) {}
    static const sb_provider_descriptor &descriptor();  // custom_descriptor.cpp
    // custom_plugin.cpp: the embeddings below.
    const void *extension(const char *id) override;
};

// POST /embeddings of an OpenAI-compatible server, passed through as the
// client sent it (custom_embeddings.cpp). No models or batch limit known.
class Embeddings final : public kit::OpenAICompatEmbedder {
public:
    Embeddings() : OpenAICompatEmbedder("Custom") {}
    static sdk::EmbeddingsInfo info();
};

}  // namespace switchboard::custom

#endif  // SWITCHBOARD_PLUGINS_CUSTOM_CUSTOM_HPP
