#include "core/config/config_resolver.hpp"

namespace sb::core {

std::string_view value_source_name(ValueSource source) noexcept {
    switch (source) {
        case ValueSource::runtime: return "runtime";
        case ValueSource::env: return "env";
        case ValueSource::plugin_default: return "default";
        case ValueSource::none: return "none";
    }
    return "none";
}

namespace {

ResolvedValue pick(std::string_view runtime, std::string env, std::string_view fallback) {
    if (!runtime.empty()) return {std::string(runtime), ValueSource::runtime};
    if (!env.empty()) return {std::move(env), ValueSource::env};
    if (!fallback.empty()) return {std::string(fallback), ValueSource::plugin_default};
    return {};
}

std::string trim_trailing_slashes(std::string s) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

}  // namespace

ResolvedProviderConfig resolve_provider_config(const ProviderInfo &info, const StoredConfig &stored,
                                               const Environment &env) {
    static const ProviderSettings kNoSettings;
    auto it = stored.providers.find(info.id);
    const ProviderSettings &runtime = it == stored.providers.end() ? kNoSettings : it->second;

    ResolvedProviderConfig out;
    out.provider = info.id;
    out.model = pick(runtime.model, env.get(info.env_model), info.default_model);
    ResolvedValue operator_base = pick({}, env.get(info.env_api_base), info.default_api_base);
    out.api_base = runtime.api_base.empty() ? operator_base : ResolvedValue{runtime.api_base, ValueSource::runtime};
    out.api_base.value = trim_trailing_slashes(out.api_base.value);

    // The key travels only to the base it belongs to.
    if (!runtime.api_key.empty()) {
        if (trim_trailing_slashes(runtime.api_key_base) == out.api_base.value)
            out.api_key = {runtime.api_key, ValueSource::runtime};
        else
            out.key_bound_to = trim_trailing_slashes(runtime.api_key_base);
    } else {
        std::string env_key = env.get(info.env_api_key);
        if (!env_key.empty() && trim_trailing_slashes(operator_base.value) == out.api_base.value)
            out.api_key = {std::move(env_key), ValueSource::env};
        else if (!env_key.empty())
            out.key_bound_to = trim_trailing_slashes(operator_base.value);
    }
    return out;
}

std::optional<std::string> missing_configuration(const ProviderInfo &info,
                                                 const ResolvedProviderConfig &config) {
    auto how = [&](std::string_view var, std::string_view field) {
        std::string s = " (set ";
        if (!var.empty()) s += std::string(var) + " or ";
        s += "POST /api/backdoor/llm/config with " + std::string(field) + ")";
        return s;
    };
    if (config.api_base.value.empty())
        return "provider '" + info.id + "' has no API base" + how(info.env_api_base, "api_base");
    if (config.model.value.empty())
        return "provider '" + info.id + "' has no model" + how(info.env_model, "model");
    if (info.has(SB_CAP_REQUIRES_API_KEY) && config.api_key.value.empty() && !config.key_bound_to.empty())
        return "provider '" + info.id + "' has an API key, but it belongs to " + config.key_bound_to +
               " and the API base is now " + config.api_base.value +
               ": a key is never sent to another base than its own; give the key again for this base" +
               how({}, "api_key (and api_base)");
    if (info.has(SB_CAP_REQUIRES_API_KEY) && config.api_key.value.empty())
        return "provider '" + info.id + "' has no API key" + how(info.env_api_key, "api_key");
    return std::nullopt;
}

std::string resolve_active_provider(const ProviderSet &providers, const StoredConfig &stored,
                                    const Environment &env) {
    if (!stored.active_provider.empty() && providers.find(stored.active_provider))
        return stored.active_provider;
    std::string from_env = env.get("LLM_PROVIDER");
    if (!from_env.empty() && providers.find(from_env)) return from_env;
    for (const auto &p : providers.providers)
        if (!missing_configuration(p->info(), resolve_provider_config(p->info(), stored, env)))
            return p->id();
    return providers.providers.empty() ? std::string() : providers.providers.front()->id();
}

std::string mask_api_key(std::string_view key) {
    if (key.size() >= 12) return "..." + std::string(key.substr(key.size() - 4));
    return "****";
}

void apply_config_change(const ProviderInfo &info, StoredConfig &stored, const Environment &env,
                         const ConfigOverrides &change) {
    const std::string old_base = resolve_provider_config(info, stored, env).api_base.value;
    ProviderSettings &s = stored.providers[info.id];
    if (change.model) s.model = *change.model;
    if (change.api_base) s.api_base = *change.api_base;
    const std::string new_base = resolve_provider_config(info, stored, env).api_base.value;
    if (change.api_key) {
        s.api_key = *change.api_key;
        s.api_key_base = s.api_key.empty() ? std::string() : new_base;
    } else if (new_base != old_base) {
        s.api_key.clear();
        s.api_key_base.clear();
    }
}

}  // namespace sb::core
