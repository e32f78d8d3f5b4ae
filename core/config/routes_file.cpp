#include "core/config/routes_file.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <initializer_list>
#include <stdexcept>

#include "core/config/api_base_policy.hpp"
#include "core/config/environment.hpp"

namespace sb::core {

namespace json = boost::json;

const ModelAlias *RoutesFile::find(std::string_view alias) const {
    auto it = models_.find(alias);
    return it == models_.end() ? nullptr : &it->second;
}

namespace {

[[noreturn]] void refuse(const std::string &where, const std::string &what) {
    throw std::runtime_error(where + ": " + what);
}

// A typo in a field name must not pass for an absent optional field.
void only_fields(const json::object &o, const std::string &where,
                 std::initializer_list<std::string_view> known) {
    for (const auto &[key, value] : o) {
        if (std::find(known.begin(), known.end(), std::string_view(key)) != known.end()) continue;
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        refuse(where, "unknown field '" + std::string(key) + "' (known: " + list + ")");
    }
}

const json::object &object_at(const json::value &v, const std::string &where) {
    if (!v.is_object()) refuse(where, "must be an object");
    return v.get_object();
}

// The string field, empty when absent; refuses another type or an empty
// string when required.
std::string string_field(const json::object &o, std::string_view key, const std::string &where,
                         bool required) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) {
        if (required) refuse(where, "'" + std::string(key) + "' is required");
        return {};
    }
    if (!it->value().is_string()) refuse(where + "." + std::string(key), "must be a string");
    std::string value(it->value().get_string());
    if (required && value.empty()) refuse(where + "." + std::string(key), "must not be empty");
    return value;
}

// A positive whole number no larger than max, or fallback when absent.
long long whole_number(const json::object &o, std::string_view key, const std::string &where,
                       long long fallback, long long max) {
    auto it = o.find(key);
    if (it == o.end()) return fallback;
    const json::value &v = it->value();
    const std::string at = where + "." + std::string(key);
    double n = v.is_int64()    ? double(v.get_int64())
               : v.is_uint64() ? double(v.get_uint64())
               : v.is_double() ? v.get_double()
                               : -1;
    if (!(v.is_number()) || n < 1 || n > double(max) || std::floor(n) != n)
        refuse(at, "must be a whole number from 1 to " + std::to_string(max));
    return static_cast<long long>(n);
}

// Header-safe: the label goes out in x-switchboard-deployment.
bool plain_label(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
               c == ':' || c == '@' || c == '/';
    });
}

Deployment parse_deployment(const json::value &value, const std::string &where, std::size_t index,
                            const Environment &env, const ApiBasePolicy &policy) {
    const json::object &o = object_at(value, where);
    only_fields(o, where, {"provider", "model", "api_base", "api_key_env", "weight", "name"});
    Deployment d;
    d.provider = string_field(o, "provider", where, true);
    d.model = string_field(o, "model", where, true);
    d.api_base = string_field(o, "api_base", where, false);
    while (d.api_base.size() > 1 && d.api_base.back() == '/') d.api_base.pop_back();
    if (!d.api_base.empty()) {
        if (auto refused = policy.refusal(d.api_base)) refuse(where + ".api_base", *refused);
    }
    d.api_key_env = string_field(o, "api_key_env", where, false);
    if (!d.api_key_env.empty()) {
        if (d.api_base.empty())
            refuse(
                where,
                "'api_key_env' needs 'api_base' beside it: a deployment's key is only ever sent to "
                "the base named with it");
        d.api_key = env.get(d.api_key_env);
        if (d.api_key.empty())
            refuse(where + ".api_key_env", "the variable " + d.api_key_env + " is not set");
    }
    d.weight = static_cast<unsigned>(whole_number(o, "weight", where, 1, 1'000'000));
    std::string name = string_field(o, "name", where, false);
    if (!name.empty() && !plain_label(name))
        refuse(where + ".name", "must be 1-64 letters, digits or -_.:@/");
    d.label = name.empty() ? d.provider + "/" + d.model + "@" + std::to_string(index) : name;
    return d;
}

