#pragma once
// A snapshot of the process environment taken at start-up, and the secrets
// taken out of the process environment once the snapshot holds them.
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::core {

class Environment {
public:
    static Environment capture();
    Environment() = default;
    explicit Environment(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}
    Environment(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}
    // The variable's value; empty when unset.
    std::string get(std::string_view name) const;

private:
    std::map<std::string, std::string, std::less<>> vars_;
};

// Whether the daemon takes the variable out of its environment at start: a
// name ending in _API_KEY (every provider's key), or one of the daemon's own
// secrets (SWITCHBOARD_SECRET_KEY, SWITCHBOARD_REDIS_URL, which may hold a
// password, SWITCHBOARD_ADMIN_TOKEN, SWITCHBOARD_CLIENT_KEYS,
// SWITCHBOARD_METRICS_TOKEN).
bool is_secret_variable(std::string_view name);

// Takes every secret variable (is_secret_variable) and every variable in
// also out of the process environment: each one's bytes are overwritten in
// place (so /proc/self/environ, which shows the environment the process
// started with, no longer holds them), then it is unset (so getenv finds
// nothing). Read them from an Environment captured before. Call it before
// any plugin is loaded and while no other thread runs (the environment is
// not thread-safe). Returns the names removed.
std::vector<std::string> remove_secrets_from_process(const std::vector<std::string> &also = {});

}  // namespace sb::core
