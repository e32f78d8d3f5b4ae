#pragma once
// Precedence: runtime config over environment over plugin defaults. A key is
// only used with the API base it belongs to: a runtime key with the base it
// was set for, an env key with the env/default base.
#include "core/config/config_store.hpp"
#include "core/config/environment.hpp"
#include "core/plugin/provider.hpp"
#include "core/plugin/provider_registry.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace sb::core {

enum class ValueSource { runtime, env, plugin_default, none };
std::string_view value_source_name(ValueSource source) noexcept;

struct ResolvedValue {
    std::string value;
    ValueSource source = ValueSource::none;
};

struct ResolvedProviderConfig {
    std::string provider;
    ResolvedValue api_key;
    ResolvedValue api_base;
    ResolvedValue model;
    // A key is set (runtime or environment) but bound to another base than
    // api_base, so it is not sent: that base, to say why there is no key.
    std::string key_bound_to;

    EffectiveConfig effective() const { return {api_key.value, api_base.value, model.value}; }
};

ResolvedProviderConfig resolve_provider_config(const ProviderInfo &info, const StoredConfig &stored,
                                               const Environment &env);

// Runtime active > LLM_PROVIDER > first configured > first loaded. Empty when
// no provider is loaded.
// New values for a provider's settings: a POST /config body (stored), or a
// /test body (applied to a copy for one call). Absent fields stay as they are.
struct ConfigOverrides {
    std::optional<std::string> api_key;
    std::optional<std::string> api_base;
    std::optional<std::string> model;
};

// Applies change to the provider's runtime settings in stored, with the one
// rule of keys and bases: a key given is bound to the base in effect after
// the change, and a base that changes without a new key drops the stored
// key, so a key never follows a changed base to another host.
void apply_config_change(const ProviderInfo &info, StoredConfig &stored, const Environment &env,
                         const ConfigOverrides &change);

std::string resolve_active_provider(const ProviderSet &providers, const StoredConfig &stored,
                                    const Environment &env);

// Why the provider cannot serve with this config, or nullopt when it can.
std::optional<std::string> missing_configuration(const ProviderInfo &info,
                                                 const ResolvedProviderConfig &config);

// "...abcd" for keys of 12+ characters, "****" for shorter ones.
std::string mask_api_key(std::string_view key);

}  // namespace sb::core
