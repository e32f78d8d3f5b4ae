// What every in-tree plugin shares around its translation: the descriptor's
// facts, written once per plugin, and the vendor's model lifecycle notices
// answered from Provider::extension().
#ifndef SWITCHBOARD_KIT_VENDOR_PROVIDER_HPP
#define SWITCHBOARD_KIT_VENDOR_PROVIDER_HPP

#include <switchboard/kit/model_lifecycle.hpp>
#include <switchboard/provider.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace switchboard::kit {

// What a cloud vendor's plugin offers: streaming, tools, images, a model
// list, and it needs an API key.
inline constexpr std::uint64_t kVendorCapabilities = SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION |
                                                     SB_CAP_MODEL_LISTING | SB_CAP_REQUIRES_API_KEY;

// The descriptor's facts by name (sb_provider_descriptor is positional).
struct DescriptorFacts {
    std::string_view id{};
    std::string_view display_name{};
    std::string_view default_model{};
    std::string_view default_api_base{};
    std::string_view env_api_key{};
    std::string_view env_model{};
    std::string_view env_api_base{};
    std::uint64_t capabilities = kVendorCapabilities;
    std::string_view plugin_version = "1.0.0";
};

// The descriptor for facts and the plugin's static list of chat model ids.
constexpr sb_provider_descriptor describe(const DescriptorFacts &f, std::span<const sb_str> models = {}) {
    using sdk::to_sb;
    return {sizeof(sb_provider_descriptor),
            to_sb(f.id),
            to_sb(f.display_name),
            to_sb(f.plugin_version),
            to_sb(f.default_model),
            to_sb(f.default_api_base),
            to_sb(f.env_api_key),
            to_sb(f.env_model),
            to_sb(f.env_api_base),
            f.capabilities,
            SB_FRAMING_SSE,
            models.empty() ? nullptr : models.data(),
            models.size()};
}

// A vendor plugin's Provider: answers sb.model_lifecycle/1 with the vendor's
// notices (none when built without).
class VendorProvider : public sdk::Provider {
public:
    VendorProvider() = default;
    template <std::size_t N>
    explicit VendorProvider(const sb_model_lifecycle_entry (&notices)[N]) : lifecycle_(lifecycle_table(notices)) {}

    const void *extension(const char *id) override {
        return lifecycle_.entry_count ? lifecycle_extension(id, lifecycle_) : nullptr;
    }

private:
    sb_model_lifecycle lifecycle_{sizeof(sb_model_lifecycle), nullptr, 0, sizeof(sb_model_lifecycle_entry)};
};

// What a vendor plugin with embeddings answers from Provider::extension():
// E's sb.embeddings/1 table (sdk::embeddings_extension), else what
// VendorProvider answers (the lifecycle notices).
template <class E>
const void *with_embeddings(VendorProvider &provider, const char *id) {
    if (const void *table = sdk::embeddings_extension<E>(id)) return table;
    return provider.VendorProvider::extension(id);
}

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_VENDOR_PROVIDER_HPP
