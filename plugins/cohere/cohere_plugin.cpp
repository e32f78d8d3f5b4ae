// Cohere provider plugin: translates the unified (OpenAI chat-completions)
// format to Cohere's Chat API v2 (POST /v2/chat) and back, streaming included.
//
// Cohere v2 is close to OpenAI in shape but not in detail, so every field is
// mapped explicitly and anything Cohere's spec lacks is dropped: the v2 API
// answers unknown or out-of-range fields with a 400/422.
#include "cohere_lifecycle.hpp"
#include <switchboard/kit/kit.hpp>

#include <cctype>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sdk = ::switchboard::sdk;
namespace kit = ::switchboard::kit;
namespace json = ::boost::json;
using sdk::to_sb;

constexpr std::string_view kName = "Cohere";

// ---------------------------------------------------------------- helpers

using kit::contains_ci;
using kit::ends_with;
using kit::trim;

// The host without any version segment. Users paste the v1 base from older
// docs ("https://api.cohere.ai/v1"), the v2 one, or a bare host; chat always
// lives under /v2 and the model list under /v1, so both derive from the root.
std::string api_root(std::string_view base) {
    auto strip_slashes = [&] {
        while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    };
    strip_slashes();
    if (ends_with(base, "/v1") || ends_with(base, "/v2")) base.remove_suffix(3);
    strip_slashes();
    return std::string(base);
}

std::optional<double> number_of(const json::value *v) {
    if (!v) return std::nullopt;
    if (v->is_double()) return v->get_double();
    if (v->is_int64()) return double(v->get_int64());
    if (v->is_uint64()) return double(v->get_uint64());
    return std::nullopt;
}

int64_t int_of(const json::object *o, std::string_view key, bool &found) {
    found = false;
    if (!o) return 0;
    const json::value *v = o->if_contains(key);
    if (!number_of(v)) return 0;
    found = true;
    return kit::json_count(v, 0);
}

// Integral values stay integers on the wire ("1", not "1E0").
json::value number_value(double d) {
    if (std::floor(d) == d && std::fabs(d) < 9e15) return int64_t(d);
    return d;
}

// The value itself when within [lo, hi], otherwise the nearest bound: OpenAI's
// ranges are wider than Cohere's (temperature 0..2 vs 0..1, top_p up to 1 vs
// p up to 0.99, penalties -2..2 vs 0..1) and Cohere rejects out-of-range values.
json::value clamped(const json::value &v, double lo, double hi) {
    double d = *number_of(&v);
    if (d < lo) return number_value(lo);
    if (d > hi) return number_value(hi);
    return v;
}

sdk::ProviderError api_base_incorrect(int status, std::string_view detail) {
    return sdk::upstream_error(SB_ERROR_API_BASE_INCORRECT, status,
                               "the API base answered, but not with a Cohere API v2 response (" +
                                   std::string(detail) +
                                   "): check api_base (e.g. https://api.cohere.com)");
}

// ----------------------------------------------------------------- errors

bool says_too_many_tokens(std::string_view m) {
    return contains_ci(m, "too many tokens") || contains_ci(m, "context length") ||
           contains_ci(m, "context window") || contains_ci(m, "prompt is too long");
}

bool says_model_not_found(std::string_view m) {
    return (contains_ci(m, "model '") && contains_ci(m, "not found")) ||
           contains_ci(m, "invalid model") || contains_ci(m, "unknown model");
}

bool says_denylisted(std::string_view m) {
    return contains_ci(m, "deny-listed") || contains_ci(m, "denylisted") ||
           contains_ci(m, "blocked") || contains_ci(m, "blacklisted");
}

kit::ClassifiedError make_error(sb_error_kind kind, int status, std::string message,
                                std::string_view api_key) {
    kit::ClassifiedError c;
    c.kind = kind;
    c.status = status;
    c.message = kit::redact(std::move(message), api_key);
    return c;
}

