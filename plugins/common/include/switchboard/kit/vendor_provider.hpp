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

// The descriptor's facts by name (sb_provider_descriptor is positional),
// with a cloud vendor's capabilities by default. credential_header and
// credential_prefix say where the host writes the key (ABI v1.4: the plugin
// is then never given it), e.g. "authorization" and "Bearer ".
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
    std::string_view credential_header{};
    std::string_view credential_prefix{};
};

// The descriptor for facts and the plugin's static list of chat model ids.
constexpr sb_provider_descriptor describe(const DescriptorFacts &f, std::span<const sb_str> models = {}) {
    sdk::DescriptorFields fields;
    fields.id = f.id;
    fields.display_name = f.display_name;
    fields.plugin_version = f.plugin_version;
    fields.default_model = f.default_model;
    fields.default_api_base = f.default_api_base;
    fields.env_api_key = f.env_api_key;
    fields.env_model = f.env_model;
    fields.env_api_base = f.env_api_base;
    fields.capabilities = f.capabilities;
    fields.credential_header = f.credential_header;
    fields.credential_prefix = f.credential_prefix;
    return sdk::describe(fields, models.data(), models.size());
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
