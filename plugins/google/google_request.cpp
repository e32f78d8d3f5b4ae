// Unified (OpenAI chat-completions) request -> Gemini GenerateContentRequest.
#include "google.hpp"

#include <switchboard/kit/reasoning.hpp>
#include <switchboard/kit/text.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace switchboard::google {

namespace {

using kit::get_array;
using kit::get_object;
using kit::get_string;
using kit::lower;
using kit::starts_with;

// The model lands in a URL path segment: anything outside the unreserved set
// is escaped so a stray '?' or '#' cannot change the request's meaning.
std::string escape_segment(std::string_view s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// -------------------------------------------------------------- media

std::string mime_from_path(std::string_view url) {
    std::string_view path = url.substr(0, url.find_first_of("?#"));
    size_t slash = path.rfind('/');
    size_t dot = path.rfind('.');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "image/jpeg";
    const std::string ext = lower(path.substr(dot + 1));
    static const std::pair<const char *, const char *> table[] = {
        {"png", "image/png"},        {"jpg", "image/jpeg"},       {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},        {"webp", "image/webp"},      {"heic", "image/heic"},
        {"heif", "image/heif"},      {"pdf", "application/pdf"},  {"txt", "text/plain"},
        {"mp3", "audio/mp3"},        {"wav", "audio/wav"},        {"ogg", "audio/ogg"},
        {"flac", "audio/flac"},      {"aac", "audio/aac"},        {"mp4", "video/mp4"},
        {"mov", "video/mov"},        {"webm", "video/webm"},      {"mpeg", "video/mpeg"},
    };
    for (const auto &[e, m] : table)
        if (ext == e) return m;
    return "image/jpeg";
}

// "data:<mime>[;params];base64,<data>" -> inlineData. Gemini only takes raw
// bytes as base64, so a percent-encoded data URL is refused.
json::object inline_data_from_data_url(std::string_view url) {
    size_t comma = url.find(',');
    if (comma == std::string_view::npos) throw sdk::invalid_request("malformed data URL in message content");
    std::string_view meta = url.substr(5, comma - 5);
    std::string_view data = url.substr(comma + 1);
    if (meta.size() < 7 || lower(meta.substr(meta.size() - 7)) != ";base64")
        throw sdk::invalid_request("Gemini accepts only base64 data URLs (data:<mime>;base64,...)");
    meta.remove_suffix(7);
    std::string mime(meta.substr(0, meta.find(';')));
    if (mime.empty()) mime = "application/octet-stream";
    json::object blob;
    blob["mimeType"] = mime;
    blob["data"] = data;
    json::object part;
    part["inlineData"] = std::move(blob);
    return part;
}

json::object media_part(std::string_view url, std::string_view mime_hint = {}) {
    if (starts_with(lower(url.substr(0, 5)), "data:")) return inline_data_from_data_url(url);
    const std::string l = lower(url.substr(0, 8));
    if (!starts_with(l, "http://") && !starts_with(l, "https://") && !starts_with(l, "gs://"))
        throw sdk::invalid_request("unsupported media URL for Gemini (use a data: or http(s) URL)");
    json::object fd;
    fd["mimeType"] = mime_hint.empty() ? mime_from_path(url) : std::string(mime_hint);
    fd["fileUri"] = url;
    json::object part;
    part["fileData"] = std::move(fd);
    return part;
}

json::object text_part(std::string_view text) {
    json::object p;
    p["text"] = text;
    return p;
}

// OpenAI content (string or array of typed parts) -> Gemini parts. Empty text
// is skipped: Gemini rejects a request with an empty text part.
json::array content_parts(const json::value *content, std::string_view role) {
    json::array parts;
    if (!content || content->is_null()) return parts;
    if (content->is_string()) {
        if (!content->get_string().empty()) parts.push_back(text_part(content->get_string()));
        return parts;
    }
    const json::array *items = content->if_array();
    if (!items) throw sdk::invalid_request("message content must be a string or an array of parts");
    for (const json::value &iv : *items) {
        const json::object *item = iv.if_object();
        if (!item) throw sdk::invalid_request("message content parts must be objects");
        const std::string_view type = get_string(*item, "type");
        if (type == "text" || type == "input_text" || type == "refusal") {
            std::string_view t = get_string(*item, type == "refusal" ? "refusal" : "text");
            if (!t.empty()) parts.push_back(text_part(t));
        } else if (role == "system") {
            throw sdk::invalid_request("Gemini system instructions take text parts only");
        } else if (type == "image_url") {
            std::string_view url;
            if (const json::object *iu = get_object(*item, "image_url")) url = get_string(*iu, "url");
            else url = get_string(*item, "image_url");
            if (url.empty()) throw sdk::invalid_request("image_url part without a url");
            parts.push_back(media_part(url));
        } else if (type == "input_audio") {
            const json::object *ia = get_object(*item, "input_audio");
            if (!ia || get_string(*ia, "data").empty())
                throw sdk::invalid_request("input_audio part without data");
            json::object blob;
            blob["mimeType"] = "audio/" + lower(get_string(*ia, "format").empty()
                                                    ? std::string_view("wav")
                                                    : get_string(*ia, "format"));
            blob["data"] = get_string(*ia, "data");
            json::object part;
            part["inlineData"] = std::move(blob);
            parts.push_back(std::move(part));
        } else if (type == "file") {
            const json::object *f = get_object(*item, "file");
            std::string_view data = f ? get_string(*f, "file_data") : std::string_view();
            if (data.empty())
                throw sdk::invalid_request("file parts need file_data (file_id is not a Gemini file)");
            if (starts_with(lower(data.substr(0, 5)), "data:")) {
                parts.push_back(inline_data_from_data_url(data));
            } else {
                json::object blob;
                std::string_view name = get_string(*f, "filename");
                blob["mimeType"] = name.empty() ? std::string("application/pdf") : mime_from_path(name);
                blob["data"] = data;
                json::object part;
                part["inlineData"] = std::move(blob);
                parts.push_back(std::move(part));
            }
        } else {
            throw sdk::invalid_request("unsupported content part type for Gemini: \"" +
                                       std::string(type) + "\"");
        }
    }
    return parts;
}

std::string text_of(const json::value *content) {
    if (!content || content->is_null()) return {};
    if (content->is_string()) return std::string(content->get_string());
    if (content->is_array()) {
        std::string out;
        for (const json::value &v : content->get_array())
            if (const json::object *o = v.if_object())
                if (get_string(*o, "type") == "text") out += get_string(*o, "text");
        return out;
    }
    return kit::to_json(*content);
}

// Tool arguments arrive as a JSON string; Gemini wants the object.
json::value parse_arguments(const json::value *args) {
    if (!args || args->is_null()) return json::object();
    if (args->is_object()) return *args;
    if (!args->is_string()) throw sdk::invalid_request("tool call arguments must be a JSON string");
    std::string_view s = args->get_string();
    if (s.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
    bool ok = false;
    json::value v = kit::try_parse(s, ok);
    if (!ok) throw sdk::invalid_request("tool call arguments are not valid JSON");
    if (!v.is_object()) {
        json::object wrapped;
        wrapped["value"] = std::move(v);
        return wrapped;
    }
    return v;
}

// Gemini 3 names its calls ("96c1su3s") and matches each functionResponse
// to its call by that id; the response side hands it out as the tool call id.
// "call_<n>" is the plugin's own numbering for calls Gemini left unnamed,
// which Gemini never saw, so it is not sent.
std::string_view vendor_call_id(std::string_view id) {
    if (id.substr(0, 5) == "call_" && id.size() > 5 &&
        std::all_of(id.begin() + 5, id.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return {};
    return id;
}

// extra_content.google.thought_signature of a tool call or message.
std::string_view google_signature(const json::object &o) {
    if (const json::object *extra = get_object(o, "extra_content"))
        if (const json::object *g = get_object(*extra, "google")) return get_string(*g, "thought_signature");
    return {};
}

json::object function_call_part(std::string_view name, const json::value *arguments,
                                std::string_view thought_signature, std::string_view id = {}) {
    if (name.empty()) throw sdk::invalid_request("assistant tool call without a function name");
    json::object fc;
    if (!vendor_call_id(id).empty()) fc["id"] = id;
    fc["name"] = name;
    fc["args"] = parse_arguments(arguments);
    json::object part;
    part["functionCall"] = std::move(fc);
    // Gemini 3 refuses a replayed function call without the signature it
    // issued; the response side hands it out as extra_content.google.
    if (!thought_signature.empty()) part["thoughtSignature"] = thought_signature;
    return part;
}

// Gemini 3 answers 400 when a replayed model turn's first function call has
// no thought signature, which happens whenever a client drops the
// extra_content it was given (or the history comes from another model).
// Google documents this placeholder for exactly that case, spelled as here
// (https://ai.google.dev/gemini-api/docs/thought-signatures, FAQ); the API
// reads the bytes field in either base64 alphabet, so it is sent verbatim.
constexpr std::string_view kPlaceholderSignature = "skip_thought_signature_validator";

void add_missing_signature(json::array &parts) {
    json::object *first_call = nullptr;
    for (json::value &p : parts) {
        json::object &o = p.as_object();
        if (!o.contains("functionCall")) continue;
        if (o.contains("thoughtSignature")) return;
        if (!first_call) first_call = &o;
    }
    if (first_call) (*first_call)["thoughtSignature"] = kPlaceholderSignature;
}

json::object function_response_part(std::string_view name, const json::value *content,
                                    std::string_view id = {}) {
    json::object fr;
    if (!vendor_call_id(id).empty()) fr["id"] = id;
    fr["name"] = name;
    std::string text = text_of(content);
    bool ok = false;
    json::value parsed = kit::try_parse(text, ok);
    if (ok && parsed.is_object()) {
        fr["response"] = std::move(parsed);
    } else {
        // Gemini's documented convention: "output" carries a non-object result.
        json::object r;
        r["output"] = text;
        fr["response"] = std::move(r);
    }
    json::object part;
    part["functionResponse"] = std::move(fr);
    return part;
}

// --------------------------------------------------------------- tools

json::array translate_tools(const json::array &tools, bool json_schema) {
    json::array decls;
    for (const json::value &tv : tools) {
        const json::object *t = tv.if_object();
        if (!t) throw sdk::invalid_request("tools entries must be objects");
        std::string_view type = get_string(*t, "type");
        if (!type.empty() && type != "function")
            throw sdk::invalid_request("Gemini supports only function tools, not \"" + std::string(type) + "\"");
        const json::object *fn = get_object(*t, "function");
        if (!fn || get_string(*fn, "name").empty())
            throw sdk::invalid_request("function tool without a name");
        json::object d;
        d["name"] = get_string(*fn, "name");
        // Required by Gemini's FunctionDeclaration, optional in OpenAI's.
        d["description"] = get_string(*fn, "description");
        if (const json::value *p = fn->if_contains("parameters"); p && p->is_object()) {
            if (json_schema) d["parametersJsonSchema"] = full_json_schema(*p);
            else if (auto schema = parameters_schema(*p)) d["parameters"] = std::move(*schema);
        }
        decls.push_back(std::move(d));
    }
    json::array out;
    if (!decls.empty()) {
        json::object tool;
        tool["functionDeclarations"] = std::move(decls);
        out.push_back(std::move(tool));
    }
    return out;
}

std::optional<json::object> translate_tool_choice(const json::value &choice) {
    json::object cfg;
    if (choice.is_string()) {
        std::string_view c = choice.get_string();
        if (c == "auto") cfg["mode"] = "AUTO";
        else if (c == "none") cfg["mode"] = "NONE";
        else if (c == "required" || c == "any") cfg["mode"] = "ANY";
        else throw sdk::invalid_request("unsupported tool_choice \"" + std::string(c) + "\"");
    } else if (const json::object *o = choice.if_object()) {
        std::string_view name;
        if (const json::object *fn = get_object(*o, "function")) name = get_string(*fn, "name");
        if (name.empty()) throw sdk::invalid_request("tool_choice names no function");
        cfg["mode"] = "ANY";
        cfg["allowedFunctionNames"] = json::array{json::string(name)};
    } else {
        return std::nullopt;
    }
    json::object tc;
    tc["functionCallingConfig"] = std::move(cfg);
    return tc;
}

// ----------------------------------------------------------- generation

// reasoning_effort -> thinkingConfig: a thinkingLevel for Gemini 3, a
// thinkingBudget for 2.5, nothing for older models (which cannot think).
// Thoughts are asked for whenever thinking is on, so they come back as
// reasoning_content.
std::optional<json::object> thinking_config(const json::object &u, const GeminiTraits &t) {
    const std::string_view e = kit::reasoning_effort(u);
    if (e.empty()) return std::nullopt;
    json::object tc;
    if (t.major >= 3) {
        // Pro models have no "minimal"; Gemini 3.0 Pro has no "medium" either.
        std::string_view level = e == "xhigh" ? std::string_view("high") : e;
        if (level == "none") level = "minimal";
        if (level == "minimal" && t.pro) level = "low";
        if (level == "medium" && t.pro && t.major == 3 && t.minor == 0) level = "high";
        tc["thinkingLevel"] = level;
        if (e != "none") tc["includeThoughts"] = true;
    } else if (t.major == 2 && t.minor >= 5) {
        // 2.5 Pro cannot turn thinking off: 128 is its smallest budget.
        int64_t budget = e == "none" ? (t.pro ? 128 : 0)
                         : e == "minimal" || e == "low" ? 1024
                         : e == "medium"                ? 8192
                                                        : 24576;
        tc["thinkingBudget"] = budget;
        if (e != "none") tc["includeThoughts"] = true;
    } else {
        return std::nullopt;
    }
    return tc;
}

void copy_number(const json::object &from, std::string_view key, json::object &to,
                 std::string_view as) {
    const json::value *v = from.if_contains(key);
    if (v && v->is_number()) to[as] = *v;
}

json::object generation_config(const json::object &u, const GeminiTraits &traits) {
    json::object g;
    if (const json::value *v = u.if_contains("max_completion_tokens"); v && v->is_number())
        g["maxOutputTokens"] = *v;
    else copy_number(u, "max_tokens", g, "maxOutputTokens");
    copy_number(u, "temperature", g, "temperature");
    copy_number(u, "top_p", g, "topP");
    copy_number(u, "top_k", g, "topK");
    copy_number(u, "presence_penalty", g, "presencePenalty");
    copy_number(u, "frequency_penalty", g, "frequencyPenalty");
    copy_number(u, "seed", g, "seed");
    if (const json::value *n = u.if_contains("n"); n && n->is_number()) g["candidateCount"] = *n;
    if (const json::value *stop = u.if_contains("stop")) {
        json::array seq;
        if (stop->is_string()) {
            if (!stop->get_string().empty()) seq.push_back(*stop);
        } else if (const json::array *a = stop->if_array()) {
            for (const json::value &x : *a)
                if (x.is_string() && !x.get_string().empty()) seq.push_back(x);
        }
        if (!seq.empty()) g["stopSequences"] = std::move(seq);
    }
    if (const json::object *rf = get_object(u, "response_format")) {
        std::string_view type = get_string(*rf, "type");
        if (type == "json_object") {
            g["responseMimeType"] = "application/json";
        } else if (type == "json_schema") {
            g["responseMimeType"] = "application/json";
            if (const json::object *js = get_object(*rf, "json_schema"))
                if (const json::value *schema = js->if_contains("schema"); schema && schema->is_object()) {
                    if (traits.json_schema)
                        g["responseJsonSchema"] = full_json_schema(*schema);
                    else if (auto s = to_gemini_schema(*schema, schema->get_object()); s && !s->empty())
                        g["responseSchema"] = std::move(*s);
                }
        } else if (!type.empty() && type != "text") {
            throw sdk::invalid_request("unsupported response_format type \"" + std::string(type) + "\"");
        }
    }
    if (auto tc = thinking_config(u, traits)) g["thinkingConfig"] = std::move(*tc);
    return g;
}

// Appends parts to the last content when it has the same role: Gemini wants
// all the function responses answering one model turn in a single user turn,
// and does not need (or always accept) two turns in a row from one role.
void append_turn(json::array &contents, std::string_view role, json::array parts) {
    if (parts.empty()) return;
    if (!contents.empty()) {
        json::object &last = contents.back().as_object();
        if (get_string(last, "role") == role) {
            json::array &lp = last["parts"].as_array();
            for (auto &p : parts) lp.push_back(std::move(p));
            return;
        }
    }
    json::object c;
    c["role"] = role;
    c["parts"] = std::move(parts);
    contents.push_back(std::move(c));
}

}  // namespace

// "tunedModels/x" is its own resource collection; everything else is a
// base model under "models/".
std::string model_resource(std::string_view model) {
    if (starts_with(model, "tunedModels/"))
        return "tunedModels/" + escape_segment(model.substr(std::string_view("tunedModels/").size()));
    return "models/" + escape_segment(bare_model_id(model));
}

std::string bare_model_id(std::string_view model) {
    if (starts_with(model, "models/")) model.remove_prefix(7);
    return std::string(model);
}

GeminiTraits gemini_traits(std::string_view model) {
    GeminiTraits t;
    const std::string id = bare_model_id(model);
    if (!starts_with(id, "gemini-")) return t;  // tuned models, Gemma, LearnLM: the old subset
    // "gemini-2.5-flash", "gemini-3-pro-preview", "gemini-3.1-flash-lite";
    // an id without a version ("gemini-flash-latest") is a current model.
    std::string_view rest = std::string_view(id).substr(7);
    t.pro = rest.find("pro") != std::string_view::npos;
    if (rest.empty() || !std::isdigit(static_cast<unsigned char>(rest[0]))) {
        t.major = 3;
    } else {
        size_t i = 0;
        while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])))
            t.major = t.major * 10 + (rest[i++] - '0');
        if (i < rest.size() && rest[i] == '.')
            for (++i; i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])); ++i)
                t.minor = t.minor * 10 + (rest[i] - '0');
    }
    t.json_schema = t.major >= 2;
    return t;
}

