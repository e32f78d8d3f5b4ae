#include "openai.hpp"

#include <array>
#include <string>

namespace switchboard::openai {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "gpt-5", "gpt-5.2-pro", "gpt-6-mini": the major (5, 6) and minor (0, 2)
// version; major 0 when the name is not a gpt-N model.
struct GptVersion {
    int major = 0;
    int minor = 0;
};

GptVersion gpt_version(std::string_view m) {
    GptVersion v;
    if (!kit::starts_with(m, "gpt-")) return v;
    m.remove_prefix(4);
    while (!m.empty() && is_digit(m.front())) {
        v.major = v.major * 10 + (m.front() - '0');
        m.remove_prefix(1);
    }
    if (!m.empty() && m.front() == '.') {
        m.remove_prefix(1);
        while (!m.empty() && is_digit(m.front())) {
            v.minor = v.minor * 10 + (m.front() - '0');
            m.remove_prefix(1);
        }
    }
    return v;
}

// The model name without an "openai/" routing prefix, lower-cased.
std::string model_name(std::string_view model) {
    std::string m = kit::lower(model);
    if (kit::starts_with(m, "openai/")) m.erase(0, 7);
    return m;
}

// gpt-5.1 and later take temperature, top_p and logprobs when
// reasoning_effort is "none" (no reasoning at all).
bool samples_without_reasoning(std::string_view m) {
    GptVersion v = gpt_version(m);
    return v.major > 5 || (v.major == 5 && v.minor >= 1);
}

// A field reasoning models refuse, with the one value they accept (sent or
// not, it changes nothing, so it is dropped).
struct SamplingField {
    std::string_view name;
    double default_value;
};
constexpr std::array<SamplingField, 4> kSampling = {{
    {"temperature", 1.0},
    {"top_p", 1.0},
    {"presence_penalty", 0.0},
    {"frequency_penalty", 0.0},
}};

[[noreturn]] void refuse(std::string_view field, std::string_view model, std::string_view detail) {
    throw sdk::invalid_request("\"" + std::string(field) + "\" is not supported by the reasoning model \"" +
                               std::string(model) + "\"" + std::string(detail) +
                               ": remove it (reasoning_effort steers these models)");
}

bool empty_value(const json::value &v) {
    if (v.is_null()) return true;
    if (const json::array *a = v.if_array()) return a->empty();
    if (const json::object *o = v.if_object()) return o->empty();
    if (const json::string *s = v.if_string()) return s->empty();
    return false;
}

void apply_reasoning_rules(json::object &body, std::string_view model, std::string_view m) {
    std::string_view effort = kit::get_string(body, "reasoning_effort");
    if (effort == "none" && samples_without_reasoning(m)) return;
    for (const SamplingField &f : kSampling) {
        const json::value *v = body.if_contains(f.name);
        if (!v || v->is_null()) {
            body.erase(f.name);
            continue;
        }
        if (v->is_number() && v->to_number<double>() == f.default_value) {
            body.erase(f.name);
            continue;
        }
        refuse(f.name, model, " (only its default " + std::string(f.default_value == 0 ? "0" : "1") + " is)");
    }
    if (const json::value *v = body.if_contains("logprobs")) {
        if (v->is_bool() && v->get_bool()) refuse("logprobs", model, "");
        body.erase("logprobs");
    }
    if (const json::value *v = body.if_contains("top_logprobs")) {
        if (!v->is_null()) refuse("top_logprobs", model, "");
        body.erase("top_logprobs");
    }
    for (std::string_view f : {"logit_bias", "stop"}) {
        const json::value *v = body.if_contains(f);
        if (!v) continue;
        if (!empty_value(*v)) refuse(f, model, "");
        body.erase(f);
    }
}

}  // namespace

bool is_reasoning_model(std::string_view model) {
    std::string m = model_name(model);
    if (m.size() >= 2 && m[0] == 'o' && is_digit(m[1])) return true;  // o1, o3-mini, o4-mini
    if (kit::starts_with(m, "codex-mini")) return true;
    GptVersion v = gpt_version(m);
    return v.major >= 5 && m.find("-chat") == std::string::npos;
}

void apply_model_rules(json::object &body, std::string_view model) {
    if (const json::value *mt = body.if_contains("max_tokens")) {
        const json::value *mct = body.if_contains("max_completion_tokens");
        if (!mt->is_null() && (!mct || mct->is_null())) {
            json::value limit = *mt;  // copied first: the insert may move the members
            body["max_completion_tokens"] = std::move(limit);
        }
        body.erase("max_tokens");
    }
    if (is_reasoning_model(model)) apply_reasoning_rules(body, model, model_name(model));
}

}  // namespace switchboard::openai
