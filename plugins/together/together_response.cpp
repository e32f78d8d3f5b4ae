// Together's answers are normalized by the kit; what is its own is the
// model list.
#include "together.hpp"

namespace switchboard::together {

// GET /models answers a bare array of every model Together hosts (chat,
// image, embedding, ...); only chat models can serve this API.
std::optional<sdk::ModelEntry> Provider::model_entry(const json::object &model) const {
    std::string_view id = kit::get_string(model, "id");
    std::string_view type = kit::get_string(model, "type", "chat");
    if (id.empty() || type != "chat") return std::nullopt;
    return sdk::ModelEntry{std::string(id), std::string(kit::get_string(model, "display_name"))};
}

}  // namespace switchboard::together
