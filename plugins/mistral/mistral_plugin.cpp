// Mistral AI provider plugin. Mistral's chat API is OpenAI-shaped, but it
// answers any field it does not know with 422 (extra_forbidden), wants
// "random_seed" for "seed" and "any" for tool_choice "required", takes tool
// call ids only as 9 alphanumerics, streams tool calls without "index", and
// has its own error bodies. The request is rebuilt field by field from
// Mistral's ChatCompletionRequest schema; answers are normalized.
#include "mistral_lifecycle.hpp"
#include <switchboard/kit/openai_compat.hpp>
#include <switchboard/kit/openai_normalize.hpp>

#include <array>
#include <cstdint>
#include <map>

namespace {

namespace json = boost::json;
namespace kit = switchboard::kit;
namespace sdk = switchboard::sdk;
using switchboard::sdk::to_sb;

constexpr std::array<std::string_view, 11> kPassThrough = {
    "model",       "top_p",      "max_tokens",          "presence_penalty", "frequency_penalty", "n",
    "safe_prompt", "prediction", "parallel_tool_calls", "prompt_mode",      "prompt_cache_key",
};

bool passes_through(std::string_view key) {
    for (std::string_view k : kPassThrough)
        if (k == key) return true;
    return false;
}

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
    throw sdk::invalid_request("Mistral AI does not accept content parts of type \"" + std::string(type) + "\"");
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
        const json::object *m = mv.if_object();
        if (!m) throw sdk::invalid_request("every message must be an object");
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
            throw sdk::invalid_request("Mistral AI does not accept messages with role \"" + std::string(role) + "\"");
        }
        out.push_back(std::move(msg));
    }
}

json::object translate_tool(const json::object &t) {
    const json::object *fn = kit::get_object(t, "function");
    if (kit::get_string(t, "type") != "function" || !fn)
        throw sdk::invalid_request("Mistral AI supports only function tools");
    json::object f{{"name", kit::get_string(*fn, "name")}};
    if (const json::value *d = fn->if_contains("description"); d && d->is_string()) f["description"] = *d;
    const json::value *p = fn->if_contains("parameters");
    // Mistral requires "parameters"; OpenAI allows leaving it out.
    f["parameters"] = p && p->is_object() ? *p : json::value(json::object{{"type", "object"}, {"properties", json::object()}});
    if (const json::value *s = fn->if_contains("strict"); s && s->is_bool()) f["strict"] = *s;
    return {{"type", "function"}, {"function", std::move(f)}};
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
        throw sdk::invalid_request("Mistral AI does not support response_format type \"" + std::string(type) + "\"");
    }
    return out;
}

