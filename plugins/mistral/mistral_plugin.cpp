#include "mistral.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::mistral::Provider)

const void *switchboard::mistral::Provider::extension(const char *id) {
    return switchboard::kit::with_embeddings<Embeddings>(*this, id);
}
