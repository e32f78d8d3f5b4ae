#include "core/config/environment.hpp"

extern char **environ;

namespace sb::core {

Environment Environment::capture() {
    std::map<std::string, std::string, std::less<>> vars;
    for (char **e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        vars.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return Environment(std::move(vars));
}

std::string Environment::get(std::string_view name) const {
    if (name.empty()) return {};
    auto it = vars_.find(name);
    return it == vars_.end() ? std::string() : it->second;
}

}  // namespace sb::core
