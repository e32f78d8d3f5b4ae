// Anthropic Messages API answers (whole responses, errors, stream events) ->
// unified chat.completion / chat.completion.chunk JSON.
#include "anthropic.hpp"

namespace switchboard::anthropic {

namespace {

using kit::get_array;
using kit::get_object;
using kit::contains_ci;
using kit::get_string;

int64_t count(const json::object &o, std::string_view key, int64_t fallback) {
    return kit::json_count(o.if_contains(key), fallback);  // null: not reported in this event
}

const std::string kBaseHint = "; check api_base (e.g. https://api.anthropic.com/v1)";

}  // namespace

bool is_hidden_block(std::string_view type) {
    return type != "text" && type != "thinking" && type != "redacted_thinking" && type != "tool_use";
}

json::object annotation(const json::object &citation, int64_t start, int64_t end) {
    if (auto url = get_string(citation, "url"); !url.empty()) {
        json::object uc{{"start_index", start}, {"end_index", end}, {"url", url},
                        {"title", get_string(citation, "title")}};
        if (auto cited = get_string(citation, "cited_text"); !cited.empty()) uc["cited_text"] = cited;
        return json::object{{"type", "url_citation"}, {"url_citation", std::move(uc)}};
    }
    json::object c = citation;
    c["start_index"] = start;
    c["end_index"] = end;
    return json::object{{"type", "citation"}, {"citation", std::move(c)}};
}

json::object thinking_block(std::string_view thinking, std::string_view signature) {
    return json::object{{"type", "thinking"}, {"thinking", thinking}, {"signature", signature}};
}

std::string_view finish_reason(std::string_view stop_reason) {
    if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded") return "length";
    if (stop_reason == "tool_use") return "tool_calls";
    if (stop_reason == "refusal") return "content_filter";
    // end_turn, stop_sequence, pause_turn and anything newer.
    return "stop";
}

void Usage::update(const json::object &u) {
    input = count(u, "input_tokens", input);
    cache_creation = count(u, "cache_creation_input_tokens", cache_creation);
    cache_read = count(u, "cache_read_input_tokens", cache_read);
    output = count(u, "output_tokens", output);
    if (const json::object *d = get_object(u, "output_tokens_details"))
        thinking = count(*d, "thinking_tokens", thinking);
}

json::object Usage::to_openai() const {
    const int64_t prompt = input + cache_creation + cache_read;
    json::object o;
    o["prompt_tokens"] = prompt;
    o["completion_tokens"] = output;
    o["total_tokens"] = prompt + output;
    if (cache_read > 0) o["prompt_tokens_details"] = json::object{{"cached_tokens", cache_read}};
    if (thinking > 0) o["completion_tokens_details"] = json::object{{"reasoning_tokens", thinking}};
    return o;
}

sdk::ProviderError not_messages_api(int status, std::string_view detail) {
    return sdk::upstream_error(SB_ERROR_API_BASE_INCORRECT, status,
                               "the API base answered, but not with an " + std::string(kDisplayName) + " Messages API "
                               "response (" + std::string(detail) + ")" + kBaseHint);
}

kit::ClassifiedError classify_error_object(int status, const json::object &error,
                                           std::string_view api_key) {
    kit::ClassifiedError c;
    c.status = status;
    std::string_view type = get_string(error, "type");
    std::string_view message = get_string(error, "message");
    c.message = std::string(message);
    if (type == "authentication_error") {
        c.kind = SB_ERROR_INVALID_API_KEY;
    } else if (type == "permission_error") {
        c.kind = SB_ERROR_PERMISSION_DENIED;
    } else if (type == "not_found_error") {
        // Anthropic says "model: <id>" for an unknown model; any other 404 is
        // a path this base does not serve.
        if (contains_ci(message, "model")) {
            c.kind = SB_ERROR_MODEL_NOT_FOUND;
        } else {
            c.kind = SB_ERROR_API_BASE_INCORRECT;
            c.message = "the " + std::string(kDisplayName) + " API base does not serve this API (" +
                        (message.empty() ? std::string("not found") : std::string(message)) + ")" +
                        kBaseHint;
        }
    } else if (type == "rate_limit_error" || type == "billing_error") {
        c.kind = SB_ERROR_RATE_LIMITED;
    } else if (type == "invalid_request_error") {
        if (contains_ci(message, "prompt is too long") || contains_ci(message, "context limit") ||
            contains_ci(message, "context window") || contains_ci(message, "context length"))
            c.kind = SB_ERROR_CONTEXT_LENGTH;
        else if (contains_ci(message, "credit balance"))
            c.kind = SB_ERROR_RATE_LIMITED;  // out of prepaid credit: a quota, like OpenAI's
        else
            c.kind = SB_ERROR_INVALID_REQUEST;
    } else if (type == "request_too_large") {
        c.kind = SB_ERROR_INVALID_REQUEST;
    } else if (type == "overloaded_error" || type == "api_error" || type == "timeout_error") {
        c.kind = SB_ERROR_UPSTREAM;
    } else if (status == 401) {
        c.kind = SB_ERROR_INVALID_API_KEY;
    } else if (status == 403) {
        c.kind = SB_ERROR_PERMISSION_DENIED;
    } else if (status == 429) {
        c.kind = SB_ERROR_RATE_LIMITED;
    } else if (status >= 400 && status < 500) {
        c.kind = SB_ERROR_INVALID_REQUEST;
    } else {
        c.kind = SB_ERROR_UPSTREAM;
    }
    if (c.message.empty()) {
        c.message = std::string(kDisplayName) + " reported " + (type.empty() ? std::string("an error") : std::string(type));
        if (status) c.message += " (HTTP " + std::to_string(status) + ")";
    }
    c.message = kit::redact(std::move(c.message), api_key);
    return c;
}

kit::ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                   std::string_view api_key) {
    bool ok = false;
    json::value v = kit::try_parse(body, ok);
    const json::object *o = ok ? v.if_object() : nullptr;
    const json::object *error = o ? get_object(*o, "error") : nullptr;
    // Only Anthropic's own envelope says "type":"error"; OpenAI-style bodies
    // also have error.type, with other meanings ("invalid_request_error" on a 401).
    if (error && get_string(*o, "type") == "error")
        return classify_error_object(status, *error, api_key);
    // Not Anthropic's error shape: a proxy, an HTML page, another vendor.
    return kit::classify_http_error(status, body, kDisplayName, model, api_key);
}

