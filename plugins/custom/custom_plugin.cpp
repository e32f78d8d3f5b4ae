#include "custom.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::custom::Provider)

const void *switchboard::custom::Provider::extension(const char *id) {
    return switchboard::kit::with_embeddings<Embeddings>(*this, id);
}
