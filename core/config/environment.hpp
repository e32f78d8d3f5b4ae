#pragma once
// A snapshot of the process environment taken at start-up.
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>

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

}  // namespace sb::core
