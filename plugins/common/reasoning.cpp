#include <switchboard/kit/reasoning.hpp>

#include <algorithm>
#include <string>

namespace switchboard::kit {

std::string_view reasoning_effort(const json::object &unified) {
    static constexpr std::string_view known[] = {"none", "minimal", "low", "medium", "high", "xhigh"};
    const json::value *v = unified.if_contains("reasoning_effort");
    if (!v || v->is_null()) return {};
    std::string_view effort = v->is_string() ? std::string_view(v->get_string()) : std::string_view();
    if (std::find(std::begin(known), std::end(known), effort) == std::end(known) || effort.empty())
        throw sdk::invalid_request("\"reasoning_effort\" must be none, minimal, low, medium, high or xhigh" +
                                   (v->is_string() ? ", not \"" + std::string(effort) + "\"" : std::string()));
    return effort;
}

}  // namespace switchboard::kit