// Cohere's error bodies are {"id"?, "message"} for every status; the statuses
// the kit does not know (498, 499) and the messages that carry the real cause
// (token limit, unknown model) are handled here, the rest by the kit.
kit::ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                   std::string_view api_key) {
    kit::VendorError v = kit::read_vendor_error(body);
    const std::string http = " (HTTP " + std::to_string(status) + ")";
    if (status == 498) {
        // 498 is "invalid token": the spec says it is also used when content
        // holds a deny-listed token, which no new key would fix.
        if (v.has_error && says_denylisted(v.message))
            return make_error(SB_ERROR_CONTENT_FILTER, status, v.message, api_key);
        return make_error(SB_ERROR_INVALID_API_KEY, status,
                          v.message.empty() ? "Cohere rejected the API token" + http : v.message,
                          api_key);
    }
    if (status == 499)
        return make_error(SB_ERROR_UPSTREAM, status,
                          v.message.empty() ? "Cohere cancelled the request" + http : v.message,
                          api_key);
    if (v.has_error && status >= 400 && status < 500 && status != 401 && status != 403 &&
        status != 429) {
        if (says_too_many_tokens(v.message))
            return make_error(SB_ERROR_CONTEXT_LENGTH, status, v.message, api_key);
        if (says_model_not_found(v.message))
            return make_error(SB_ERROR_MODEL_NOT_FOUND, status, v.message, api_key);
    }
    return kit::classify_http_error(status, body, kName, model, api_key);
}

// An error met inside a 2xx answer or a stream, where only text is left.
kit::ClassifiedError classify_message(std::string_view message, std::string_view api_key) {
    std::string m = message.empty() ? std::string("Cohere reported an error") : std::string(message);
    sb_error_kind kind = SB_ERROR_UPSTREAM;
    if (says_too_many_tokens(m)) kind = SB_ERROR_CONTEXT_LENGTH;
    else if (says_model_not_found(m)) kind = SB_ERROR_MODEL_NOT_FOUND;
    else if (contains_ci(m, "rate limit") || contains_ci(m, "too many requests")) kind = SB_ERROR_RATE_LIMITED;
    else if (contains_ci(m, "invalid api token") || contains_ci(m, "invalid api key"))
        kind = SB_ERROR_INVALID_API_KEY;
    return make_error(kind, 0, std::move(m), api_key);
}

// ------------------------------------------------------ request: messages

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
    throw sdk::invalid_request("Cohere does not accept \"" + std::string(type) +
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

json::value arguments_of(const json::object &fn) {
    const json::value *a = fn.if_contains("arguments");
    if (!a || a->is_null()) return "{}";
    if (a->is_string()) return a->get_string().empty() ? json::string("{}") : a->get_string();
    return json::string(kit::to_json(*a));
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
    const json::object *m = mv.if_object();
    if (!m) throw sdk::invalid_request("every entry of \"messages\" must be an object");
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
        throw sdk::invalid_request("Cohere does not accept messages with role \"" +
                                   std::string(role) + "\"");
    }
}

// --------------------------------------------------------- request: tools

