#include "openai.hpp"

namespace switchboard::openai {

namespace {

constexpr sb_str kModels[] = {sdk::to_sb("text-embedding-3-small"),
                              sdk::to_sb("text-embedding-3-large"),
                              sdk::to_sb("text-embedding-ada-002")};

}  // namespace

// OpenAI takes up to 2048 inputs per request, token arrays as well as text,
// and shortens text-embedding-3 vectors to "dimensions".
sdk::EmbeddingsInfo Embeddings::info() {
    return {kModels, std::size(kModels), "text-embedding-3-small", 2048,
            SB_EMBED_TOKEN_INPUT | SB_EMBED_DIMENSIONS};
}

}  // namespace switchboard::openai
