#include <switchboard/kit/kit.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <cctype>

namespace switchboard::kit {

namespace {

std::string value_text(const json::value &v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_int64()) return std::to_string(v.get_int64());
    if (v.is_uint64()) return std::to_string(v.get_uint64());
    return {};
}

std::string snippet(std::string_view body) {
    std::string s;
    for (char c : body.substr(0, 120)) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    return s;
}

// Boost.JSON parses an out-of-range number such as 1e999 as an infinity and
// would serialize it as the non-JSON token "Infinity"; every parsed document
// goes through this so no plugin can emit one. Returns whether any was found.
bool null_non_finite(json::value &v) {
    switch (v.kind()) {
    case json::kind::double_:
        if (std::isfinite(v.get_double())) return false;
        v = nullptr;
        return true;
    case json::kind::array: {
        bool found = false;
        for (json::value &e : v.get_array()) found |= null_non_finite(e);
        return found;
    }
    case json::kind::object: {
        bool found = false;
        for (auto &kv : v.get_object()) found |= null_non_finite(kv.value());
        return found;
    }
    default:
        return false;
    }
}

}  // namespace

json::value try_parse(std::string_view text, bool &ok, json::storage_ptr storage) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec, std::move(storage));
    ok = !ec;
    if (ec) return nullptr;
    null_non_finite(v);
    return v;
}

json::object unified_request(std::string_view body_json, json::storage_ptr storage) {
    // The host validated the body: a failure here is a broken host, left to
    // the sdk's exception firewall.
    json::value v = json::parse(body_json, std::move(storage));
    if (null_non_finite(v)) throw sdk::invalid_request("request body has a number out of range");
    return std::move(v.as_object());
}

std::string to_json(const json::value &v) { return json::serialize(v); }

std::optional<sdk::Usage> usage_of_unified(const json::object &o) {
    const json::object *usage = get_object(o, "usage");
    if (!usage) return std::nullopt;
    sdk::Usage u;
    u.prompt_tokens = json_count(usage->if_contains("prompt_tokens"), SB_USAGE_UNKNOWN);
    u.completion_tokens = json_count(usage->if_contains("completion_tokens"), SB_USAGE_UNKNOWN);
    if (const json::object *details = get_object(*usage, "prompt_tokens_details"))
        u.cached_tokens = json_count(details->if_contains("cached_tokens"), SB_USAGE_UNKNOWN);
    if (const json::object *details = get_object(*usage, "completion_tokens_details"))
        u.reasoning_tokens = json_count(details->if_contains("reasoning_tokens"), SB_USAGE_UNKNOWN);
    return u;
}

void emit_chunk(const sdk::ChunkWriter &out, const json::object &chunk, std::string_view as_received) {
    // Before the chunk that carries it, as the SDK asks.
    if (auto usage = usage_of_unified(chunk)) out.usage(*usage);
    if (!as_received.empty()) {
        out.emit(as_received);
        return;
    }
    out.emit(json::serialize(chunk));
}

std::string completion_json(const sdk::HttpResponse &response, const json::object &completion,
                            std::string_view as_received) {
    if (auto usage = usage_of_unified(completion)) response.usage(*usage);
    if (!as_received.empty()) return std::string(as_received);
    return json::serialize(completion);
}

std::string completion_json(const sdk::HttpResponse &response, const std::optional<sdk::Usage> &usage,
                            std::string_view as_received) {
    if (usage) response.usage(*usage);
    return std::string(as_received);
}

void ChunkHeader::learn(const json::object &vendor_chunk) {
    if (id.empty()) id = std::string(get_string(vendor_chunk, "id"));
    if (vendor_model.empty()) vendor_model = std::string(get_string(vendor_chunk, "model"));
    if (created == 0) created = json_count(vendor_chunk.if_contains("created"), 0);
}

