// Anthropic Messages API answers (whole responses, errors, stream events) ->
// unified chat.completion / chat.completion.chunk JSON.
#include "anthropic.hpp"

#include <cctype>

namespace sb_anthropic {

namespace {

using kit::get_array;
using kit::get_object;
using kit::get_string;

bool contains_ci(std::string_view hay, std::string_view needle) {
    if (needle.size() > hay.size()) return false;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        size_t k = 0;
        while (k < needle.size() &&
               std::tolower(static_cast<unsigned char>(hay[i + k])) ==
                   std::tolower(static_cast<unsigned char>(needle[k])))
            ++k;
        if (k == needle.size()) return true;
    }
    return false;
}

int64_t count(const json::object &o, std::string_view key, int64_t fallback) {
    return kit::json_count(o.if_contains(key), fallback);  // null: not reported in this event
}

const std::string kBaseHint = "; check api_base (e.g. https://api.anthropic.com/v1)";

}  // namespace

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
}

json::object Usage::to_openai() const {
    const int64_t prompt = input + cache_creation + cache_read;
    json::object o;
    o["prompt_tokens"] = prompt;
    o["completion_tokens"] = output;
    o["total_tokens"] = prompt + output;
    if (cache_read > 0) o["prompt_tokens_details"] = json::object{{"cached_tokens", cache_read}};
    return o;
}

