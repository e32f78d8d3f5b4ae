// Tool and response schemas: the client's JSON Schema whole for Gemini 2 and
// later, or converted to the OpenAPI 3.0 subset older models take.
#include "google.hpp"

#include <algorithm>

namespace switchboard::google {

namespace {

using kit::get_array;
using kit::get_object;
using kit::get_string;
using kit::starts_with;
using kit::upper;

// Keys of Gemini's Schema object that carry over from JSON Schema as they are.
constexpr std::string_view kSchemaPassThrough[] = {
    "description", "title",    "nullable", "minimum",  "maximum",       "minItems",
    "maxItems",    "minLength", "maxLength", "minProperties", "maxProperties", "pattern",
    "default",     "example",  "propertyOrdering"};

const json::value *resolve_ref(std::string_view ref, const json::object &root) {
    for (std::string_view prefix : {"#/$defs/", "#/definitions/"}) {
        if (!starts_with(ref, prefix)) continue;
        const json::object *defs = get_object(root, prefix.substr(2, prefix.size() - 3));
        if (!defs) return nullptr;
        return defs->if_contains(ref.substr(prefix.size()));
    }
    return nullptr;
}

// JSON Schema (as OpenAI tools and response_format carry it) -> Gemini's
// OpenAPI-3.0 subset. Keys Gemini rejects (additionalProperties, $schema,
// strict, $defs, const, ...) are dropped or mapped; local $refs are inlined
// since Gemini's Schema has no references. Returns nullopt for a schema that
// says nothing (true, {}), which Gemini cannot express.
}  // namespace

std::optional<json::object> to_gemini_schema(const json::value &in, const json::object &root, int depth) {
    const json::object *s = in.if_object();
    if (!s || depth > 24) return std::nullopt;
    if (std::string_view ref = get_string(*s, "$ref"); !ref.empty()) {
        const json::value *target = resolve_ref(ref, root);
        if (!target) return std::nullopt;
        auto r = to_gemini_schema(*target, root, depth + 1);
        if (r)
            if (std::string_view d = get_string(*s, "description"); !d.empty()) (*r)["description"] = d;
        return r;
    }
    if (const json::array *all = get_array(*s, "allOf"); all && all->size() == 1) {
        auto r = to_gemini_schema((*all)[0], root, depth + 1);
        if (r)
            if (std::string_view d = get_string(*s, "description"); !d.empty()) (*r)["description"] = d;
        return r;
    }

    json::object out;
    bool nullable = false;
    if (const json::value *t = s->if_contains("type")) {
        if (t->is_string()) {
            if (t->get_string() == "null") nullable = true;
            else out["type"] = upper(t->get_string());
        } else if (const json::array *ts = t->if_array()) {
            for (const json::value &x : *ts) {
                if (!x.is_string()) continue;
                if (x.get_string() == "null") nullable = true;
                else if (!out.contains("type")) out["type"] = upper(x.get_string());
            }
        }
    }
    for (std::string_view key : kSchemaPassThrough)
        if (const json::value *v = s->if_contains(key)) out[key] = *v;

    if (const json::value *f = s->if_contains("format"); f && f->is_string()) {
        // Gemini refuses formats outside its short list (e.g. "uri", "email").
        static constexpr std::string_view ok[] = {"enum", "date-time", "float", "double", "int32", "int64"};
        if (std::find(std::begin(ok), std::end(ok), f->get_string()) != std::end(ok))
            out["format"] = f->get_string();
    }
    auto string_enum = [&](const json::array &values) {
        json::array e;
        for (const json::value &v : values)
            if (v.is_string()) e.push_back(v);
        if (e.size() == values.size() && !e.empty()) {
            out["enum"] = std::move(e);
            if (!out.contains("type")) out["type"] = "STRING";
        }
    };
    if (const json::array *e = get_array(*s, "enum")) string_enum(*e);
    if (const json::value *c = s->if_contains("const"); c && c->is_string()) string_enum(json::array{*c});

    if (const json::object *props = get_object(*s, "properties")) {
        json::object p;
        for (const auto &kv : *props)
            if (auto sub = to_gemini_schema(kv.value(), root, depth + 1); sub && !sub->empty())
                p[kv.key()] = std::move(*sub);
        if (!p.empty()) {
            if (const json::array *req = get_array(*s, "required")) {
                json::array r;
                for (const json::value &name : *req)
                    if (name.is_string() && p.contains(name.get_string())) r.push_back(name);
                if (!r.empty()) out["required"] = std::move(r);
            }
            out["properties"] = std::move(p);
        }
    }
    if (const json::value *items = s->if_contains("items")) {
        const json::value *first = items;
        if (const json::array *tuple = items->if_array()) first = tuple->empty() ? nullptr : &(*tuple)[0];
        if (first)
            if (auto sub = to_gemini_schema(*first, root, depth + 1)) out["items"] = std::move(*sub);
    }
    const json::array *alts = get_array(*s, "anyOf");
    if (!alts) alts = get_array(*s, "oneOf");
    if (alts) {
        json::array a;
        for (const json::value &alt : *alts) {
            if (const json::object *ao = alt.if_object(); ao && get_string(*ao, "type") == "null") {
                nullable = true;
                continue;
            }
            if (auto sub = to_gemini_schema(alt, root, depth + 1); sub && !sub->empty())
                a.push_back(std::move(*sub));
        }
        // Optional<T> from JSON Schema generators: T plus nullable.
        if (a.size() == 1) {
            for (auto &kv : a[0].as_object())
                if (!out.contains(kv.key())) out[kv.key()] = kv.value();
        } else if (!a.empty()) {
            out["anyOf"] = std::move(a);
        }
    }
    if (nullable && !out.empty()) out["nullable"] = true;
    return out;
}

// The root of a tool's parameters: an object with no properties is left out
// entirely, as Gemini rejects an OBJECT without properties.
std::optional<json::object> parameters_schema(const json::value &params) {
    const json::object *root = params.if_object();
    if (!root) return std::nullopt;
    auto s = to_gemini_schema(params, *root);
    if (!s || s->empty()) return std::nullopt;
    if (get_string(*s, "type") == "OBJECT" && !s->contains("properties")) return std::nullopt;
    return s;
}

// The JSON Schema a client wrote, for parametersJsonSchema and
// responseJsonSchema (Gemini 2 and later take it whole); only "$schema",
// which names a dialect rather than describing data, is left out.
json::value full_json_schema(const json::value &schema) {
    json::value out = schema;
    if (json::object *o = out.if_object()) o->erase("$schema");
    return out;
}

}  // namespace switchboard::google
