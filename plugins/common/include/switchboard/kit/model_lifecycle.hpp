// What a plugin declares of the models its vendor deprecated or retired
// (extension sb.model_lifecycle/1): a static table of literals, handed to
// the host from Provider::extension().
#ifndef SWITCHBOARD_KIT_MODEL_LIFECYCLE_HPP
#define SWITCHBOARD_KIT_MODEL_LIFECYCLE_HPP

#include <switchboard/provider_abi.h>

#include <cstddef>
#include <cstring>
#include <string_view>

namespace switchboard::kit {

// One vendor notice: dates "YYYY-MM-DD" ("" when not announced), the
// vendor's recommended successor and the notice's URL.
constexpr sb_model_lifecycle_entry model_notice(std::string_view model, std::string_view deprecated_on,
                                                std::string_view retired_on, std::string_view successor,
                                                std::string_view source) {
    auto view = [](std::string_view s) { return sb_str{s.data(), s.size()}; };
    return {sizeof(sb_model_lifecycle_entry), view(model), view(deprecated_on), view(retired_on), view(successor),
            view(source)};
}

template <std::size_t N>
constexpr sb_model_lifecycle lifecycle_table(const sb_model_lifecycle_entry (&entries)[N]) {
    return {sizeof(sb_model_lifecycle), entries, N, sizeof(sb_model_lifecycle_entry)};
}

// For Provider::extension(): the table when the host asks for it.
inline const void *lifecycle_extension(const char *id, const sb_model_lifecycle &table) {
    return id && std::strcmp(id, SB_EXT_MODEL_LIFECYCLE) == 0 ? &table : nullptr;
}

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_MODEL_LIFECYCLE_HPP
