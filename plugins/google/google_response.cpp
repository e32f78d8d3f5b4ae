// Gemini responses, stream chunks, errors and model lists -> unified
// (OpenAI chat-completions) shapes.
#include "google.hpp"

#include <atomic>
#include <cctype>
#include <ctime>

namespace switchboard::google {

namespace {

using kit::get_array;
using kit::get_object;
using kit::get_string;

using kit::contains_ci;
using kit::trim;

int64_t int_of(const json::object &o, std::string_view key) { return kit::json_count(o.if_contains(key), 0); }

// ------------------------------------------------------------- errors

struct GeminiError {
    bool found = false;
    int code = 0;
    std::string message;
    std::string status;  // "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", ...
    std::string reason;  // details[] ErrorInfo.reason, e.g. "API_KEY_INVALID"
    std::string retry_delay;
};

GeminiError read_error_object(const json::value &v) {
    GeminiError e;
    const json::object *o = v.if_object();
    if (!o) {
        if (v.is_string()) {
            e.found = true;
            e.message = std::string(v.get_string());
        }
        return e;
    }
    e.found = true;
    e.code = int(int_of(*o, "code"));
    e.message = std::string(get_string(*o, "message"));
    e.status = std::string(get_string(*o, "status"));
    if (e.status.empty())  // OpenAI-shaped errors from proxies in front of Gemini
        if (const json::value *c = o->if_contains("code"); c && c->is_string()) e.status = std::string(c->get_string());
    if (const json::array *details = get_array(*o, "details"))
        for (const json::value &d : *details) {
            const json::object *dobj = d.if_object();
            if (!dobj) continue;
            if (auto r = get_string(*dobj, "reason"); !r.empty() && e.reason.empty()) e.reason = std::string(r);
            if (auto r = get_string(*dobj, "retryDelay"); !r.empty()) e.retry_delay = std::string(r);
        }
    return e;
}

// The error object of a body that is {"error":{...}} or [{"error":{...}}].
const json::value *error_member(const json::value &body) {
    const json::value *v = &body;
    if (const json::array *a = body.if_array()) {
        if (a->empty()) return nullptr;
        v = &(*a)[0];
    }
    const json::object *o = v->if_object();
    if (!o) return nullptr;
    const json::value *err = o->if_contains("error");
    return err && !err->is_null() ? err : nullptr;
}

kit::ClassifiedError classify_gemini(int http_status, const GeminiError &e, std::string_view model,
                                     std::string_view api_key) {
    kit::ClassifiedError c;
    c.status = http_status;
    c.message = e.message;
    const int st = http_status ? http_status : (e.code >= 300 && e.code < 600 ? e.code : 0);
    const std::string &s = e.status;
    const bool key_reason = e.reason == "API_KEY_INVALID" || e.reason == "API_KEY_EXPIRED" ||
                            contains_ci(e.message, "API key not valid") ||
                            contains_ci(e.message, "API key expired");
    auto fallback = [&](std::string text) {
        if (c.message.empty()) c.message = std::string(kDisplayName) + " " + std::move(text) +
                                           (st ? " (HTTP " + std::to_string(st) + ")" : std::string());
    };

    if (st >= 300 && st < 400) {
        c.kind = SB_ERROR_API_BASE_INCORRECT;
        c.message = "the " + std::string(kDisplayName) + " API base answered with a redirect (HTTP " + std::to_string(st) +
                    "): check api_base (e.g. https://generativelanguage.googleapis.com/v1beta)";
    } else if (key_reason || st == 401 || s == "UNAUTHENTICATED") {
        c.kind = SB_ERROR_INVALID_API_KEY;
        fallback("rejected the API key");
    } else if (st == 403 || s == "PERMISSION_DENIED") {
        // 403 is both "no/leaked/blocked key" and "this key may not use that
        // resource" (tuned model, disabled API): the message tells them apart.
        const bool about_key = e.reason.rfind("API_KEY", 0) == 0 || contains_ci(e.message, "API key") ||
                               contains_ci(e.message, "unregistered callers");
        c.kind = about_key ? SB_ERROR_INVALID_API_KEY : SB_ERROR_PERMISSION_DENIED;
        fallback("denied permission");
    } else if (st == 429 || s == "RESOURCE_EXHAUSTED") {
        c.kind = SB_ERROR_RATE_LIMITED;
        fallback("rate limit or quota exceeded");
        if (!e.retry_delay.empty()) c.message += " (retry after " + e.retry_delay + ")";
    } else if (st == 404 || s == "NOT_FOUND") {
        if (contains_ci(e.message, "model") || (!model.empty() && contains_ci(e.message, model))) {
            c.kind = SB_ERROR_MODEL_NOT_FOUND;
            fallback("model not found");
        } else {
            c.kind = SB_ERROR_API_BASE_INCORRECT;
            c.message = "the " + std::string(kDisplayName) + " API base does not serve this API (HTTP 404" +
                        (e.message.empty() ? std::string(")") : "): " + e.message) +
                        "; check api_base (e.g. https://generativelanguage.googleapis.com/v1beta)";
        }
    } else if (contains_ci(e.message, "input token count") ||
               contains_ci(e.message, "exceeds the maximum number of tokens") ||
               contains_ci(e.message, "context length")) {
        c.kind = SB_ERROR_CONTEXT_LENGTH;
    } else if (s == "FAILED_PRECONDITION" && contains_ci(e.message, "location is not supported")) {
        c.kind = SB_ERROR_PERMISSION_DENIED;
    } else if ((st >= 400 && st < 500) || s == "INVALID_ARGUMENT" || s == "FAILED_PRECONDITION" ||
               s == "OUT_OF_RANGE") {
        c.kind = SB_ERROR_INVALID_REQUEST;
        fallback("rejected the request");
    } else {
        c.kind = SB_ERROR_UPSTREAM;
        fallback("upstream error");
    }
    c.message = kit::redact(std::move(c.message), api_key);
    return c;
}

// ------------------------------------------------------ translation

}  // namespace

sdk::ProviderError not_gemini(int status, std::string_view detail) {
    return sdk::upstream_error(
        SB_ERROR_API_BASE_INCORRECT, status,
        "the API base answered, but not with a Gemini API response (" + std::string(detail) +
            "): check api_base (e.g. https://generativelanguage.googleapis.com/v1beta)");
}

std::string fallback_id() {
    static std::atomic<uint64_t> counter{0};
    return "chatcmpl-gemini-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(++counter);
}

// Every finishReason Gemini documents, mapped onto OpenAI's; the ones that
// mean the call failed are errors, never a quiet "stop". finish_message is
// Gemini's own explanation (finishMessage), quoted in the error.
std::string map_finish(std::string_view reason, bool has_calls, std::string_view finish_message) {
    if (reason == "STOP") return has_calls ? "tool_calls" : "stop";
    if (reason == "MAX_TOKENS") return "length";
    static constexpr std::string_view filtered[] = {
        "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
        "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"};
    for (std::string_view f : filtered)
        if (reason == f) return "content_filter";
    // MISSING_THOUGHT_SIGNATURE: the request replayed a Gemini 3 function
    // call without its signature, so it is the request that was wrong.
    // MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS,
    // IMAGE_OTHER, NO_IMAGE, OTHER, FINISH_REASON_UNSPECIFIED and any newer
    // reason: the model failed to produce an answer.
    const sb_error_kind kind =
        reason == "MISSING_THOUGHT_SIGNATURE" ? SB_ERROR_INVALID_REQUEST : SB_ERROR_UPSTREAM;
    std::string message = std::string(kDisplayName) + " stopped without an answer (finishReason " +
                          std::string(reason) + ")";
    if (!finish_message.empty()) message += ": " + std::string(finish_message);
    throw sdk::upstream_error(kind, 0, std::move(message));
}

json::object usage_of(const json::object *um) {
    // Tool-use prompts (search results, code output fed back) are input the
    // vendor bills and counts in totalTokenCount.
    const int64_t prompt =
        um ? int_of(*um, "promptTokenCount") + int_of(*um, "toolUsePromptTokenCount") : 0;
    const int64_t thoughts = um ? int_of(*um, "thoughtsTokenCount") : 0;
    // Thinking tokens are billed as output, as OpenAI's reasoning tokens are.
    const int64_t completion = (um ? int_of(*um, "candidatesTokenCount") : 0) + thoughts;
    int64_t total = um ? int_of(*um, "totalTokenCount") : 0;
    if (total == 0) total = prompt + completion;
    json::object u;
    u["prompt_tokens"] = prompt;
    u["completion_tokens"] = completion;
    u["total_tokens"] = total;
    if (um && um->contains("cachedContentTokenCount")) {
        json::object d;
        d["cached_tokens"] = int_of(*um, "cachedContentTokenCount");
        u["prompt_tokens_details"] = std::move(d);
    }
    if (thoughts) {
        json::object d;
        d["reasoning_tokens"] = thoughts;
        u["completion_tokens_details"] = std::move(d);
    }
    return u;
}

json::object google_extra(std::string_view signature) {
    json::object g;
    g["thought_signature"] = signature;
    json::object extra;
    extra["google"] = std::move(g);
    return extra;
}

CandidateParts read_parts(const json::object &candidate, size_t first_call_index) {
    CandidateParts r;
    const json::object *content = get_object(candidate, "content");
    const json::array *parts = content ? get_array(*content, "parts") : nullptr;
    if (!parts) return r;
    for (const json::value &pv : *parts) {
        const json::object *p = pv.if_object();
        if (!p) continue;
        if (const json::object *fc = get_object(*p, "functionCall")) {
            ToolCall call;
            std::string_view vid = get_string(*fc, "id");
            call.id = vid.empty() ? "call_" + std::to_string(first_call_index + r.calls.size()) : std::string(vid);
            call.name = std::string(get_string(*fc, "name"));
            const json::value *args = fc->if_contains("args");
            call.arguments = args && !args->is_null() ? kit::to_json(*args) : "{}";
            call.signature = std::string(get_string(*p, "thoughtSignature"));
            r.calls.push_back(std::move(call));
            continue;
        }
        const json::value *thought = p->if_contains("thought");
        if (thought && thought->is_bool() && thought->get_bool()) {
            r.reasoning += get_string(*p, "text");
        } else if (p->contains("text")) {
            r.text += get_string(*p, "text");
            if (auto sig = get_string(*p, "thoughtSignature"); !sig.empty()) r.text_signature = std::string(sig);
        }
    }
    return r;
}

json::array tool_calls_json(const std::vector<ToolCall> &calls, bool with_index, size_t first_index) {
    json::array out;
    for (size_t i = 0; i < calls.size(); ++i) {
        const ToolCall &c = calls[i];
        json::object tc;
        if (with_index) tc["index"] = first_index + i;
        tc["id"] = c.id;
        tc["type"] = "function";
        json::object fn;
        fn["name"] = c.name;
        fn["arguments"] = c.arguments;
        tc["function"] = std::move(fn);
        // The same place Google's own OpenAI-compatible endpoint puts it, so
        // clients that echo tool calls back hand it to the request builder.
        if (!c.signature.empty()) tc["extra_content"] = google_extra(c.signature);
        out.push_back(std::move(tc));
    }
    return out;
}

int64_t candidate_index(const json::object &candidate, size_t position) {
    const json::value *v = candidate.if_contains("index");
    return v && v->is_int64() ? v->get_int64() : int64_t(position);
}


kit::ClassifiedError classify_error_object(const json::value &error, std::string_view model,
                                           std::string_view api_key) {
    GeminiError e = read_error_object(error);
    kit::ClassifiedError c = classify_gemini(0, e, model, api_key);
    c.status = e.code >= 100 && e.code < 600 ? e.code : 0;
    if (c.message.empty()) c.message = std::string(kDisplayName) + " reported an error";
    return c;
}

kit::ClassifiedError classify_error(int status, std::string_view body, std::string_view model,
                                    std::string_view api_key) {
    bool ok = false;
    json::value v = kit::try_parse(body, ok);
    if (ok)
        if (const json::value *err = error_member(v))
            return classify_gemini(status, read_error_object(*err), model, api_key);
    GeminiError none;
    kit::ClassifiedError c = classify_gemini(status, none, model, api_key);
    // Not an API error body (an HTML page, a bare proxy answer): on a 4xx
    // other than the auth/quota ones, the base points at something else.
    if (status >= 400 && status < 500 && status != 401 && status != 403 && status != 429 &&
        status != 408) {
        c.kind = SB_ERROR_API_BASE_INCORRECT;
        c.message = "the " + std::string(kDisplayName) + " API base answered HTTP " + std::to_string(status) +
                    (ok ? " without a Gemini error" : " with a non-JSON body") +
                    ": check api_base (e.g. https://generativelanguage.googleapis.com/v1beta)";
    }
    return c;
}

std::string Provider::parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) {
    if (!kit::is_2xx(response.status))
        throw kit::to_provider_error(classify_error(response.status, response.body, config.model, config.api_key));
    bool ok = false;
    json::value v = kit::try_parse(response.body, ok);
    if (!ok) throw not_gemini(response.status, "body is not JSON");
    if (const json::value *err = error_member(v)) {
        kit::ClassifiedError c = classify_error_object(*err, config.model, config.api_key);
        c.status = response.status;
        throw kit::to_provider_error(c);
    }
    const json::object *o = v.if_object();
    if (!o) throw not_gemini(response.status, "body is not a JSON object");
    const json::array *cands = get_array(*o, "candidates");
    const json::object *feedback = get_object(*o, "promptFeedback");
    if (!cands && !feedback) throw not_gemini(response.status, "no \"candidates\"");

    json::array choices;
    if (cands) {
        for (size_t pos = 0; pos < cands->size(); ++pos) {
            const json::object *cand = (*cands)[pos].if_object();
            if (!cand) continue;
            CandidateParts parts = read_parts(*cand, 0);
            json::object message;
            message["role"] = "assistant";
            if (parts.text.empty() && !parts.calls.empty()) message["content"] = nullptr;
            else message["content"] = parts.text;
            if (!parts.reasoning.empty()) message["reasoning_content"] = parts.reasoning;
            if (!parts.text_signature.empty()) message["extra_content"] = google_extra(parts.text_signature);
            if (!parts.calls.empty()) message["tool_calls"] = tool_calls_json(parts.calls, false, 0);
            json::object choice;
            choice["index"] = candidate_index(*cand, pos);
            choice["message"] = std::move(message);
            std::string_view reason = get_string(*cand, "finishReason");
            // A candidate without a finishReason is whole all the same.
            choice["finish_reason"] = map_finish(reason.empty() ? "STOP" : reason, !parts.calls.empty(),
                                                 get_string(*cand, "finishMessage"));
            choices.push_back(std::move(choice));
        }
    }
    if (choices.empty()) {
        // The prompt itself was blocked (promptFeedback.blockReason), or the
        // model produced no candidate at all.
        const bool blocked = feedback && !get_string(*feedback, "blockReason").empty();
        json::object message;
        message["role"] = "assistant";
        message["content"] = "";
        json::object choice;
        choice["index"] = 0;
        choice["message"] = std::move(message);
        choice["finish_reason"] = blocked ? "content_filter" : "stop";
        choices.push_back(std::move(choice));
    }

    json::object out;
    std::string_view rid = get_string(*o, "responseId");
    out["id"] = rid.empty() ? fallback_id() : "chatcmpl-" + std::string(rid);
    out["object"] = "chat.completion";
    out["created"] = kit::created_now();
    std::string_view mv = get_string(*o, "modelVersion");
    out["model"] = mv.empty() ? bare_model_id(config.model) : std::string(mv);
    out["choices"] = std::move(choices);
    out["usage"] = usage_of(get_object(*o, "usageMetadata"));
    return kit::completion_json(response, out);
}

