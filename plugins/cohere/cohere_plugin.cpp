#include "cohere.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::cohere::Provider)

const void *switchboard::cohere::Provider::extension(const char *id) {
    return switchboard::kit::with_embeddings<Embeddings>(*this, id);
}