json::object translate_response(int status, std::string_view body, std::string_view model,
                                std::string_view api_key, int64_t created) {
    if (!kit::is_2xx(status)) throw kit::to_provider_error(classify_http(status, body, model, api_key));
    bool ok = false;
    json::value v = kit::try_parse(body, ok);
    if (!ok) throw not_messages_api(status, "body is not JSON");
    const json::object *m = v.if_object();
    if (!m) throw not_messages_api(status, "body is not a JSON object");
    if (const json::object *error = get_object(*m, "error"))
        throw kit::to_provider_error(classify_error_object(status, *error, api_key));
    const json::array *content = get_array(*m, "content");
    if (get_string(*m, "type") != "message" || !content)
        throw not_messages_api(status, "no message with a \"content\" array");

    std::string text;
    bool has_text = false;
    bool separator_due = false;
    std::string reasoning;
    json::array thinking, tool_calls, annotations;
    for (const json::value &bv : *content) {
        const json::object *b = bv.if_object();
        if (!b) continue;
        std::string_view type = get_string(*b, "type");
        if (type == "text") {
            if (separator_due) text += kBlockSeparator;
            separator_due = false;
            const int64_t start = kit::char_count(text);
            text += get_string(*b, "text");
            has_text = true;
            if (const json::array *cites = get_array(*b, "citations")) {
                const int64_t end = kit::char_count(text);
                for (const json::value &c : *cites)
                    if (const json::object *co = c.if_object()) annotations.push_back(annotation(*co, start, end));
            }
        } else if (type == "thinking") {
            if (!reasoning.empty()) reasoning += kBlockSeparator;
            reasoning += get_string(*b, "thinking");
            thinking.push_back(thinking_block(get_string(*b, "thinking"), get_string(*b, "signature")));
        } else if (type == "redacted_thinking") {
            thinking.push_back(json::object{{"type", "redacted_thinking"}, {"data", get_string(*b, "data")}});
        } else {
            separator_due = !text.empty();
            if (type != "tool_use") continue;  // a hidden (server tool) block
            const json::value *input = b->if_contains("input");
            json::object call;
            call["id"] = get_string(*b, "id");
            call["type"] = "function";
            call["function"] = json::object{
                {"name", get_string(*b, "name")},
                {"arguments", input && !input->is_null() ? kit::to_json(*input) : std::string("{}")}};
            tool_calls.push_back(std::move(call));
        }
    }

    json::object message;
    message["role"] = "assistant";
    if (has_text || tool_calls.empty()) message["content"] = text;
    else message["content"] = nullptr;
    if (!reasoning.empty()) message["reasoning_content"] = reasoning;
    if (!thinking.empty()) message["thinking_blocks"] = std::move(thinking);
    if (!annotations.empty()) message["annotations"] = std::move(annotations);
    if (!tool_calls.empty()) message["tool_calls"] = std::move(tool_calls);

    Usage usage;
    if (const json::object *u = get_object(*m, "usage")) usage.update(*u);

    json::object choice;
    choice["index"] = 0;
    choice["message"] = std::move(message);
    choice["finish_reason"] = finish_reason(get_string(*m, "stop_reason"));

    json::object out;
    out["id"] = get_string(*m, "id");
    out["object"] = "chat.completion";
    out["created"] = created;
    std::string_view answered_model = get_string(*m, "model");
    out["model"] = answered_model.empty() ? model : answered_model;
    out["choices"] = json::array{std::move(choice)};
    out["usage"] = usage.to_openai();
    return out;
}

std::string Provider::parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) {
    return kit::completion_json(
        response, translate_response(response.status, response.body, config.model, config.api_key, kit::created_now()));
}

std::vector<sdk::ModelEntry> Provider::parse_models_response(const sdk::Config &config,
                                                             const sdk::HttpResponse &response) {
    if (!kit::is_2xx(response.status))
        throw kit::to_provider_error(classify_http(response.status, response.body, config.model, config.api_key));
    bool ok = false;
    json::value v = kit::try_parse(response.body, ok);
    const json::object *o = ok ? v.if_object() : nullptr;
    const json::array *data = o ? get_array(*o, "data") : nullptr;
    if (!data) throw not_messages_api(response.status, "no \"data\" array of models");
    std::vector<sdk::ModelEntry> models;
    for (const json::value &mv : *data) {
        const json::object *m = mv.if_object();
        if (!m) continue;
        auto id = get_string(*m, "id");
        if (id.empty()) continue;
        models.push_back({std::string(id), std::string(get_string(*m, "display_name"))});
    }
    return models;
}

}  // namespace switchboard::anthropic