sdk::ProviderError not_messages_api(int status, std::string_view detail) {
    return sdk::upstream_error(SB_ERROR_API_BASE_INCORRECT, status,
                               "the API base answered, but not with an Anthropic Messages API "
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
            c.message = "the Anthropic API base does not serve this API (" +
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
        c.message = "Anthropic reported " + (type.empty() ? std::string("an error") : std::string(type));
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

std::string translate_response(int status, std::string_view body, std::string_view model,
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
    json::array tool_calls;
    for (const json::value &bv : *content) {
        const json::object *b = bv.if_object();
        if (!b) continue;
        std::string_view type = get_string(*b, "type");
        if (type == "text") {
            text += get_string(*b, "text");
            has_text = true;
        } else if (type == "tool_use") {
            const json::value *input = b->if_contains("input");
            json::object call;
            call["id"] = get_string(*b, "id");
            call["type"] = "function";
            call["function"] = json::object{
                {"name", get_string(*b, "name")},
                {"arguments", input && !input->is_null() ? kit::to_json(*input) : std::string("{}")}};
            tool_calls.push_back(std::move(call));
        }
        // thinking / redacted_thinking / server tool blocks have no OpenAI form.
    }

    json::object message;
    message["role"] = "assistant";
    if (has_text || tool_calls.empty()) message["content"] = text;
    else message["content"] = nullptr;
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
    return kit::to_json(out);
}

// ------------------------------------------------------------------ stream

void Stream::emit_delta(const sdk::ChunkWriter &out, json::object delta, json::value finish) {
    json::object choice;
    choice["index"] = 0;
    choice["delta"] = std::move(delta);
    choice["finish_reason"] = std::move(finish);
    json::object chunk;
    chunk["id"] = id_;
    chunk["object"] = "chat.completion.chunk";
    chunk["created"] = created_;
    chunk["model"] = model_;
    chunk["choices"] = json::array{std::move(choice)};
    out.emit(kit::to_json(chunk));
}

void Stream::emit_finish(const sdk::ChunkWriter &out) {
    if (finish_emitted_) return;
    finish_emitted_ = true;
    emit_delta(out, json::object(), json::string(finish_reason(stop_reason_)));
}

void Stream::emit_usage(const sdk::ChunkWriter &out) {
    if (usage_emitted_) return;
    usage_emitted_ = true;
    json::object chunk;
    chunk["id"] = id_;
    chunk["object"] = "chat.completion.chunk";
    chunk["created"] = created_;
    chunk["model"] = model_;
    chunk["choices"] = json::array();
    chunk["usage"] = usage_.to_openai();
    out.emit(kit::to_json(chunk));
}

bool Stream::on_event(std::string_view event, std::string_view data, const sdk::ChunkWriter &out) {
    bool ok = false;
    json::value v = kit::try_parse(data, ok);
    const json::object *o = ok ? v.if_object() : nullptr;
    if (!o) {
        if (!ok && data.find_first_not_of(" \t\r\n") == std::string_view::npos) return false;
        throw not_messages_api(0, "a stream event is not a JSON object");
    }
    // The data carries its own type; the SSE event name is only a fallback.
    std::string_view type = get_string(*o, "type");
    if (type.empty()) type = event;

    if (type == "message_start") {
        if (const json::object *msg = get_object(*o, "message")) {
            id_ = std::string(get_string(*msg, "id"));
            if (auto m = get_string(*msg, "model"); !m.empty()) model_ = std::string(m);
            if (const json::object *u = get_object(*msg, "usage")) usage_.update(*u);
        }
        emit_delta(out, json::object{{"role", "assistant"}, {"content", ""}});
    } else if (type == "content_block_start") {
        const json::object *block = get_object(*o, "content_block");
        std::string_view btype = block ? get_string(*block, "type") : std::string_view();
        if (btype == "text") {
            if (auto t = get_string(*block, "text"); !t.empty())
                emit_delta(out, json::object{{"content", t}});
        } else if (btype == "tool_use") {
            int64_t index = int64_t(tool_index_.size());
            tool_index_[count(*o, "index", -1)] = index;
            json::object call;
            call["index"] = index;
            call["id"] = get_string(*block, "id");
            call["type"] = "function";
            call["function"] = json::object{{"name", get_string(*block, "name")}, {"arguments", ""}};
            emit_delta(out, json::object{{"tool_calls", json::array{std::move(call)}}});
        }
    } else if (type == "content_block_delta") {
        const json::object *delta = get_object(*o, "delta");
        std::string_view dtype = delta ? get_string(*delta, "type") : std::string_view();
        if (dtype == "text_delta") {
            if (auto t = get_string(*delta, "text"); !t.empty())
                emit_delta(out, json::object{{"content", t}});
        } else if (dtype == "input_json_delta") {
            auto it = tool_index_.find(count(*o, "index", -1));
            std::string_view fragment = get_string(*delta, "partial_json");
            // Empty fragments add nothing to the concatenated arguments.
            if (it != tool_index_.end() && !fragment.empty()) {
                json::object call;
                call["index"] = it->second;
                call["function"] = json::object{{"arguments", fragment}};
                emit_delta(out, json::object{{"tool_calls", json::array{std::move(call)}}});
            }
        }
        // thinking_delta, signature_delta, citations_delta: no OpenAI form.
    } else if (type == "message_delta") {
        if (const json::object *delta = get_object(*o, "delta")) {
            if (const json::value *sr = delta->if_contains("stop_reason"); sr && sr->is_string()) {
                stop_reason_ = std::string(sr->get_string());
                have_stop_reason_ = true;
            }
        }
        if (const json::object *u = get_object(*o, "usage")) usage_.update(*u);
    } else if (type == "message_stop") {
        emit_finish(out);
        emit_usage(out);
        return true;
    } else if (type == "error") {
        const json::object *error = get_object(*o, "error");
        kit::ClassifiedError c =
            error ? classify_error_object(0, *error, api_key_)
                  : kit::ClassifiedError{SB_ERROR_UPSTREAM, 0, "Anthropic reported a stream error"};
        throw kit::to_provider_error(c);
    } else if (const json::value *error = o->if_contains("error"); error && !error->is_null()) {
        // An error in another vendor's shape: the base is some other server.
        throw kit::to_provider_error(kit::classify_error_value(*error, kDisplayName, model_, api_key_));
    }
    // ping, content_block_stop and unknown future events need no output.
    return false;
}

void Stream::finish(const sdk::ChunkWriter &out) {
    // The stream ended without message_stop: close it as well as we know.
    if (have_stop_reason_) emit_finish(out);
    emit_usage(out);
}

}  // namespace sb_anthropic