json::object translate_request(const json::object &u, std::string_view model) {
    const GeminiTraits traits = gemini_traits(model);
    const bool needs_signatures = traits.major >= 3;
    json::array system_parts;
    json::array contents;
    std::map<std::string, std::string, std::less<>> call_names;  // tool_call id -> function name

    for (const json::value &mv : kit::messages(u)) {
        const json::object *m = &mv.as_object();  // the host checked each is an object
        const std::string_view role = get_string(*m, "role");
        const json::value *content = m->if_contains("content");
        if (role == "system" || role == "developer") {
            for (auto &p : content_parts(content, "system")) system_parts.push_back(std::move(p));
        } else if (role == "user") {
            append_turn(contents, "user", content_parts(content, "user"));
        } else if (role == "assistant") {
            json::array parts = content_parts(content, "assistant");
            if (const json::array *calls = get_array(*m, "tool_calls")) {
                for (const json::value &cv : *calls) {
                    const json::object *c = cv.if_object();
                    if (!c) throw sdk::invalid_request("tool_calls entries must be objects");
                    const json::object *fn = get_object(*c, "function");
                    if (!fn) throw sdk::invalid_request("tool call without a function");
                    std::string_view sig = google_signature(*c);
                    parts.push_back(function_call_part(get_string(*fn, "name"), fn->if_contains("arguments"), sig,
                                                       get_string(*c, "id")));
                    // Later turns reuse ids ("call_0"): the latest call wins,
                    // which is the one a following tool message answers.
                    call_names[std::string(get_string(*c, "id"))] = std::string(get_string(*fn, "name"));
                }
            } else if (const json::object *fc = get_object(*m, "function_call")) {
                parts.push_back(function_call_part(get_string(*fc, "name"), fc->if_contains("arguments"), {}));
            }
            // A signature the answer's text carried (message extra_content)
            // goes back on the turn's last text part, where Gemini put it.
            if (std::string_view sig = google_signature(*m); !sig.empty())
                for (auto it = parts.rbegin(); it != parts.rend(); ++it)
                    if (it->as_object().contains("text")) {
                        it->as_object()["thoughtSignature"] = sig;
                        break;
                    }
            if (needs_signatures) add_missing_signature(parts);
            append_turn(contents, "model", std::move(parts));
        } else if (role == "tool") {
            std::string_view id = get_string(*m, "tool_call_id");
            std::string name;
            if (auto it = call_names.find(id); it != call_names.end()) name = it->second;
            else name = std::string(get_string(*m, "name"));
            if (name.empty())
                throw sdk::invalid_request("tool message refers to unknown tool_call_id \"" +
                                           std::string(id) + "\"");
            append_turn(contents, "user", json::array{function_response_part(name, content, id)});
        } else if (role == "function") {
            std::string_view name = get_string(*m, "name");
            if (name.empty()) throw sdk::invalid_request("function message without a name");
            append_turn(contents, "user", json::array{function_response_part(name, content)});
        } else {
            throw sdk::invalid_request("unsupported message role \"" + std::string(role) + "\"");
        }
    }

    json::object g;
    if (!system_parts.empty()) {
        json::object si;
        si["parts"] = std::move(system_parts);
        g["systemInstruction"] = std::move(si);
    }
    g["contents"] = std::move(contents);
    if (const json::array *tools = get_array(u, "tools")) {
        json::array t = translate_tools(*tools, traits.json_schema);
        if (!t.empty()) {
            g["tools"] = std::move(t);
            if (const json::value *tc = u.if_contains("tool_choice"))
                if (auto cfg = translate_tool_choice(*tc)) g["toolConfig"] = std::move(*cfg);
        }
    } else if (const json::array *fns = get_array(u, "functions")) {  // legacy OpenAI functions
        json::array wrapped;
        for (const json::value &f : *fns) {
            json::object t;
            t["type"] = "function";
            t["function"] = f;
            wrapped.push_back(std::move(t));
        }
        json::array t = translate_tools(wrapped, traits.json_schema);
        if (!t.empty()) g["tools"] = std::move(t);
    }
    if (json::object gc = generation_config(u, traits); !gc.empty()) g["generationConfig"] = std::move(gc);
    return g;
}

sdk::HttpRequest Provider::build_chat_request(const sdk::Config &config, std::string_view body_json, bool stream) {
    json::object unified = kit::unified_request(body_json);
    const std::string_view model = config.model;
    sdk::HttpRequest req;
    req.method = "POST";
    req.url = kit::join_url(config.api_base, model_resource(model) +
                                                 (stream ? ":streamGenerateContent?alt=sse" : ":generateContent"));
    kit::add_json_headers(req, stream);
    req.body = kit::to_json(translate_request(unified, model));
    return req;
}

std::optional<sdk::HttpRequest> Provider::build_models_request(const sdk::Config &config) {
    sdk::HttpRequest req;
    req.method = "GET";
    // 1000 is the API's page maximum; a sans-I/O plugin cannot follow pages.
    req.url = kit::join_url(config.api_base, "models?pageSize=1000");
    req.headers.emplace_back("Accept", "application/json");
    return req;
}

}  // namespace switchboard::google
