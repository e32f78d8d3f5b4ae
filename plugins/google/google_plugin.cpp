#include "google.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::google::Provider)

const void *switchboard::google::Provider::extension(const char *id) {
    return switchboard::kit::with_embeddings<Embeddings>(*this, id);
}