json::object cohere_tool(const json::value &tv, bool &strict) {
    const json::object *t = tv.if_object();
    if (!t) throw sdk::invalid_request("every entry of \"tools\" must be an object");
    std::string_view type = kit::get_string(*t, "type");
    if (!type.empty() && type != "function")
        throw sdk::invalid_request("Cohere supports only function tools, not \"" + std::string(type) + "\"");
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

json::object build_body(const json::object &in, std::string_view model, bool stream) {
    json::object body;
    body["model"] = model;

    json::array messages;
    for (const json::value &m : in.at("messages").get_array()) add_message(messages, m);
    body["messages"] = std::move(messages);

    if (const json::value *n = in.if_contains("n"); n && number_of(n) && *number_of(n) > 1)
        throw sdk::invalid_request("Cohere returns one choice per request: \"n\" must be 1");

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
    const json::value *max = in.if_contains("max_completion_tokens");
    if (!max || max->is_null()) max = in.if_contains("max_tokens");
    if (auto n = number_of(max)) {
        if (*n < 1) throw sdk::invalid_request("max_tokens must be at least 1");
        body["max_tokens"] = int64_t(*n);
    }
    if (const json::value *t = in.if_contains("temperature"); number_of(t))
        body["temperature"] = clamped(*t, 0.0, 1.0);
    if (const json::value *p = in.if_contains("top_p"); number_of(p)) body["p"] = clamped(*p, 0.01, 0.99);
    for (std::string_view k : {"frequency_penalty", "presence_penalty"})
        if (const json::value *v = in.if_contains(k); number_of(v)) body[k] = clamped(*v, 0.0, 1.0);
    if (const json::value *s = in.if_contains("seed"); number_of(s) && *number_of(s) >= 0)
        body["seed"] = int64_t(*number_of(s));

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
            throw sdk::invalid_request("Cohere does not support response_format \"" + std::string(type) + "\"");
        }
    }

    for (std::string_view k : kCohereNative)
        if (const json::value *v = in.if_contains(k); v && !v->is_null() && !body.contains(k)) body[k] = *v;

    if (stream) body["stream"] = true;
    return body;
}

// ---------------------------------------------------------------- response

// Cohere's finish reason in OpenAI's terms. ERROR ("the generation failed"),
// TIMEOUT ("exceeded the allowed time limit") and the v1 USER_CANCEL end a
// failed generation: an error, never a "stop" or "length" the client would
// take for a whole answer.
std::string_view finish_reason(std::string_view r, bool has_tool_calls, int http_status = 0) {
    if (r == "ERROR" || r == "TIMEOUT" || r == "USER_CANCEL") throw kit::failed_generation(kName, r, http_status);
    if (r == "TOOL_CALL") return "tool_calls";
    if (r == "MAX_TOKENS" || r == "ERROR_LIMIT") return "length";
    if (r == "ERROR_TOXIC") return "content_filter";
    // COMPLETE, STOP_SEQUENCE and anything newer.
    return has_tool_calls ? "tool_calls" : "stop";
}

// Cohere reports tokens (what the model saw, template included) and billed
// units; the former is what OpenAI's usage means.
json::object usage_of(const json::object *u) {
    const json::object *tokens = u ? kit::get_object(*u, "tokens") : nullptr;
    const json::object *billed = u ? kit::get_object(*u, "billed_units") : nullptr;
    auto pick = [&](std::string_view key) {
        bool found = false;
        int64_t n = int_of(tokens, key, found);
        if (!found) n = int_of(billed, key, found);
        return n;
    };
    int64_t in = pick("input_tokens"), out = pick("output_tokens");
    json::object usage{{"prompt_tokens", in}, {"completion_tokens", out}, {"total_tokens", in + out}};
    bool found = false;
    int64_t cached = int_of(u, "cached_tokens", found);
    if (found) usage["prompt_tokens_details"] = json::object{{"cached_tokens", cached}};
    return usage;
}

