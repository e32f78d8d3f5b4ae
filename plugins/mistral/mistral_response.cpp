#include "mistral.hpp"

namespace switchboard::mistral {

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
                        where += l.is_string() ? std::string(l.get_string()) : kit::to_json(l);
                    }
                if (!where.empty()) text += where + ": ";
                text += kit::get_string(*dobj, "msg");
            }
            if (!text.empty()) return text;
        }
    return kit::to_json(m);
}

kit::ClassifiedError Provider::classify_http(int status, std::string_view body, std::string_view model,
                                             std::string_view api_key) const {
    return classify_error(status, body, model, api_key);
}

kit::ClassifiedError classify_error(int status, std::string_view body, std::string_view model,
                                    std::string_view api_key) {
    bool ok = false;
    json::value v = kit::try_parse(body, ok);
    const json::object *o = ok ? v.if_object() : nullptr;
    const json::value *msg = o ? o->if_contains("message") : nullptr;
    if (!o || !msg || o->contains("error")) return kit::classify_http_error(status, body, kDisplayName, model, api_key);
    std::string text = render_message(*msg);
    std::string type(kit::get_string(*o, "type"));
    std::string code;
    if (const json::value *c = o->if_contains("code"); c && !c->is_null())
        code = c->is_string() ? std::string(c->get_string()) : kit::to_json(*c);
    kit::ClassifiedError e;
    if (type == "invalid_model" || code == "1500") {
        e.kind = SB_ERROR_MODEL_NOT_FOUND;
        e.status = status;
        e.message = kit::redact(text, api_key);
        return e;
    }
    json::object err{{"message", text}, {"type", type}};
    if (!code.empty()) err["code"] = code;
    return kit::classify_http_error(status, kit::to_json(json::object{{"error", std::move(err)}}), kDisplayName,
                                    model, api_key);
}

// A 2xx body may still be Mistral's {"object":"error",...}.
void Provider::check_completion(const json::object &completion, const sdk::HttpResponse &response,
                                const sdk::Config &config) const {
    if (kit::get_string(completion, "object") == "error")
        throw kit::to_provider_error(classify_http(400, response.body, config.model, config.api_key));
}

// {"object":"list","data":[{"id",...,"capabilities":{"completion_chat":..}}]}:
// embedding, OCR and moderation models are listed too; keep chat ones.
std::optional<sdk::ModelEntry> Provider::model_entry(const json::object &model) const {
    std::string_view id = kit::get_string(model, "id");
    if (id.empty()) return std::nullopt;
    if (const json::object *caps = kit::get_object(model, "capabilities"))
        if (!kit::get_bool(*caps, "completion_chat", true)) return std::nullopt;
    return sdk::ModelEntry{std::string(id), std::string(kit::get_string(model, "name"))};
}

}  // namespace switchboard::mistral
