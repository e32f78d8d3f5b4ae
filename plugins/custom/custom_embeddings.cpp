#include "custom.hpp"

namespace switchboard::custom {

// Whatever the server takes: the host passes token arrays and "dimensions"
// on and the server answers for itself. No model or batch limit is known.
sdk::EmbeddingsInfo Embeddings::info() {
    return {nullptr, 0, {}, 0, SB_EMBED_TOKEN_INPUT | SB_EMBED_DIMENSIONS};
}

}  // namespace switchboard::custom