// Characters (UTF-8 code points), the unit of Cohere's citation offsets.
int64_t char_count(std::string_view s) {
    int64_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// A Cohere citation as an OpenAI message annotation. OpenAI's own kind,
// url_citation, names a web page; these cite documents and tool results, so
// they go out as {"type":"citation","citation":{...}} with Cohere's fields
// (text, sources, type) and its offsets as start_index/end_index, the shape
// the anthropic plugin gives citations without a URL.
json::object annotation(const json::object &citation, int64_t shift) {
    json::object c;
    for (const auto &kv : citation)
        if (kv.key() != "start" && kv.key() != "end") c[kv.key()] = kv.value();
    bool found = false;
    int64_t start = int_of(&citation, "start", found);
    if (found) c["start_index"] = start + shift;
    int64_t end = int_of(&citation, "end", found);
    if (found) c["end_index"] = end + shift;
    return json::object{{"type", "citation"}, {"citation", std::move(c)}};
}

json::object unified_tool_call(const json::object &tc, size_t index) {
    const json::object *fn = kit::get_object(tc, "function");
    json::object empty;
    const json::object &f = fn ? *fn : empty;
    std::string id(kit::get_string(tc, "id"));
    if (id.empty()) id = "call_" + std::to_string(index);
    return json::object{{"id", id},
                        {"type", "function"},
                        {"function", json::object{{"name", kit::get_string(f, "name")},
                                                  {"arguments", arguments_of(f)}}}};
}

std::string parse_response(const sdk::Config &config, const sdk::HttpResponse &response) {
    if (!kit::is_2xx(response.status))
        throw kit::to_provider_error(
            classify_http(response.status, response.body, config.model, config.api_key));
    bool ok = false;
    json::value v = kit::try_parse(response.body, ok);
    if (!ok) throw api_base_incorrect(response.status, "body is not JSON");
    const json::object *o = v.if_object();
    if (!o) throw api_base_incorrect(response.status, "body is not a JSON object");
    const json::object *msg = kit::get_object(*o, "message");
    if (!msg) {
        if (auto m = kit::get_string(*o, "message"); !m.empty()) {
            kit::ClassifiedError c = classify_message(m, config.api_key);
            c.status = response.status;
            throw kit::to_provider_error(c);
        }
        throw api_base_incorrect(response.status, "no \"message\" object");
    }

    std::string text, thinking;
    if (const json::array *content = kit::get_array(*msg, "content"))
        for (const json::value &b : *content) {
            const json::object *bo = b.if_object();
            if (!bo) continue;
            std::string_view type = kit::get_string(*bo, "type");
            if (type == "text") text += std::string(kit::get_string(*bo, "text"));
            else if (type == "thinking") thinking += std::string(kit::get_string(*bo, "thinking"));
        }
    json::array calls;
    if (const json::array *tcs = kit::get_array(*msg, "tool_calls"))
        for (const json::value &tc : *tcs)
            if (const json::object *t = tc.if_object()) calls.push_back(unified_tool_call(*t, calls.size()));

    // The tool plan is the text the model writes before its tool calls; it
    // is the message content, as the text before an Anthropic tool_use block
    // is (and an assistant content next to tool_calls goes back as tool_plan).
    int64_t shift = 0;  // citation offsets count from the start of the text
    if (std::string_view plan = kit::get_string(*msg, "tool_plan"); !plan.empty()) {
        std::string prefix = text.empty() ? std::string(plan) : std::string(plan) + "\n\n";
        if (!text.empty()) shift = char_count(prefix);
        text = prefix + text;
    }

    std::string_view finish = finish_reason(kit::get_string(*o, "finish_reason"), !calls.empty(), response.status);
    json::object message{{"role", "assistant"}};
    if (text.empty() && !calls.empty()) message["content"] = nullptr;
    else message["content"] = text;
    // The de-facto OpenAI-compatible field for reasoning text (DeepSeek,
    // vLLM); clients that do not know it ignore it.
    if (!thinking.empty()) message["reasoning_content"] = thinking;
    if (!calls.empty()) message["tool_calls"] = calls;
    if (const json::array *citations = kit::get_array(*msg, "citations"); citations && !citations->empty()) {
        json::array annotations;
        for (const json::value &c : *citations)
            if (const json::object *co = c.if_object()) annotations.push_back(annotation(*co, shift));
        message["annotations"] = std::move(annotations);
    }

    json::object choice{{"index", 0},
                        {"message", std::move(message)},
                        {"finish_reason", finish},
                        {"logprobs", nullptr}};
    json::object out{{"id", kit::get_string(*o, "id")},
                     {"object", "chat.completion"},
                     {"created", int64_t(std::time(nullptr))},
                     {"model", config.model},
                     {"choices", json::array{std::move(choice)}},
                     {"usage", usage_of(kit::get_object(*o, "usage"))}};
    return kit::to_json(out);
}

// ------------------------------------------------------------------ stream

class CohereStream final : public sdk::Stream {
public:
    CohereStream(std::string model, std::string api_key)
        : model_(std::move(model)), api_key_(std::move(api_key)), created_(int64_t(std::time(nullptr))) {}

    bool on_event(std::string_view event, std::string_view data, const sdk::ChunkWriter &out) override {
        std::string_view payload = trim(data);
        if (payload.empty()) return false;
        if (payload == "[DONE]") return true;
        bool ok = false;
        json::value v = kit::try_parse(payload, ok);
        const json::object *o = ok ? v.if_object() : nullptr;
        if (!o) throw api_base_incorrect(0, "stream event is not a JSON object");
        // The SSE event name and the data's "type" say the same thing; the
        // data is authoritative because proxies may drop event lines.
        std::string_view type = kit::get_string(*o, "type");
        if (type.empty()) type = trim(event);

        if (type == "error" || (type.empty() && (o->contains("message") || o->contains("error"))))
            throw kit::to_provider_error(classify_message(error_text(*o), api_key_));

        const json::object *delta = kit::get_object(*o, "delta");
        const json::object *dmsg = delta ? kit::get_object(*delta, "message") : nullptr;

        if (type == "message-start") {
            if (auto id = kit::get_string(*o, "id"); !id.empty()) id_ = std::string(id);
            ensure_role(out);
        } else if (type == "content-start" || type == "content-delta") {
            const json::object *c = dmsg ? kit::get_object(*dmsg, "content") : nullptr;
            if (!c) return false;
            if (auto t = kit::get_string(*c, "text"); !t.empty()) emit_delta(out, {{"content", t}});
            if (auto t = kit::get_string(*c, "thinking"); !t.empty())
                emit_delta(out, {{"reasoning_content", t}});
        } else if (type == "tool-plan-delta") {
            // The text before the tool calls: content, as in the answer.
            if (auto plan = dmsg ? kit::get_string(*dmsg, "tool_plan") : std::string_view(); !plan.empty())
                emit_delta(out, {{"content", plan}});
        } else if (type == "citation-start") {
            const json::value *c = dmsg ? dmsg->if_contains("citations") : nullptr;
            json::array annotations;
            if (const json::object *co = c ? c->if_object() : nullptr) annotations.push_back(annotation(*co, 0));
            if (const json::array *ca = c ? c->if_array() : nullptr)
                for (const json::value &x : *ca)
                    if (const json::object *xo = x.if_object()) annotations.push_back(annotation(*xo, 0));
            if (!annotations.empty()) emit_delta(out, {{"annotations", std::move(annotations)}});
        } else if (type == "tool-call-start") {
            const json::object *tc = dmsg ? tool_call_of(*dmsg) : nullptr;
            if (!tc) return false;
            int index = next_tool_++;
            tool_index_[vendor_index(*o, index)] = index;
            last_tool_ = index;
            const json::object *fn = kit::get_object(*tc, "function");
            json::object empty;
            std::string id(kit::get_string(*tc, "id"));
            if (id.empty()) id = "call_" + std::to_string(index);
            json::object call{{"index", index},
                              {"id", id},
                              {"type", "function"},
                              {"function", json::object{{"name", kit::get_string(fn ? *fn : empty, "name")},
                                                        {"arguments", kit::get_string(fn ? *fn : empty, "arguments")}}}};
            emit_delta(out, {{"tool_calls", json::array{std::move(call)}}});
        } else if (type == "tool-call-delta") {
            const json::object *tc = dmsg ? tool_call_of(*dmsg) : nullptr;
            const json::object *fn = tc ? kit::get_object(*tc, "function") : nullptr;
            std::string_view args = fn ? kit::get_string(*fn, "arguments") : std::string_view();
            if (args.empty()) return false;
            int index = last_tool_ < 0 ? 0 : last_tool_;
            if (auto it = tool_index_.find(vendor_index(*o, -1)); it != tool_index_.end()) index = it->second;
            json::object call{{"index", index}, {"function", json::object{{"arguments", args}}}};
            emit_delta(out, {{"tool_calls", json::array{std::move(call)}}});
        } else if (type == "message-end") {
            if (delta)
                if (auto err = kit::get_string(*delta, "error"); !err.empty())
                    throw kit::to_provider_error(classify_message(err, api_key_));
            ensure_role(out);
            std::string_view reason = delta ? kit::get_string(*delta, "finish_reason") : std::string_view();
            emit(out, chunk(json::object(), json::string(finish_reason(reason, next_tool_ > 0))));
            emit_usage(out, usage_of(delta ? kit::get_object(*delta, "usage") : nullptr));
            return true;
        }
        // content-end, tool-call-end, citation-end, debug and event types
        // added later carry nothing to forward.
        return false;
    }

    void finish(const sdk::ChunkWriter &out) override {
        if (!usage_sent_) emit_usage(out, usage_of(nullptr));
    }

private:
    static std::string error_text(const json::object &o) {
        if (auto m = kit::get_string(o, "message"); !m.empty()) return std::string(m);
        if (const json::value *e = o.if_contains("error")) return kit::read_error_value(*e).message;
        return {};
    }

    // tool_calls is one object in stream deltas; tolerate a one-element array.
    static const json::object *tool_call_of(const json::object &dmsg) {
        const json::value *v = dmsg.if_contains("tool_calls");
        if (!v) return nullptr;
        if (const json::array *a = v->if_array()) return a->empty() ? nullptr : (*a)[0].if_object();
        return v->if_object();
    }

    static int64_t vendor_index(const json::object &o, int64_t fallback) {
        auto n = number_of(o.if_contains("index"));
        return n ? int64_t(*n) : fallback;
    }

    json::object chunk(json::object delta, json::value finish) const {
        json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish)}};
        return json::object{{"id", id_},
                            {"object", "chat.completion.chunk"},
                            {"created", created_},
                            {"model", model_},
                            {"choices", json::array{std::move(choice)}}};
    }

    static void emit(const sdk::ChunkWriter &out, const json::object &c) { out.emit(kit::to_json(c)); }

    void ensure_role(const sdk::ChunkWriter &out) {
        if (role_sent_) return;
        role_sent_ = true;
        emit(out, chunk(json::object{{"role", "assistant"}, {"content", ""}}, nullptr));
    }

    void emit_delta(const sdk::ChunkWriter &out, json::object delta) {
        ensure_role(out);
        emit(out, chunk(std::move(delta), nullptr));
    }

    void emit_usage(const sdk::ChunkWriter &out, json::object usage) {
        json::object c = chunk(json::object(), nullptr);
        c["choices"] = json::array();
        c["usage"] = std::move(usage);
        emit(out, c);
        usage_sent_ = true;
    }

    std::string model_;
    std::string api_key_;
    std::string id_;
    int64_t created_;
    bool role_sent_ = false;
    bool usage_sent_ = false;
    std::map<int64_t, int> tool_index_;  // Cohere's event index -> OpenAI tool index
    int next_tool_ = 0;
    int last_tool_ = -1;
};