json::object ChunkHeader::chunk() const {
    json::object c;
    c["id"] = id;
    c["object"] = "chat.completion.chunk";
    c["created"] = created;
    c["model"] = vendor_model.empty() ? model : vendor_model;
    return c;
}

json::object ChunkHeader::delta_chunk(json::object delta, json::value finish_reason, std::int64_t index) const {
    json::object choice;
    choice["index"] = index;
    choice["delta"] = std::move(delta);
    choice["finish_reason"] = std::move(finish_reason);
    json::object c = chunk();
    c["choices"] = json::array{std::move(choice)};
    return c;
}

json::object ChunkHeader::usage_chunk(json::value usage) const {
    json::object c = chunk();
    c["choices"] = json::array();
    if (usage.is_null()) usage = json::object{{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
    c["usage"] = std::move(usage);
    return c;
}

std::string_view get_string(const json::object &o, std::string_view key, std::string_view fallback) {
    const json::value *v = o.if_contains(key);
    if (!v || !v->is_string()) return fallback;
    return v->get_string();
}

std::int64_t get_int(const json::object &o, std::string_view key, std::int64_t fallback) {
    const json::value *v = o.if_contains(key);
    if (!v) return fallback;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= std::uint64_t(INT64_MAX)) return std::int64_t(v->get_uint64());
    return fallback;
}

std::optional<double> get_number(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    if (!v || !v->is_number()) return std::nullopt;
    return v->to_number<double>();
}

std::optional<std::int64_t> get_count(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    if (!v || !v->is_number()) return std::nullopt;
    return json_count(v, 0);
}

bool get_bool(const json::object &o, std::string_view key, bool fallback) {
    const json::value *v = o.if_contains(key);
    return v && v->is_bool() ? v->get_bool() : fallback;
}

const json::object *get_object(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array *get_array(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

std::string join_url(std::string_view base, std::string_view path) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    std::string url;
    url.reserve(base.size() + 1 + path.size());  // one allocation, not a regrowth
    url = base;
    if (!path.empty()) {
        url += '/';
        url += path;
    }
    return url;
}

void add_json_headers(sdk::HttpRequest &req, bool stream) {
    req.headers.reserve(req.headers.size() + 2);
    req.headers.emplace_back("Content-Type", "application/json");
    req.headers.emplace_back("Accept", stream ? "text/event-stream" : "application/json");
}

std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 3))
        text.replace(pos, secret.size(), "***");
    return text;
}

VendorError read_error_value(const json::value &error) {
    VendorError e;
    e.is_json = true;
    if (error.is_string()) {
        e.has_error = true;
        e.message = std::string(error.get_string());
        return e;
    }
    if (const json::object *o = error.if_object()) {
        e.has_error = true;
        e.message = std::string(get_string(*o, "message"));
        e.type = std::string(get_string(*o, "type"));
        if (const json::value *c = o->if_contains("code")) e.code = value_text(*c);
        if (e.code.empty() || std::isdigit(static_cast<unsigned char>(e.code[0])))
            if (auto s = get_string(*o, "status"); !s.empty()) e.code = std::string(s);
    }
    return e;
}

VendorError read_vendor_error(std::string_view body) {
    bool ok = false;
    json::value v = try_parse(body, ok);
    VendorError e;
    if (!ok) return e;
    if (json::array *a = v.if_array(); a && !a->empty()) v = (*a)[0];
    e.is_json = true;
    const json::object *o = v.if_object();
    if (!o) return e;
    if (const json::value *err = o->if_contains("error"); err && !err->is_null()) {
        e = read_error_value(*err);
        if (e.has_error && !e.message.empty()) return e;
        e.is_json = true;
    }
    if (auto m = get_string(*o, "message"); !m.empty()) {
        e.has_error = true;
        e.message = std::string(m);
        if (auto t = get_string(*o, "type"); !t.empty()) e.type = std::string(t);
        if (const json::value *c = o->if_contains("code")) e.code = value_text(*c);
    } else if (auto d = get_string(*o, "detail"); !d.empty()) {
        e.has_error = true;
        e.message = std::string(d);
    }
    return e;
}

