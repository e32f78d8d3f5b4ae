#include "openai.hpp"

SWITCHBOARD_EXPORT_PROVIDER(switchboard::openai::Provider)

const void *switchboard::openai::Provider::extension(const char *id) {
    return switchboard::kit::with_embeddings<Embeddings>(*this, id);
}