ModelAlias parse_alias(std::string_view name, const json::value &value, const Environment &env,
                       const ApiBasePolicy &policy) {
    const std::string where = "models." + std::string(name);
    const json::object &o = object_at(value, where);
    only_fields(o, where, {"deployments", "fallbacks", "cooldown_seconds"});
    ModelAlias alias;
    alias.name = std::string(name);
    auto deployments = o.find("deployments");
    if (deployments == o.end() || !deployments->value().is_array() ||
        deployments->value().get_array().empty())
        refuse(where + ".deployments", "must be a non-empty array");
    const json::array &list = deployments->value().get_array();
    for (std::size_t i = 0; i < list.size(); ++i)
        alias.deployments.push_back(parse_deployment(
            list[i], where + ".deployments[" + std::to_string(i) + "]", i, env, policy));
    if (auto fallbacks = o.find("fallbacks"); fallbacks != o.end()) {
        if (!fallbacks->value().is_array())
            refuse(where + ".fallbacks", "must be an array of strings");
        for (const auto &entry : fallbacks->value().get_array()) {
            if (!entry.is_string() || entry.get_string().empty())
                refuse(where + ".fallbacks", "must be an array of non-empty strings");
            alias.fallbacks.emplace_back(entry.get_string());
        }
    }
    alias.cooldown = std::chrono::seconds(
        whole_number(o, "cooldown_seconds", where, kDefaultCooldown.count(), kMaxCooldown.count()));
    return alias;
}

PluginModes parse_plugins(const json::value &value) {
    PluginModes modes;
    for (const auto &[file, entry] : object_at(value, "plugins")) {
        const std::string where = "plugins." + std::string(file);
        if (file.empty() || std::string_view(file.data(), file.size()).find('/') != std::string_view::npos)
            refuse(where, "must be a plugin file name as in the plugins directory, e.g. switchboard-openai.so");
        const json::object &o = object_at(entry, where);
        only_fields(o, where, {"isolation"});
        const std::string name = string_field(o, "isolation", where, true);
        auto mode = isolation_from_name(name);
        if (!mode) refuse(where + ".isolation", "must be \"process\" or \"in-process\"");
        modes.emplace(std::string(file), *mode);
    }
    return modes;
}

const json::object &root_of(const json::value &doc) {
    const json::object &root = object_at(doc, "the file");
    for (const auto &[key, value] : root)
        if (key != "models" && key != "prices" && key != "plugins")
            refuse("the file",
                   "unknown top-level key '" + std::string(key) + "' (known: models, prices, plugins)");
    return root;
}

json::value parse_json(std::string_view text) {
    json::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec) throw std::runtime_error("invalid JSON: " + ec.message());
    return doc;
}

}  // namespace

PluginModes parse_plugin_modes(std::string_view text) {
    const json::value doc = parse_json(text);
    const json::object &root = root_of(doc);
    auto plugins = root.find("plugins");
    return plugins == root.end() ? PluginModes{} : parse_plugins(plugins->value());
}

RoutesFile parse_routes_file(std::string_view text, const Environment &env,
                             const ApiBasePolicy &policy) {
    const json::value doc = parse_json(text);
    const json::object &root = root_of(doc);
    RoutesFile routes;
    if (auto models = root.find("models"); models != root.end())
        for (const auto &[name, value] : object_at(models->value(), "models")) {
            if (name.empty()) refuse("models", "an alias name must not be empty");
            routes.models_.emplace(std::string(name), parse_alias(name, value, env, policy));
        }
    if (auto prices = root.find("prices"); prices != root.end())
        routes.prices_ = object_at(prices->value(), "prices");
    if (auto plugins = root.find("plugins"); plugins != root.end())
        routes.plugin_modes_ = parse_plugins(plugins->value());
    // Fallbacks name what this file defines, or a provider's model.
    for (const auto &[name, alias] : routes.models_)
        for (const auto &entry : alias.fallbacks) {
            if (entry == name)
                refuse("models." + name + ".fallbacks", "an alias cannot fall back to itself");
            if (!routes.find(entry) && entry.find('/') == std::string::npos)
                refuse("models." + name + ".fallbacks",
                       "'" + entry + "' is neither an alias of this file nor provider/model");
        }
    return routes;
}

}  // namespace sb::core
