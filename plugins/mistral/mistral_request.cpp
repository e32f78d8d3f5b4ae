#include "mistral.hpp"

#include <switchboard/kit/openai_normalize.hpp>

#include <cstdint>
#include <map>

namespace switchboard::mistral {

namespace {

constexpr std::string_view kPassThrough[] = {
    "model",       "top_p",      "max_tokens",          "presence_penalty", "frequency_penalty", "n",
    "safe_prompt", "prediction", "parallel_tool_calls", "prompt_mode",      "prompt_cache_key",
};

bool is_mistral_tool_id(std::string_view id) {
    if (id.size() != 9) return false;
    for (char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

// Mistral rejects ids other than [a-zA-Z0-9]{9}; OpenAI ids ("call_...")
// are mapped by a stable hash so an assistant tool call and the tool result
// answering it still carry the same id.
std::string mistral_tool_id(std::string_view id) {
    if (is_mistral_tool_id(id)) return std::string(id);
    uint64_t h = 1469598103934665603ull;
    for (char c : id) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string out(9, '0');
    for (char &c : out) {
        c = kAlphabet[h % 62];
        h /= 62;
    }
    return out;
}

json::value content_part(const json::object &part) {
    std::string_view type = kit::get_string(part, "type");
    if (type == "text") return json::object{{"type", "text"}, {"text", kit::get_string(part, "text")}};
    if (type == "image_url") {
        const json::value *iu = part.if_contains("image_url");
        json::object img;
        if (iu && iu->is_string()) {
            img["url"] = iu->get_string();
        } else if (iu && iu->is_object()) {
            img["url"] = kit::get_string(iu->get_object(), "url");
            std::string_view detail = kit::get_string(iu->get_object(), "detail");
            if (detail == "low" || detail == "auto" || detail == "high") img["detail"] = detail;
        }
        return json::object{{"type", "image_url"}, {"image_url", std::move(img)}};
    }
    if (type == "input_audio") return part;  // same shape as Mistral's AudioChunk
    throw sdk::invalid_request(std::string(kDisplayName) + " does not accept content parts of type \"" + std::string(type) + "\"");
}

json::value content_of(const json::value *content, bool text_only) {
    if (!content || content->is_null()) return nullptr;
    if (content->is_string()) return *content;
    if (!content->is_array()) throw sdk::invalid_request("message content must be a string or an array of parts");
    if (text_only) return json::string(kit::content_text(*content));
    json::array parts;
    for (const json::value &p : content->get_array())
        if (const json::object *po = p.if_object()) parts.push_back(content_part(*po));
    return parts;
}

void translate_messages(const json::array &in, json::array &out) {
    // Tool results name their function on Mistral; OpenAI only links them by id.
    std::map<std::string, std::string> names;
    for (const json::value &mv : in) {
        const json::object *m = &mv.as_object();
        std::string_view role = kit::get_string(*m, "role");
        const json::value *content = m->if_contains("content");
        json::object msg;
        if (role == "system" || role == "developer") {
            msg["role"] = "system";
            json::value c = content_of(content, true);
            msg["content"] = c.is_null() ? json::value(json::string()) : c;
        } else if (role == "user") {
            msg["role"] = "user";
            msg["content"] = content_of(content, false);
        } else if (role == "assistant") {
            msg["role"] = "assistant";
            msg["content"] = content_of(content, false);
            if (const json::array *calls = kit::get_array(*m, "tool_calls"); calls && !calls->empty()) {
                json::array tc;
                for (const json::value &c : *calls) {
                    const json::object *co = c.if_object();
                    if (!co) continue;
                    const json::object *fn = kit::get_object(*co, "function");
                    std::string id = mistral_tool_id(kit::get_string(*co, "id"));
                    std::string name(fn ? kit::get_string(*fn, "name") : std::string_view());
                    names[std::string(kit::get_string(*co, "id"))] = name;
                    const json::value *args = fn ? fn->if_contains("arguments") : nullptr;
                    tc.push_back(json::object{
                        {"id", id},
                        {"type", "function"},
                        {"function",
                         {{"name", name},
                          {"arguments", args && (args->is_string() || args->is_object()) ? *args
                                                                                         : json::value("{}")}}}});
                }
                msg["tool_calls"] = std::move(tc);
            }
            if (const json::value *prefix = m->if_contains("prefix"); prefix && prefix->is_bool())
                msg["prefix"] = *prefix;
        } else if (role == "tool") {
            msg["role"] = "tool";
            msg["content"] = content_of(content, true);
            std::string_view id = kit::get_string(*m, "tool_call_id");
            msg["tool_call_id"] = mistral_tool_id(id);
            std::string_view name = kit::get_string(*m, "name");
            if (name.empty())
                if (auto it = names.find(std::string(id)); it != names.end()) name = it->second;
            if (!name.empty()) msg["name"] = name;
        } else {
            throw sdk::invalid_request(std::string(kDisplayName) + " does not accept messages with role \"" + std::string(role) + "\"");
        }
        out.push_back(std::move(msg));
    }
}

json::object translate_response_format(const json::object &rf) {
    std::string_view type = kit::get_string(rf, "type");
    json::object out{{"type", type}};
    if (type == "json_schema") {
        const json::object *js = kit::get_object(rf, "json_schema");
        if (!js) throw sdk::invalid_request("response_format json_schema needs a \"json_schema\" object");
        json::object s{{"name", kit::get_string(*js, "name")}};
        if (const json::value *d = js->if_contains("description"); d && d->is_string()) s["description"] = *d;
        const json::value *schema = js->if_contains("schema");
        s["schema"] = schema && schema->is_object() ? *schema : json::value(json::object());
        if (const json::value *st = js->if_contains("strict"); st && st->is_bool()) s["strict"] = *st;
        out["json_schema"] = std::move(s);
    } else if (type != "text" && type != "json_object") {
        throw sdk::invalid_request(std::string(kDisplayName) + " does not support response_format type \"" + std::string(type) + "\"");
    }
    return out;
}

}  // namespace

json::object translate_request(const json::object &in) {
    return kit::rebuild_request(in, kPassThrough, [](std::string_view k, const json::value &v, json::object &out) {
        if (k == "messages") {
            json::array msgs;
            translate_messages(v.as_array(), msgs);
            out["messages"] = std::move(msgs);
        } else if (k == "temperature" && v.is_number()) {
            // OpenAI allows up to 2; Mistral refuses anything above 1.5.
            double t = v.to_number<double>();
            out["temperature"] = t > 1.5 ? 1.5 : t < 0 ? 0.0 : t;
        } else if (k == "stop") {
            out["stop"] = v;
        } else if (k == "seed" || k == "random_seed") {
            out["random_seed"] = v;
        } else if (k == "tools" && v.is_array()) {
            out["tools"] = kit::function_tools(v, kDisplayName, true);
        } else if (k == "tool_choice") {
            if (v.is_string()) {
                out["tool_choice"] = v.get_string() == "required" ? json::string("any") : v.get_string();
            } else if (const json::object *o = v.if_object()) {
                const json::object *fn = kit::get_object(*o, "function");
                out["tool_choice"] =
                    json::object{{"type", "function"}, {"function", {{"name", fn ? kit::get_string(*fn, "name") : ""}}}};
            }
        } else if (k == "response_format" && v.is_object()) {
            out["response_format"] = translate_response_format(v.get_object());
        } else if (k == "metadata" && v.is_object()) {
            out["metadata"] = v;
        } else if (k == "reasoning_effort" && v.is_string()) {
            out["reasoning_effort"] = v;
        }
    });
}

}  // namespace switchboard::mistral
