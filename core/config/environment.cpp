#include "core/config/environment.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

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

bool is_secret_variable(std::string_view name) {
    static constexpr std::array<std::string_view, 5> kDaemonSecrets{
        "SWITCHBOARD_SECRET_KEY", "SWITCHBOARD_REDIS_URL", "SWITCHBOARD_ADMIN_TOKEN",
        "SWITCHBOARD_CLIENT_KEYS", "SWITCHBOARD_METRICS_TOKEN"};
    constexpr std::string_view suffix = "_API_KEY";
    if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix)
        return true;
    return std::find(kDaemonSecrets.begin(), kDaemonSecrets.end(), name) != kDaemonSecrets.end();
}

std::vector<std::string> remove_secrets_from_process(const std::vector<std::string> &also) {
    // The entries first, then the changes: unsetenv moves environ's pointers.
    struct Entry {
        std::string name;
        char *text;  // "NAME=value", in the block the kernel shows or from setenv
    };
    std::vector<Entry> found;
    for (char **e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        std::string name(entry.substr(0, eq));
        if (is_secret_variable(name) || std::find(also.begin(), also.end(), name) != also.end())
            found.push_back(Entry{std::move(name), *e});
    }
    std::vector<std::string> removed;
    for (auto &entry : found) {
        // unsetenv drops the pointer but leaves the bytes where they are (it
        // never frees them): wipe the whole entry, name included.
        const std::size_t length = std::strlen(entry.text);
        ::unsetenv(entry.name.c_str());
        std::memset(entry.text, 0, length);
        if (std::find(removed.begin(), removed.end(), entry.name) == removed.end())
            removed.push_back(std::move(entry.name));
    }
    return removed;
}

}  // namespace sb::core
