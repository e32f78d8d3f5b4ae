// Which Claude model can think how, and the thinking a request asks for.
// Claude 3.7 to 4.5 think with a fixed token budget; 4.6 and later decide
// for themselves ("adaptive") and take an effort level; 4.7 and later refuse
// a budget. reasoning_effort is mapped to whichever the model takes.
#include "anthropic.hpp"

#include <switchboard/kit/reasoning.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

namespace switchboard::anthropic {

namespace {

using kit::get_string;

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t budget_for(std::string_view effort) {
    if (effort == "minimal") return 1024;
    if (effort == "low") return 2048;
    if (effort == "medium") return 8192;
    if (effort == "high") return 16384;
    return 32768;  // xhigh, max
}

}  // namespace

ModelTraits model_traits(std::string_view model) {
    // Version numbers are the short numeric pieces of the id; an 8-digit
    // piece is a snapshot date.
    std::vector<int> version;
    bool opus = false;
    size_t start = 0;
    while (start <= model.size()) {
        size_t end = model.find_first_of("-.@/:", start);
        if (end == std::string_view::npos) end = model.size();
        std::string_view piece = model.substr(start, end - start);
        if (all_digits(piece) && piece.size() <= 2) version.push_back(std::stoi(std::string(piece)));
        if (piece == "opus") opus = true;
        start = end + 1;
    }
    ModelTraits t;
    if (version.empty()) {
        // No version in the id (an alias we do not know): treat it as current.
        t.major = 99;
    } else {
        t.major = version[0];
        t.minor = version.size() > 1 ? version[1] : 0;
    }
    const int v = t.major * 100 + t.minor;
    t.budget_thinking = v >= 307 && v < 407;
    t.adaptive_thinking = v >= 406;
    t.structured_outputs = v >= 405 || (opus && v == 401);
    return t;
}

bool apply_thinking(const json::object &unified, const ModelTraits &traits, bool max_tokens_given,
                    int64_t &max_tokens, json::object &out) {
    // Anthropic's own field, passed as the client wrote it.
    if (const json::value *t = unified.if_contains("thinking"); t && !t->is_null()) {
        const json::object *o = t->if_object();
        if (!o || get_string(*o, "type").empty())
            throw sdk::invalid_request("\"thinking\" must be an " + std::string(kDisplayName) + " thinking object, e.g. "
                                       "{\"type\":\"enabled\",\"budget_tokens\":2048} or "
                                       "{\"type\":\"adaptive\"}");
        out["thinking"] = *o;
        if (get_string(*o, "type") != "enabled") return get_string(*o, "type") == "adaptive";
        int64_t budget = kit::json_count(o->if_contains("budget_tokens"), 0);
        if (!max_tokens_given && max_tokens <= budget) max_tokens = budget + kDefaultMaxTokens;
        return true;
    }
    const std::string_view effort = kit::reasoning_effort(unified);
    if (effort.empty()) return false;
    if (effort == "none") return false;

    if (traits.adaptive_thinking) {
        out["thinking"] = json::object{{"type", "adaptive"}};
        std::string_view level = effort == "minimal" ? std::string_view("low") : effort;
        // Opus/Sonnet 4.6 top out at "max"; "xhigh" exists from 4.7 on.
        if (effort == "xhigh" && traits.major == 4 && traits.minor == 6) level = "max";
        json::object &oc = out["output_config"].emplace_object();
        oc["effort"] = level;
        return true;
    }
    if (!traits.budget_thinking) return false;  // Claude 3.x before 3.7 cannot think
    int64_t budget = budget_for(effort);
    if (!max_tokens_given) {
        max_tokens = std::max(max_tokens, budget + kDefaultMaxTokens);
    } else if (max_tokens <= budget) {
        // The budget counts inside max_tokens and must leave room for the answer.
        budget = max_tokens / 2;
        if (budget < 1024)
            throw sdk::invalid_request(
                "max_tokens " + std::to_string(max_tokens) +
                " is too small for reasoning_effort on " + std::string(kDisplayName) + ": thinking needs a budget of at "
                "least 1024 tokens below max_tokens (use max_tokens >= 2048 or leave it out)");
    }
    out["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", budget}};
    return true;
}

}  // namespace switchboard::anthropic
