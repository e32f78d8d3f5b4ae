#include "cohere.hpp"

#include <cmath>

namespace switchboard::cohere {

std::string api_root(std::string_view base) {
    auto strip_slashes = [&] {
        while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    };
    strip_slashes();
    if (kit::ends_with(base, "/v1") || kit::ends_with(base, "/v2")) base.remove_suffix(3);
    strip_slashes();
    return std::string(base);
}

json::value arguments_of(const json::object &fn) {
    const json::value *a = fn.if_contains("arguments");
    if (!a || a->is_null()) return "{}";
    if (a->is_string()) return a->get_string().empty() ? json::string("{}") : a->get_string();
    return json::string(kit::to_json(*a));
}

namespace {

// Integral values stay integers on the wire ("1", not "1E0").
json::value number_value(double d) {
    if (std::floor(d) == d && std::fabs(d) < 9e15) return int64_t(d);
    return d;
}

// The value itself when within [lo, hi], otherwise the nearest bound: OpenAI's
// ranges are wider than Cohere's (temperature 0..2 vs 0..1, top_p up to 1 vs
// p up to 0.99, penalties -2..2 vs 0..1) and Cohere rejects out-of-range values.
json::value clamped(const json::value &v, double lo, double hi) {
    double d = v.to_number<double>();
    if (d < lo) return number_value(lo);
    if (d > hi) return number_value(hi);
    return v;
}

// One OpenAI content part as a Cohere v2 content block. Cohere takes text in
// every role and images (data: or http(s) URLs) in user turns only.
json::object content_block(const json::value &part, std::string_view role, bool images_ok) {
    const json::object *p = part.if_object();
    if (!p) {
        if (part.is_string()) return json::object{{"type", "text"}, {"text", part.get_string()}};
        throw sdk::invalid_request("content parts of " + std::string(role) +
                                   " messages must be objects");
    }
    std::string_view type = kit::get_string(*p, "type");
    if (type == "text") {
        const json::value *t = p->if_contains("text");
        if (!t || !t->is_string())
            throw sdk::invalid_request("a text content part needs a \"text\" string");
        return json::object{{"type", "text"}, {"text", t->get_string()}};
    }
    if (type == "image_url" && images_ok) {
        const json::value *iu = p->if_contains("image_url");
        json::object image;
        if (iu && iu->is_string()) {
            image["url"] = iu->get_string();
        } else if (const json::object *io = iu ? iu->if_object() : nullptr) {
            std::string_view url = kit::get_string(*io, "url");
            if (url.empty()) throw sdk::invalid_request("an image_url content part needs a url");
            image["url"] = url;
            std::string_view detail = kit::get_string(*io, "detail");
            if (detail == "auto" || detail == "low" || detail == "high") image["detail"] = detail;
        } else {
            throw sdk::invalid_request("an image_url content part needs an image_url object");
        }
        return json::object{{"type", "image_url"}, {"image_url", std::move(image)}};
    }
    throw sdk::invalid_request(std::string(kDisplayName) + " does not accept \"" + std::string(type) +
                               "\" content parts in " + std::string(role) + " messages");
}

// String content stays a string; parts become Cohere blocks. Assistant
// refusal parts carry no text Cohere could use and are skipped.
json::value content_of(const json::value *content, std::string_view role, bool images_ok) {
    if (!content || content->is_null()) return json::string();
    if (content->is_string()) return content->get_string();
    const json::array *parts = content->if_array();
    if (!parts) throw sdk::invalid_request("\"content\" of a " + std::string(role) +
                                           " message must be a string or an array");
    json::array blocks;
    for (const json::value &part : *parts) {
        if (role == "assistant")
            if (const json::object *p = part.if_object(); p && kit::get_string(*p, "type") == "refusal")
                continue;
        blocks.push_back(content_block(part, role, images_ok));
    }
    return blocks;
}

bool content_empty(const json::value &c) {
    if (const json::string *s = c.if_string()) return s->empty();
    if (const json::array *a = c.if_array()) return a->empty();
    return true;
}

std::string flat_text(const json::value &c) {
    if (const json::string *s = c.if_string()) return std::string(*s);
    std::string out;
    if (const json::array *a = c.if_array())
        for (const json::value &b : *a)
            if (const json::object *o = b.if_object()) {
                if (!out.empty()) out += "\n";
                out += std::string(kit::get_string(*o, "text"));
            }
    return out;
}

json::object assistant_tool_call(const json::value &v) {
    const json::object *tc = v.if_object();
    if (!tc) throw sdk::invalid_request("assistant tool_calls entries must be objects");
    std::string_view id = kit::get_string(*tc, "id");
    if (id.empty()) throw sdk::invalid_request("an assistant tool call needs an \"id\"");
    const json::object *fn = kit::get_object(*tc, "function");
    if (!fn || kit::get_string(*fn, "name").empty())
        throw sdk::invalid_request("an assistant tool call needs function.name");
    return json::object{{"id", id},
                        {"type", "function"},
                        {"function", json::object{{"name", kit::get_string(*fn, "name")},
                                                  {"arguments", arguments_of(*fn)}}}};
}

// Appends the Cohere form of one unified message (nothing for an empty
// assistant turn, which Cohere rejects and which carries nothing).
void add_message(json::array &out, const json::value &mv) {
    const json::object *m = &mv.as_object();  // the host checked each is an object
    std::string_view role = kit::get_string(*m, "role");
    const json::value *content = m->if_contains("content");

    if (role == "system" || role == "developer") {
        out.push_back(json::object{{"role", "system"}, {"content", content_of(content, "system", false)}});
    } else if (role == "user") {
        out.push_back(json::object{{"role", "user"}, {"content", content_of(content, "user", true)}});
    } else if (role == "assistant") {
        json::value text = content_of(content, "assistant", false);
        json::object a{{"role", "assistant"}};
        const json::array *calls = kit::get_array(*m, "tool_calls");
        if (calls && !calls->empty()) {
            json::array tcs;
            for (const json::value &c : *calls) tcs.push_back(assistant_tool_call(c));
            // Cohere's place for the text that comes with tool calls is the
            // tool plan: it does not take content next to tool_calls.
            if (std::string plan = flat_text(text); !plan.empty()) a["tool_plan"] = plan;
            a["tool_calls"] = std::move(tcs);
        } else {
            if (content_empty(text)) return;
            a["content"] = std::move(text);
        }
        out.push_back(std::move(a));
    } else if (role == "tool") {
        std::string_view id = kit::get_string(*m, "tool_call_id");
        if (id.empty()) throw sdk::invalid_request("a tool message needs a \"tool_call_id\"");
        out.push_back(json::object{{"role", "tool"},
                                   {"tool_call_id", id},
                                   {"content", content_of(content, "tool", false)}});
    } else {
        throw sdk::invalid_request(std::string(kDisplayName) + " does not accept messages with role \"" +
                                   std::string(role) + "\"");
    }
}

// --------------------------------------------------------- request: tools

json::object cohere_tool(const json::value &tv, bool &strict) {
    const json::object *t = tv.if_object();
    if (!t) throw sdk::invalid_request("every entry of \"tools\" must be an object");
    std::string_view type = kit::get_string(*t, "type");
    if (!type.empty() && type != "function")
        throw sdk::invalid_request(std::string(kDisplayName) + " supports only function tools, not \"" + std::string(type) + "\"");
    const json::object *fn = kit::get_object(*t, "function");
    if (!fn || kit::get_string(*fn, "name").empty())
        throw sdk::invalid_request("a function tool needs function.name");
    json::object f{{"name", kit::get_string(*fn, "name")}};
    if (auto d = kit::get_string(*fn, "description"); !d.empty()) f["description"] = d;
    // Cohere requires a parameters schema; OpenAI lets it be left out.
    if (const json::object *p = kit::get_object(*fn, "parameters"))
        f["parameters"] = *p;
    else
        f["parameters"] = json::object{{"type", "object"}, {"properties", json::object()}};
    if (const json::value *s = fn->if_contains("strict"); s && s->is_bool() && s->get_bool()) strict = true;
    return json::object{{"type", "function"}, {"function", std::move(f)}};
}

// Fields of Cohere's own v2 chat request a client may send as is.
constexpr std::string_view kCohereNative[] = {"k",        "safety_mode", "documents", "citation_options",
                                              "thinking", "priority",    "strict_tools"};

}  // namespace

json::object translate_request(const json::object &in, std::string_view model, bool stream) {
    json::object body;
    body["model"] = model;

    json::array messages;
    for (const json::value &m : kit::messages(in)) add_message(messages, m);
    body["messages"] = std::move(messages);

    if (auto n = kit::get_number(in, "n"); n && *n > 1)
        throw sdk::invalid_request(std::string(kDisplayName) + " returns one choice per request: \"n\" must be 1");

    // Tools and tool_choice. Cohere cannot force one named function, so that
    // choice becomes REQUIRED with only that function offered.
    const json::array *tools = kit::get_array(in, "tools");
    std::string forced;
    std::string choice;
    if (const json::value *tc = in.if_contains("tool_choice"); tc && !tc->is_null()) {
        if (tc->is_string()) {
            std::string_view s = tc->get_string();
            if (s == "required") choice = "REQUIRED";
            else if (s == "none") choice = "NONE";
            else if (s != "auto")
                throw sdk::invalid_request("unsupported tool_choice \"" + std::string(s) + "\"");
        } else if (const json::object *o = tc->if_object()) {
            const json::object *fn = kit::get_object(*o, "function");
            forced = fn ? std::string(kit::get_string(*fn, "name")) : std::string();
            if (forced.empty()) throw sdk::invalid_request("tool_choice needs function.name");
            choice = "REQUIRED";
        } else {
            throw sdk::invalid_request("tool_choice must be a string or an object");
        }
    }
    if (tools && !tools->empty()) {
        bool strict = false;
        json::array out;
        for (const json::value &t : *tools) {
            json::object ct = cohere_tool(t, strict);
            if (!forced.empty() && ct.at("function").at("name").as_string() != forced) continue;
            out.push_back(std::move(ct));
        }
        if (!forced.empty() && out.empty())
            throw sdk::invalid_request("tool_choice names function \"" + forced +
                                       "\", which is not among the tools");
        body["tools"] = std::move(out);
        if (!choice.empty()) body["tool_choice"] = choice;
        if (strict) body["strict_tools"] = true;
    } else if (!forced.empty()) {
        throw sdk::invalid_request("tool_choice names a function but the request has no tools");
    }

    // Sampling and limits.
    std::optional<double> max = kit::get_number(in, "max_completion_tokens");
    if (!max) max = kit::get_number(in, "max_tokens");
    if (auto n = max) {
        if (*n < 1) throw sdk::invalid_request("max_tokens must be at least 1");
        body["max_tokens"] = int64_t(*n);
    }
    if (const json::value *t = in.if_contains("temperature"); t && t->is_number())
        body["temperature"] = clamped(*t, 0.0, 1.0);
    if (const json::value *p = in.if_contains("top_p"); p && p->is_number()) body["p"] = clamped(*p, 0.01, 0.99);
    for (std::string_view k : {"frequency_penalty", "presence_penalty"})
        if (const json::value *v = in.if_contains(k); v && v->is_number()) body[k] = clamped(*v, 0.0, 1.0);
    if (auto s = kit::get_number(in, "seed"); s && *s >= 0) body["seed"] = int64_t(*s);

    if (const json::value *stop = in.if_contains("stop"); stop && !stop->is_null()) {
        json::array seqs;
        if (stop->is_string()) {
            seqs.push_back(stop->get_string());
        } else if (const json::array *a = stop->if_array()) {
            for (const json::value &s : *a)
                if (s.is_string()) seqs.push_back(s.get_string());
        } else {
            throw sdk::invalid_request("\"stop\" must be a string or an array of strings");
        }
        if (!seqs.empty()) body["stop_sequences"] = std::move(seqs);
    }

    if (const json::object *rf = kit::get_object(in, "response_format")) {
        std::string_view type = kit::get_string(*rf, "type");
        if (type == "json_object") {
            body["response_format"] = json::object{{"type", "json_object"}};
        } else if (type == "json_schema") {
            json::object f{{"type", "json_object"}};
            if (const json::object *js = kit::get_object(*rf, "json_schema"))
                if (const json::object *schema = kit::get_object(*js, "schema")) f["json_schema"] = *schema;
            body["response_format"] = std::move(f);
        } else if (type != "text" && !type.empty()) {
            throw sdk::invalid_request(std::string(kDisplayName) + " does not support response_format \"" + std::string(type) + "\"");
        }
    }

    for (std::string_view k : kCohereNative)
        if (const json::value *v = in.if_contains(k); v && !v->is_null() && !body.contains(k)) body[k] = *v;

    if (stream) body["stream"] = true;
    return body;
}


sdk::HttpRequest Provider::build_chat_request(const sdk::Config &config, std::string_view body_json, bool stream) {
    json::object in = kit::unified_request(body_json);
    sdk::HttpRequest req;
    req.method = "POST";
    req.url = api_root(config.api_base) + "/v2/chat";
    kit::add_json_headers(req, stream);
    req.body = kit::to_json(translate_request(in, config.model, stream));
    return req;
}

std::optional<sdk::HttpRequest> Provider::build_models_request(const sdk::Config &config) {
    sdk::HttpRequest req;
    req.method = "GET";
    // The model list lives only under /v1; endpoint=chat keeps out embed
    // and rerank models, and one large page avoids pagination.
    req.url = api_root(config.api_base) + "/v1/models?endpoint=chat&page_size=1000";
    req.headers.emplace_back("Accept", "application/json");
    return req;
}

}  // namespace switchboard::cohere
