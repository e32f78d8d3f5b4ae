#include "together.hpp"

#include <switchboard/kit/openai_normalize.hpp>

namespace switchboard::together {

namespace {

// ChatCompletionRequest properties of Together's spec passed through as is;
// everything else is mapped below or dropped.
constexpr std::string_view kPassThrough[] = {
    "model",          "max_tokens",         "temperature",
    "top_p",          "top_k",              "context_length_exceeded_behavior",
    "repetition_penalty", "echo",           "n",
    "min_p",          "presence_penalty",   "frequency_penalty",
    "logit_bias",     "seed",               "function_call",
    "response_format", "compliance",        "chat_template_kwargs",
    "safety_model",   "reasoning_effort",   "reasoning",
};

json::value text_or_null(const json::value *content) {
    if (!content || content->is_null()) return nullptr;
    return json::string(kit::content_text(*content));
}

json::object user_part(const json::object &part) {
    std::string_view type = kit::get_string(part, "type");
    if (type == "text") return {{"type", "text"}, {"text", kit::get_string(part, "text")}};
    if (type == "image_url") {
        // Together's image part has only "url" ("detail" is OpenAI's).
        const json::value *iu = part.if_contains("image_url");
        std::string_view url = iu && iu->is_string() ? std::string_view(iu->get_string())
                               : iu && iu->is_object() ? kit::get_string(iu->get_object(), "url")
                                                       : std::string_view();
        return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
    }
    return part;  // video_url, audio_url, input_audio: Together takes OpenAI's shapes
}

json::object translate_message(const json::object &m) {
    std::string_view role = kit::get_string(m, "role");
    json::object out;
    const json::value *content = m.if_contains("content");
    if (role == "system" || role == "developer") {
        out["role"] = "system";
        out["content"] = content ? kit::content_text(*content) : std::string();
    } else if (role == "user") {
        out["role"] = "user";
        if (content && content->is_array()) {
            json::array parts;
            for (const json::value &p : content->get_array())
                if (const json::object *po = p.if_object()) parts.push_back(user_part(*po));
            out["content"] = std::move(parts);
        } else {
            out["content"] = content && content->is_string() ? *content : json::value(json::string());
        }
    } else if (role == "assistant") {
        out["role"] = "assistant";
        out["content"] = text_or_null(content);
        if (const json::array *calls = kit::get_array(m, "tool_calls"); calls && !calls->empty()) {
            json::array tc;
            int64_t i = 0;
            for (const json::value &c : *calls) {
                const json::object *co = c.if_object();
                if (!co) continue;
                const json::object *fn = kit::get_object(*co, "function");
                json::object f{{"name", fn ? kit::get_string(*fn, "name") : std::string_view()}};
                const json::value *args = fn ? fn->if_contains("arguments") : nullptr;
                f["arguments"] = args && args->is_string() ? *args
                                 : args && !args->is_null() ? json::value(json::string(json::serialize(*args)))
                                                            : json::value(json::string("{}"));
                tc.push_back(json::object{{"index", i++},
                                          {"id", kit::get_string(*co, "id")},
                                          {"type", "function"},
                                          {"function", std::move(f)}});
            }
            out["tool_calls"] = std::move(tc);
        }
        if (const json::value *fc = m.if_contains("function_call"); fc && fc->is_object()) out["function_call"] = *fc;
    } else if (role == "tool") {
        out["role"] = "tool";
        out["content"] = content ? kit::content_text(*content) : std::string();
        out["tool_call_id"] = kit::get_string(m, "tool_call_id");
    } else if (role == "function") {
        out["role"] = "function";
        out["content"] = content ? kit::content_text(*content) : std::string();
    } else {
        throw sdk::invalid_request(std::string(kDisplayName) + " does not accept messages with role \"" + std::string(role) + "\"");
    }
    if (std::string_view name = kit::get_string(m, "name"); !name.empty()) out["name"] = name;
    return out;
}

}  // namespace

json::object translate_request(const json::object &in) {
    return kit::rebuild_request(in, kPassThrough, [&in](std::string_view k, const json::value &v, json::object &out) {
        if (k == "messages") {
            json::array msgs;
            for (const json::value &m : v.as_array()) msgs.push_back(translate_message(m.as_object()));
            out["messages"] = std::move(msgs);
        } else if (k == "stop") {
            out["stop"] = v.is_string() ? json::value(json::array{v}) : v;
        } else if (k == "tools" && v.is_array()) {
            out["tools"] = kit::function_tools(v, kDisplayName, false);
        } else if (k == "tool_choice") {
            if (v.is_object()) {
                // Together's docs and SDK name a function as OpenAI does,
                // {"type":"function","function":{"name"}}; its OpenAPI schema
                // describes a whole tool call instead, which the SDK never sends.
                const json::object *fn = kit::get_object(v.get_object(), "function");
                std::string_view name = fn ? kit::get_string(*fn, "name") : std::string_view();
                if (name.empty()) throw sdk::invalid_request("tool_choice needs function.name");
                out["tool_choice"] = json::object{{"type", "function"}, {"function", {{"name", name}}}};
            } else {
                out["tool_choice"] = v;
            }
        } else if (k == "logprobs") {
            // OpenAI: boolean + top_logprobs; Together: the top-k count itself.
            if (v.is_bool() && v.get_bool()) {
                std::int64_t top = kit::get_int(in, "top_logprobs");
                out["logprobs"] = top > 0 ? top : 1;
            } else if (v.is_int64()) {
                out["logprobs"] = v;
            }
        }
    });
}

}  // namespace switchboard::together