json::object translate_request(const json::object &in) {
    json::object out;
    for (const auto &kv : in) {
        std::string_view k = kv.key();
        const json::value &v = kv.value();
        if (v.is_null()) continue;
        if (passes_through(k)) {
            out[k] = v;
        } else if (k == "messages") {
            json::array msgs;
            translate_messages(v.get_array(), msgs);
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
            json::array tools;
            for (const json::value &t : v.get_array())
                if (const json::object *to = t.if_object()) tools.push_back(translate_tool(*to));
            out["tools"] = std::move(tools);
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
    }
    if (!out.contains("max_tokens"))
        if (const json::value *mct = in.if_contains("max_completion_tokens"); mct && mct->is_number())
            out["max_tokens"] = *mct;
    return out;
}

// Mistral error bodies: {"message":"Unauthorized","request_id":...} (401),
// {"object":"error","message":"Invalid model: x","type":"invalid_model",
// "code":"1500"}, and 422s whose "message" is an object {"detail":[{loc,msg}]}.
// Rewritten as an OpenAI error so the kit's classifier applies.
std::string render_message(const json::value &m) {
    if (m.is_string()) return std::string(m.get_string());
    if (const json::object *o = m.if_object())
        if (const json::array *detail = kit::get_array(*o, "detail")) {
            std::string text;
            for (const json::value &d : *detail) {
                const json::object *dobj = d.if_object();
                if (!dobj) continue;
                if (!text.empty()) text += "; ";
                std::string where;
                if (const json::array *loc = kit::get_array(*dobj, "loc"))
                    for (const json::value &l : *loc) {
                        if (!where.empty()) where += '.';
                        where += l.is_string() ? std::string(l.get_string()) : json::serialize(l);
                    }
                if (!where.empty()) text += where + ": ";
                text += kit::get_string(*dobj, "msg");
            }
            if (!text.empty()) return text;
        }
    return json::serialize(m);
}

kit::ClassifiedError classify_mistral(int status, std::string_view body, std::string_view model,
                                      std::string_view api_key) {
    bool ok = false;
    json::value v = kit::try_parse(body, ok);
    const json::object *o = ok ? v.if_object() : nullptr;
    const json::value *msg = o ? o->if_contains("message") : nullptr;
    if (!o || !msg || o->contains("error")) return kit::classify_http_error(status, body, "Mistral AI", model, api_key);
    std::string text = render_message(*msg);
    std::string type(kit::get_string(*o, "type"));
    std::string code;
    if (const json::value *c = o->if_contains("code"); c && !c->is_null())
        code = c->is_string() ? std::string(c->get_string()) : json::serialize(*c);
    kit::ClassifiedError e;
    if (type == "invalid_model" || code == "1500") {
        e.kind = SB_ERROR_MODEL_NOT_FOUND;
        e.status = status;
        e.message = kit::redact(text, api_key);
        return e;
    }
    json::object err{{"message", text}, {"type", type}};
    if (!code.empty()) err["code"] = code;
    return kit::classify_http_error(status, json::serialize(json::object{{"error", std::move(err)}}), "Mistral AI",
                                    model, api_key);
}

class MistralStream final : public kit::NormalizingStream {
public:
    using NormalizingStream::NormalizingStream;

protected:
    // Mistral reports a failure mid-stream as {"object":"error",...}.
    const json::value *stream_error(const json::object &payload) const override {
        if (kit::get_string(payload, "object") == "error") {
            holder_ = payload;
            if (json::value *m = holder_.get_object().if_contains("message"); m && !m->is_string())
                *m = json::string(render_message(*m));
            return &holder_;
        }
        return NormalizingStream::stream_error(payload);
    }

private:
    mutable json::value holder_;
};

class MistralProvider final : public kit::OpenAICompatibleProvider {
public:
    // What the vendor announced of retired and deprecated models.
    const void *extension(const char *id) override {
        return ::switchboard::kit::lifecycle_extension(id, ::sb_mistral::kModelLifecycle);
    }

    MistralProvider()
        : OpenAICompatibleProvider({.id = "mistral",
                                    .display_name = "Mistral AI",
                                    .env_api_key = "MISTRAL_API_KEY",
                                    .env_model = "MISTRAL_MODEL",
                                    .env_api_base = "MISTRAL_API_BASE",
                                    .requires_api_key = true,
                                    // Usage rides on Mistral's last chunk;
                                    // stream_options would be a 422.
                                    .stream_include_usage = false}) {}

    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override {
        json::object body = translate_request(kit::parse_chat_request(body_json));
        return compat_.build_chat_request(config, json::serialize(body), stream);
    }

    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override {
        if (!kit::is_2xx(response.status))
            throw kit::to_provider_error(classify_mistral(response.status, response.body, config.model, config.api_key));
        bool ok = false;
        json::value v = kit::try_parse(response.body, ok);
        if (!ok) throw kit::api_base_incorrect(response.status, "body is not JSON");
        json::object *o = v.if_object();
        if (!o) throw kit::api_base_incorrect(response.status, "body is not a JSON object");
        if (kit::get_string(*o, "object") == "error")
            throw kit::to_provider_error(classify_mistral(400, response.body, config.model, config.api_key));
        kit::normalize_chat_completion(*o, response.status, "Mistral AI");
        return json::serialize(v);
    }

    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view) override {
        return std::make_unique<MistralStream>("Mistral AI", std::string(config.model), std::string(config.api_key));
    }

    // {"object":"list","data":[{"id",...,"capabilities":{"completion_chat":..}}]}:
    // embedding, OCR and moderation models are listed too; keep chat ones.
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override {
        if (!kit::is_2xx(response.status))
            throw kit::to_provider_error(classify_mistral(response.status, response.body, {}, config.api_key));
        bool ok = false;
        json::value v = kit::try_parse(response.body, ok);
        if (!ok) throw kit::api_base_incorrect(response.status, "model list is not JSON");
        const json::array *data = v.is_object() ? kit::get_array(v.get_object(), "data") : v.if_array();
        if (!data) throw kit::api_base_incorrect(response.status, "model list has no \"data\" array");
        std::vector<sdk::ModelEntry> out;
        for (const json::value &m : *data) {
            const json::object *mo = m.if_object();
            if (!mo) continue;
            std::string_view id = kit::get_string(*mo, "id");
            if (id.empty()) continue;
            if (const json::object *caps = kit::get_object(*mo, "capabilities"))
                if (const json::value *chat = caps->if_contains("completion_chat"); chat && chat->is_bool() && !chat->get_bool())
                    continue;
            out.push_back({std::string(id), std::string(kit::get_string(*mo, "name"))});
        }
        return out;
    }

    static const sb_provider_descriptor &descriptor() {
        static const sb_str models[] = {
            to_sb("mistral-small"),        to_sb("mistral-small-latest"), to_sb("mistral-medium-latest"),
            to_sb("mistral-large-latest"), to_sb("ministral-8b-latest"),  to_sb("ministral-3b-latest"),
            to_sb("open-mistral-nemo"),    to_sb("codestral-latest"),     to_sb("pixtral-large-latest"),
            to_sb("pixtral-12b-2409"),     to_sb("magistral-medium-latest"), to_sb("magistral-small-latest"),
        };
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor),
            to_sb("mistral"),
            to_sb("Mistral AI"),
            to_sb("1.0.0"),
            to_sb("mistral-small"),
            to_sb("https://api.mistral.ai/v1"),
            to_sb("MISTRAL_API_KEY"),
            to_sb("MISTRAL_MODEL"),
            to_sb("MISTRAL_API_BASE"),
            SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING |
                SB_CAP_REQUIRES_API_KEY,
            SB_FRAMING_SSE,
            models,
            sizeof(models) / sizeof(models[0]),
        };
        return d;
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(MistralProvider)
