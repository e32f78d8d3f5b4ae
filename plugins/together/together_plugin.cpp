#include "together.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::together::Provider)

const void *switchboard::together::Provider::extension(const char *id) {
    return switchboard::kit::with_embeddings<Embeddings>(*this, id);
}