namespace {

bool is_context_length(const VendorError &v) {
    return v.code == "context_length_exceeded" || v.type == "context_length_exceeded" ||
           contains_ci(v.message, "context length") || contains_ci(v.message, "context_length") ||
           contains_ci(v.message, "context window");
}

// A 403 is about the key itself only when the vendor says so (or says
// nothing at all); otherwise it is a permission the key lacks.
bool says_bad_key(const VendorError &v) {
    if (!v.has_error || v.message.empty()) return true;
    // Not any mention of "API key": OpenAI's missing-scope 403 says "if
    // you're using a restricted API key, that it has the necessary scopes".
    return v.code == "invalid_api_key" || v.type == "authentication_error" ||
           contains_ci(v.message, "invalid api key") || contains_ci(v.message, "incorrect api key") ||
           contains_ci(v.message, "invalid token");
}

// Codes vendors use for a model that cannot be served: OpenAI's
// model_not_found, Together's model_not_available (a model taken off its
// serverless tier, answered with HTTP 400).
bool is_model_code(const VendorError &v) {
    return v.code == "model_not_found" || v.type == "model_not_found" || v.code == "model_not_available" ||
           v.type == "model_not_available";
}

bool is_model_not_found(const VendorError &v, std::string_view model) {
    return is_model_code(v) ||
           (!model.empty() && v.message.find(model) != std::string::npos) ||
           contains_ci(v.message, "model");
}

ClassifiedError classify(int status, const VendorError &v, std::string_view provider_name,
                         std::string_view model) {
    ClassifiedError c;
    c.status = status;
    c.message = v.message;
    const std::string who = std::string(provider_name);
    const std::string http = status ? " (HTTP " + std::to_string(status) + ")" : std::string();

    if (status >= 300 && status < 400) {
        c.kind = SB_ERROR_API_BASE_INCORRECT;
        c.message = "the " + who + " API base answered with a redirect" + http +
                    ": check api_base (scheme, host and path, e.g. .../v1)";
        return c;
    }
    if (status == 401 || v.code == "invalid_api_key" || (status == 403 && says_bad_key(v))) {
        c.kind = SB_ERROR_INVALID_API_KEY;
        if (c.message.empty()) c.message = who + " rejected the API key" + http;
        return c;
    }
    if (status == 403) {
        // A valid key without the right to this: a region block
        // (unsupported_country_region_territory), a project key missing a
        // scope, an organisation without access. A new key would not help.
        c.kind = SB_ERROR_PERMISSION_DENIED;
        return c;
    }
    if (status == 429 || v.code == "rate_limit_exceeded" || v.code == "insufficient_quota") {
        c.kind = SB_ERROR_RATE_LIMITED;
        if (c.message.empty()) c.message = who + " rate limit or quota exceeded" + http;
        return c;
    }
    if (status == 404 || (status == 405 && !v.has_error)) {
        if (v.has_error && is_model_not_found(v, model)) {
            c.kind = SB_ERROR_MODEL_NOT_FOUND;
            return c;
        }
        c.kind = SB_ERROR_API_BASE_INCORRECT;
        c.message = "the " + who + " API base does not serve this API" + http +
                    (v.message.empty() ? std::string() : ": " + v.message) +
                    "; check api_base (e.g. it usually ends with /v1)";
        return c;
    }
    if (is_model_code(v)) {
        c.kind = SB_ERROR_MODEL_NOT_FOUND;
        return c;
    }
    if (is_context_length(v) && (status == 400 || status == 413 || status == 0)) {
        c.kind = SB_ERROR_CONTEXT_LENGTH;
        return c;
    }
    if (v.code == "content_filter" || v.code == "content_policy_violation") {
        c.kind = SB_ERROR_CONTENT_FILTER;
        return c;
    }
    if (status >= 400 && status < 500) {
        c.kind = SB_ERROR_INVALID_REQUEST;
        if (c.message.empty()) c.message = who + " rejected the request" + http;
        return c;
    }
    c.kind = SB_ERROR_UPSTREAM;
    if (c.message.empty()) c.message = who + " upstream error" + http;
    return c;
}

}  // namespace

