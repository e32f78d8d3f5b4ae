#pragma once
// The routes file (--config FILE): model aliases, each a weighted list of
// deployments (a provider, a model, optionally its own API base and key)
// and the aliases or provider/model entries to fall back to; and the price
// table, kept raw for whoever prices requests. Parsed whole or refused
// whole: a file with one bad entry never half-applies.
//
//   {"models": {"ALIAS": {"deployments": [{"provider": "openai", "model": "gpt-5-mini",
//                                          "api_base": "https://.../v1",
//                                          "api_key_env": "OPENAI_KEY_2", "weight": 3,
//                                          "name": "east"}, ...],
//                         "fallbacks": ["OTHER_ALIAS", "provider/model"],
//                         "cooldown_seconds": 30}},
//    "prices": {...},
//    "plugins": {"switchboard-openai.so": {"isolation": "process"}}}
//
// "plugins" says, per plugin file name, where the plugin runs ("process":
// a helper process; "in-process": inside the daemon), over
// --plugin-isolation. See docs/routing.md.
//
// A deployment's key is read from its api_key_env variable at load and is
// bound to the deployment's api_base: a key ref without an api_base is
// refused, so a runtime change of the provider's base can never carry it
// elsewhere. See docs/routing.md.
#include "core/plugin/plugin_isolation.hpp"

#include <boost/json/object.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

class Environment;
struct ApiBasePolicy;

struct Deployment {
    std::string provider;
    std::string model;
    std::string api_base;     // empty: the provider's own (runtime, env or default)
    std::string api_key_env;  // the variable named in the file (empty: none)
    std::string api_key;      // its value at load; never logged nor shown
    unsigned weight = 1;
    // What the response header and the access log call it: the file's
    // "name", or provider/model@index. Never a key or a URL.
    std::string label;
};

// How long a deployment rests after a 429 or 5xx when the vendor gave no
// Retry-After, unless the alias says otherwise; and the longest rest a
// Retry-After can ask for.
inline constexpr std::chrono::seconds kDefaultCooldown{30};
inline constexpr std::chrono::seconds kMaxCooldown{600};

struct ModelAlias {
    std::string name;
    std::vector<Deployment> deployments;
    std::vector<std::string> fallbacks;  // aliases of this file or "provider/model"
    std::chrono::milliseconds cooldown = kDefaultCooldown;
};

class RoutesFile {
public:
    // The alias of that name, or nullptr.
    const ModelAlias *find(std::string_view alias) const;
    const std::map<std::string, ModelAlias, std::less<>> &models() const noexcept {
        return models_;
    }
    // The file's top-level "prices" object as written (empty when absent).
    const boost::json::object &prices() const noexcept { return prices_; }
    // The file's "plugins": plugin file name to isolation mode.
    const PluginModes &plugin_modes() const noexcept { return plugin_modes_; }

private:
    friend RoutesFile parse_routes_file(std::string_view, const Environment &,
                                        const ApiBasePolicy &);
    std::map<std::string, ModelAlias, std::less<>> models_;
    boost::json::object prices_;
    PluginModes plugin_modes_;
};

// Parses and checks a routes file; throws std::runtime_error naming the
// place ("models.fast.deployments[1].weight: ...") and what is wrong. Keys
// are read from env; api bases are judged by policy.
RoutesFile parse_routes_file(std::string_view text, const Environment &env,
                             const ApiBasePolicy &policy);

// Only the "plugins" of a routes file's text (read before the plugins are
// loaded, which happens before the rest of the file is); throws as
// parse_routes_file does.
PluginModes parse_plugin_modes(std::string_view text);

}  // namespace sb::core