std::vector<sdk::ModelEntry> Provider::parse_models_response(const sdk::Config &config,
                                                             const sdk::HttpResponse &response) {
    if (!kit::is_2xx(response.status))
        throw kit::to_provider_error(classify_error(response.status, response.body, {}, config.api_key));
    bool ok = false;
    json::value v = kit::try_parse(response.body, ok);
    if (!ok) throw not_gemini(response.status, "model list is not JSON");
    const json::object *o = v.if_object();
    if (!o) throw not_gemini(response.status, "model list is not a JSON object");
    const json::array *models = get_array(*o, "models");
    if (!models) {
        if (o->empty()) return {};  // an empty list is sent as {}
        throw not_gemini(response.status, "model list has no \"models\" array");
    }
    std::vector<sdk::ModelEntry> out;
    for (const json::value &m : *models) {
        const json::object *mo = m.if_object();
        if (!mo) continue;
        std::string id = bare_model_id(get_string(*mo, "name"));
        if (id.empty()) continue;
        // Embedding, AQA and Imagen models are listed too; only the ones
        // that can chat belong here.
        if (const json::array *methods = get_array(*mo, "supportedGenerationMethods")) {
            bool chat = false;
            for (const json::value &x : *methods)
                if (x.is_string() && x.get_string() == "generateContent") chat = true;
            if (!chat) continue;
        }
        out.push_back({std::move(id), std::string(get_string(*mo, "displayName"))});
    }
    return out;
}

}  // namespace switchboard::google
