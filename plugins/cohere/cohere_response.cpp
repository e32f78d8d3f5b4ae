#include "cohere.hpp"

namespace switchboard::cohere {

namespace {

using kit::contains_ci;

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

}  // namespace

sdk::ProviderError api_base_incorrect(int status, std::string_view detail) {
    return sdk::upstream_error(SB_ERROR_API_BASE_INCORRECT, status,
                               "the API base answered, but not with a " + std::string(kDisplayName) + " API v2 response (" +
                                   std::string(detail) +
                                   "): check api_base (e.g. https://api.cohere.com)");
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
                          v.message.empty() ? std::string(kDisplayName) + " rejected the API token" + http : v.message,
                          api_key);
    }
    if (status == 499)
        return make_error(SB_ERROR_UPSTREAM, status,
                          v.message.empty() ? std::string(kDisplayName) + " cancelled the request" + http : v.message,
                          api_key);
    if (v.has_error && status >= 400 && status < 500 && status != 401 && status != 403 &&
        status != 429) {
        if (says_too_many_tokens(v.message))
            return make_error(SB_ERROR_CONTEXT_LENGTH, status, v.message, api_key);
        if (says_model_not_found(v.message))
            return make_error(SB_ERROR_MODEL_NOT_FOUND, status, v.message, api_key);
    }
    return kit::classify_http_error(status, body, kDisplayName, model, api_key);
}

kit::ClassifiedError classify_message(std::string_view message, std::string_view api_key) {
    std::string m = message.empty() ? std::string(kDisplayName) + " reported an error" : std::string(message);
    sb_error_kind kind = SB_ERROR_UPSTREAM;
    if (says_too_many_tokens(m)) kind = SB_ERROR_CONTEXT_LENGTH;
    else if (says_model_not_found(m)) kind = SB_ERROR_MODEL_NOT_FOUND;
    else if (contains_ci(m, "rate limit") || contains_ci(m, "too many requests")) kind = SB_ERROR_RATE_LIMITED;
    else if (contains_ci(m, "invalid api token") || contains_ci(m, "invalid api key"))
        kind = SB_ERROR_INVALID_API_KEY;
    return make_error(kind, 0, std::move(m), api_key);
}

// Cohere's finish reason in OpenAI's terms. ERROR ("the generation failed"),
// TIMEOUT ("exceeded the allowed time limit") and the v1 USER_CANCEL end a
// failed generation: an error, never a "stop" or "length" the client would
// take for a whole answer.
std::string_view finish_reason(std::string_view r, bool has_tool_calls, int http_status) {
    if (r == "ERROR" || r == "TIMEOUT" || r == "USER_CANCEL") throw kit::failed_generation(kDisplayName, r, http_status);
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
        std::optional<int64_t> n = tokens ? kit::get_count(*tokens, key) : std::nullopt;
        if (!n && billed) n = kit::get_count(*billed, key);
        return n.value_or(0);
    };
    int64_t in = pick("input_tokens"), out = pick("output_tokens");
    json::object usage{{"prompt_tokens", in}, {"completion_tokens", out}, {"total_tokens", in + out}};
    if (auto cached = u ? kit::get_count(*u, "cached_tokens") : std::nullopt)
        usage["prompt_tokens_details"] = json::object{{"cached_tokens", *cached}};
    return usage;
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
    if (auto start = kit::get_count(citation, "start")) c["start_index"] = *start + shift;
    if (auto end = kit::get_count(citation, "end")) c["end_index"] = *end + shift;
    return json::object{{"type", "citation"}, {"citation", std::move(c)}};
}

std::string Provider::parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) {
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
        if (!text.empty()) shift = kit::char_count(prefix);
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
                     {"created", kit::created_now()},
                     {"model", config.model},
                     {"choices", json::array{std::move(choice)}},
                     {"usage", usage_of(kit::get_object(*o, "usage"))}};
    return kit::completion_json(response, out);
}

std::vector<sdk::ModelEntry> Provider::parse_models_response(const sdk::Config &config,
                                                             const sdk::HttpResponse &response) {
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


}  // namespace switchboard::cohere
