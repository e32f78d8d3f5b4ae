#include "openai.hpp"

#include <cstring>

SWITCHBOARD_EXPORT_PROVIDER(switchboard::openai::Provider)

const void *switchboard::openai::Provider::extension(const char *id) {
    if (std::strcmp(id, SB_EXT_NATIVE) == 0) return native_table();
    return switchboard::kit::with_embeddings<Embeddings>(*this, id);
}