// --------------------------------------------------------------- provider

class CohereProvider final : public sdk::Provider {
public:
    // What the vendor announced of retired and deprecated models.
    const void *extension(const char *id) override {
        return ::switchboard::kit::lifecycle_extension(id, ::sb_cohere::kModelLifecycle);
    }

    static const sb_provider_descriptor &descriptor() {
        static const sb_str models[] = {
            to_sb("command-a-03-2025"),          to_sb("command-a-vision-07-2025"),
            to_sb("command-a-reasoning-08-2025"), to_sb("command-a-translate-08-2025"),
            to_sb("command-r7b-12-2024"),        to_sb("command-r-plus-08-2024"),
            to_sb("command-r-08-2024"),          to_sb("command-r-plus"),
            to_sb("command-r"),                  to_sb("command"),
            to_sb("command-light"),              to_sb("command-nightly"),
        };
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor),
            to_sb("cohere"),
            to_sb("Cohere"),
            to_sb("1.0.0"),
            to_sb("command"),
            to_sb("https://api.cohere.ai/v1"),
            to_sb("COHERE_API_KEY"),
            to_sb("COHERE_MODEL"),
            to_sb("COHERE_API_BASE"),
            SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING |
                SB_CAP_REQUIRES_API_KEY,
            SB_FRAMING_SSE,
            models,
            sizeof(models) / sizeof(models[0]),
        };
        return d;
    }

    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override {
        require_base(config);
        json::object in = kit::parse_chat_request(body_json);
        std::string model(config.model.empty() ? kit::get_string(in, "model") : config.model);
        if (model.empty())
            throw sdk::not_configured(
                "cohere provider has no model: set COHERE_MODEL or POST /api/backdoor/llm/config with model");
        require_key(config);
        sdk::HttpRequest req;
        req.method = "POST";
        req.url = api_root(config.api_base) + "/v2/chat";
        kit::add_json_headers(req, stream);
        kit::add_bearer_auth(req, config.api_key);
        req.body = kit::to_json(build_body(in, model, stream));
        return req;
    }

    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override {
        return parse_response(config, response);
    }

    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view body_json) override {
        std::string model(config.model);
        if (model.empty()) {
            bool ok = false;
            json::value v = kit::try_parse(body_json, ok);
            if (const json::object *o = ok ? v.if_object() : nullptr) model = std::string(kit::get_string(*o, "model"));
        }
        return std::make_unique<CohereStream>(std::move(model), std::string(config.api_key));
    }

    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override {
        require_base(config);
        require_key(config);
        sdk::HttpRequest req;
        req.method = "GET";
        // The model list lives only under /v1; endpoint=chat keeps out embed
        // and rerank models, and one large page avoids pagination.
        req.url = api_root(config.api_base) + "/v1/models?endpoint=chat&page_size=1000";
        req.headers.emplace_back("Accept", "application/json");
        kit::add_bearer_auth(req, config.api_key);
        return req;
    }

    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override {
        if (!kit::is_2xx(response.status))
            throw kit::to_provider_error(classify_http(response.status, response.body, {}, config.api_key));
        bool ok = false;
        json::value v = kit::try_parse(response.body, ok);
        if (!ok) throw api_base_incorrect(response.status, "model list is not JSON");
        const json::object *o = v.if_object();
        const json::array *models = o ? kit::get_array(*o, "models") : nullptr;
        if (!models) throw api_base_incorrect(response.status, "model list has no \"models\" array");
        std::vector<sdk::ModelEntry> out;
        for (const json::value &m : *models) {
            const json::object *mo = m.if_object();
            if (!mo) continue;
            std::string_view name = kit::get_string(*mo, "name");
            if (name.empty()) continue;
            // A server that ignored the endpoint filter still must not offer
            // embed or rerank models for chat.
            if (const json::array *eps = kit::get_array(*mo, "endpoints")) {
                bool chat = false;
                for (const json::value &e : *eps) chat = chat || (e.is_string() && e.get_string() == "chat");
                if (!chat) continue;
            }
            out.push_back({std::string(name), {}});
        }
        return out;
    }

private:
    static void require_base(const sdk::Config &config) {
        if (config.api_base.empty())
            throw sdk::not_configured(
                "cohere provider has no API base: set COHERE_API_BASE or POST /api/backdoor/llm/config with api_base");
    }
    static void require_key(const sdk::Config &config) {
        if (config.api_key.empty())
            throw sdk::not_configured(
                "cohere provider has no API key: set COHERE_API_KEY or POST /api/backdoor/llm/config with api_key");
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(CohereProvider)