ClassifiedError classify_http_error(int status, std::string_view body,
                                    std::string_view provider_name, std::string_view model,
                                    std::string_view api_key) {
    VendorError v = read_vendor_error(body);
    if (!v.is_json && v.message.empty() && !body.empty() && status >= 400 && status != 401 &&
        status != 403 && status != 429 && status < 500) {
        // An HTML or plain-text 4xx: the base is not an API of this kind.
        ClassifiedError c;
        c.status = status;
        c.kind = (status == 404 || status == 405 || status == 400) ? SB_ERROR_API_BASE_INCORRECT
                                                                   : SB_ERROR_INVALID_REQUEST;
        c.message = c.kind == SB_ERROR_API_BASE_INCORRECT
                        ? "the " + std::string(provider_name) +
                              " API base answered HTTP " + std::to_string(status) +
                              " with a non-JSON body: check api_base (e.g. it usually ends with /v1)"
                        : std::string(provider_name) + " rejected the request (HTTP " +
                              std::to_string(status) + "): " + snippet(body);
        c.message = redact(std::move(c.message), api_key);
        return c;
    }
    ClassifiedError c = classify(status, v, provider_name, model);
    c.message = redact(std::move(c.message), api_key);
    return c;
}

ClassifiedError classify_error_value(const json::value &error, std::string_view provider_name,
                                     std::string_view model, std::string_view api_key) {
    VendorError v = read_error_value(error);
    int status = 0;
    if (const json::object *o = error.if_object())
        if (const json::value *c = o->if_contains("code"); c && c->is_int64())
            status = int(c->get_int64());
    ClassifiedError c = classify(status >= 300 && status < 600 ? status : 0, v, provider_name, model);
    if (c.status == 0 && c.kind == SB_ERROR_INVALID_REQUEST) c.kind = SB_ERROR_UPSTREAM;
    if (c.message.empty()) c.message = std::string(provider_name) + " reported an error";
    c.message = redact(std::move(c.message), api_key);
    return c;
}

sdk::ProviderError to_provider_error(const ClassifiedError &e) {
    return sdk::upstream_error(e.kind, e.status, e.message);
}

sdk::ProviderError failed_generation(std::string_view provider_name, std::string_view reason, int http_status) {
    return sdk::upstream_error(SB_ERROR_UPSTREAM, http_status,
                               std::string(provider_name) + " stopped the generation with finish reason \"" +
                                   std::string(reason) + "\": the answer is incomplete; retry the request");
}

sdk::ProviderError api_base_incorrect(int status, std::string_view detail) {
    std::string m = "the API base answered, but not with an OpenAI-compatible response";
    if (!detail.empty()) {
        m += " (";
        m += detail;
        m += ")";
    }
    m += ": check api_base";
    return sdk::upstream_error(SB_ERROR_API_BASE_INCORRECT, status, std::move(m));
}

std::int64_t json_count(const json::value *v, std::int64_t fallback) {
    constexpr std::int64_t kMax = 1'000'000'000'000'000;
    if (!v) return fallback;
    if (v->is_int64()) return std::clamp<std::int64_t>(v->get_int64(), 0, kMax);
    if (v->is_uint64()) return v->get_uint64() > std::uint64_t(kMax) ? kMax : std::int64_t(v->get_uint64());
    if (v->is_double()) {
        double d = v->get_double();
        if (!(d >= 0)) return 0;  // negative or NaN
        return d >= double(kMax) ? kMax : std::int64_t(d);
    }
    return fallback;
}

}  // namespace switchboard::kit
