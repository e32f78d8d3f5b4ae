#include "host/responses_request.hpp"

#include "core/errors.hpp"
#include "host/responses_json.hpp"

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace sb::host {

namespace json = boost::json;
using core::ErrorCode;
using core::GatewayError;

namespace {

[[noreturn]] void refuse(const std::string &message, std::string param) {
    throw GatewayError(ErrorCode::invalid_request, message, std::move(param));
}

std::string string_field(const json::object &o, std::string_view key, const std::string &param) {
    const json::value *v = present(o, key);
    if (!v || !v->is_string()) refuse("'" + param + "." + std::string(key) + "' must be a string", param);
    return std::string(v->get_string());
}

// A content part of an input message as a unified (chat) content part.
json::object content_part(const json::value &part, const std::string &param) {
    if (part.is_string()) return json::object{{"type", "text"}, {"text", part.get_string()}};
    if (!part.is_object()) refuse("'" + param + "' must be a string or an object", param);
    const json::object &p = part.get_object();
    const json::value *type = present(p, "type");
    const std::string_view t = type && type->is_string() ? std::string_view(type->get_string()) : "";
    if (t == "input_text" || t == "output_text" || t == "text")
        return json::object{{"type", "text"}, {"text", string_field(p, "text", param)}};
    if (t == "refusal") return json::object{{"type", "text"}, {"text", string_field(p, "refusal", param)}};
    if (t == "input_image") {
        const json::value *url = present(p, "image_url");
        // A file_id names an uploaded file: the daemon keeps none.
        if (!url || !url->is_string())
            refuse("'" + param + "': only input_image with an image_url (a URL or a data: URL) is supported", param);
        json::object image{{"url", url->get_string()}};
        if (const json::value *detail = present(p, "detail")) image["detail"] = *detail;
        return json::object{{"type", "image_url"}, {"image_url", std::move(image)}};
    }
    refuse("'" + param + "': content part type '" + std::string(t) + "' is not supported", param);
}

// Text parts joined: what roles other than user carry in the unified form.
std::string joined_text(const json::array &parts, const std::string &param) {
    std::string text;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        json::object part = content_part(parts[i], param + "[" + std::to_string(i) + "]");
        if (part["type"] != "text") refuse("'" + param + "': only the user role may send images", param);
        text += part["text"].get_string();
    }
    return text;
}

json::object message(const json::object &item, const std::string &param) {
    std::string role = string_field(item, "role", param);
    if (role != "user" && role != "assistant" && role != "system" && role != "developer")
        refuse("'" + param + ".role' must be user, assistant, system or developer", param + ".role");
    // Every provider knows "system"; "developer" is OpenAI's newer name for it.
    if (role == "developer") role = "system";
    const json::value *content = present(item, "content");
    if (!content) refuse("'" + param + ".content' is required", param + ".content");
    json::object out{{"role", role}};
    if (content->is_string()) {
        out["content"] = content->get_string();
    } else if (content->is_array()) {
        if (role == "user") {
            json::array parts;
            for (std::size_t i = 0; i < content->get_array().size(); ++i)
                parts.push_back(
                    content_part(content->get_array()[i], param + ".content[" + std::to_string(i) + "]"));
            out["content"] = std::move(parts);
        } else {
            out["content"] = joined_text(content->get_array(), param + ".content");
        }
    } else {
        refuse("'" + param + ".content' must be a string or an array", param + ".content");
    }
    return out;
}

// The output of a function call as the tool message's text.
std::string tool_output(const json::value &output, const std::string &param) {
    if (output.is_string()) return std::string(output.get_string());
    if (output.is_array()) return joined_text(output.get_array(), param);
    refuse("'" + param + "' must be a string or an array of parts", param);
}

// A function_call item joins the assistant message just before it (the
// unified form keeps a turn's calls on one message), or opens one.
void add_function_call(json::array &messages, const json::object &item, const std::string &param) {
    json::object call{{"id", string_field(item, "call_id", param)},
                      {"type", "function"},
                      {"function",
                       {{"name", string_field(item, "name", param)},
                        {"arguments", string_field(item, "arguments", param)}}}};
    if (!messages.empty()) {
        json::object &last = messages.back().as_object();
        if (last["role"] == "assistant") {
            json::value &calls = last["tool_calls"];
            if (!calls.is_array()) calls = json::array();
            calls.as_array().push_back(std::move(call));
            return;
        }
    }
    messages.push_back(json::object{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array{call}}});
}

void add_input(json::array &messages, const json::value &input) {
    if (input.is_string()) {
        messages.push_back(json::object{{"role", "user"}, {"content", input.get_string()}});
        return;
    }
    if (!input.is_array()) refuse("'input' must be a string or an array of items", "input");
    const json::array &items = input.get_array();
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string param = "input[" + std::to_string(i) + "]";
        if (!items[i].is_object()) refuse("'" + param + "' must be an object", param);
        const json::object &item = items[i].get_object();
        const json::value *type = present(item, "type");
        if (type && !type->is_string()) refuse("'" + param + ".type' must be a string", param + ".type");
        const std::string_view t = type ? std::string_view(type->get_string()) : "message";
        if (t == "message") {
            messages.push_back(message(item, param));
        } else if (t == "function_call") {
            add_function_call(messages, item, param);
        } else if (t == "function_call_output") {
            const json::value *output = present(item, "output");
            if (!output) refuse("'" + param + ".output' is required", param + ".output");
            messages.push_back(json::object{{"role", "tool"},
                                            {"tool_call_id", string_field(item, "call_id", param)},
                                            {"content", tool_output(*output, param + ".output")}});
        } else if (t == "reasoning") {
            // A previous turn's reasoning: no provider takes it back through
            // the unified form, and the answer does not depend on it.
        } else if (t == "item_reference") {
            refuse("'" + param + "': item_reference needs stored responses; this gateway keeps no state", param);
        } else {
            refuse("'" + param + "': input item type '" + std::string(t) + "' is not supported", param);
        }
    }
}

json::object function_tool(const json::value &tool, const std::string &param) {
    if (!tool.is_object()) refuse("'" + param + "' must be an object", param);
    const json::object &t = tool.get_object();
    const json::value *type = present(t, "type");
    const std::string_view kind = type && type->is_string() ? std::string_view(type->get_string()) : "";
    if (kind != "function")
        refuse("'" + param + "': tool type '" + std::string(kind) + "' is not supported (only function tools)",
               param);
    json::object function{{"name", string_field(t, "name", param)}};
    for (std::string_view key : {"description", "parameters", "strict"})
        if (const json::value *v = present(t, key)) function[key] = *v;
    return json::object{{"type", "function"}, {"function", std::move(function)}};
}

json::value tool_choice(const json::value &choice) {
    if (choice.is_string()) {
        const std::string_view c = choice.get_string();
        if (c == "auto" || c == "none" || c == "required") return choice;
    } else if (choice.is_object()) {
        const json::object &o = choice.get_object();
        const json::value *type = present(o, "type");
        if (type && *type == "function")
            return json::object{{"type", "function"}, {"function", {{"name", string_field(o, "name", "tool_choice")}}}};
    }
    refuse("'tool_choice' must be auto, none, required or {\"type\":\"function\",\"name\":...}", "tool_choice");
}

// text.format -> response_format ("text" is the default and sends nothing).
void add_text_format(json::object &unified, const json::value &text) {
    if (!text.is_object()) refuse("'text' must be an object", "text");
    const json::value *format = present(text.get_object(), "format");
    if (!format) return;
    if (!format->is_object()) refuse("'text.format' must be an object", "text.format");
    const json::object &f = format->get_object();
    const json::value *type = present(f, "type");
    if (type && *type == "text") return;
    if (type && *type == "json_object") {
        unified["response_format"] = {{"type", "json_object"}};
        return;
    }
    if (type && *type == "json_schema") {
        json::object schema{{"name", string_field(f, "name", "text.format")}};
        for (std::string_view key : {"schema", "strict", "description"})
            if (const json::value *v = present(f, key)) schema[key] = *v;
        unified["response_format"] = {{"type", "json_schema"}, {"json_schema", std::move(schema)}};
        return;
    }
    refuse("'text.format.type' must be text, json_object or json_schema", "text.format.type");
}

void copy_number(const json::object &body, std::string_view from, json::object &unified, std::string_view to) {
    if (const json::value *v = present(body, from)) {
        if (!v->is_number()) refuse("'" + std::string(from) + "' must be a number", std::string(from));
        unified[to] = *v;
    }
}

}  // namespace

ResponsesCall translate_responses_request(const json::object &body) {
    // Fields that only make sense against stored state.
    if (present(body, "previous_response_id"))
        refuse("'previous_response_id' is not supported: this gateway keeps no state between requests; send the "
               "whole conversation in 'input'",
               "previous_response_id");
    if (present(body, "conversation"))
        refuse("'conversation' is not supported: this gateway keeps no state between requests", "conversation");
    if (const json::value *bg = present(body, "background"); bg && *bg == true)
        refuse("'background' is not supported: this gateway keeps no state between requests", "background");
    if (present(body, "prompt")) refuse("'prompt' (a stored prompt template) is not supported", "prompt");

    ResponsesCall call;
    json::object &u = call.unified;
    json::object &echo = call.echo;
    if (const json::value *model = present(body, "model")) {
        if (!model->is_string()) refuse("'model' must be a string", "model");
        u["model"] = *model;
        echo["model"] = *model;
    }
    if (const json::value *stream = present(body, "stream")) {
        if (!stream->is_bool()) refuse("'stream' must be a boolean", "stream");
        call.stream = stream->get_bool();
        if (call.stream) u["stream"] = true;
    }

    json::array messages;
    if (const json::value *instructions = present(body, "instructions")) {
        if (!instructions->is_string()) refuse("'instructions' must be a string", "instructions");
        if (!instructions->get_string().empty())
            messages.push_back(json::object{{"role", "system"}, {"content", instructions->get_string()}});
        echo["instructions"] = *instructions;
    }
    const json::value *input = present(body, "input");
    if (!input) refuse("'input' is required", "input");
    add_input(messages, *input);
    if (messages.empty()) refuse("'input' has no message to answer", "input");
    u["messages"] = std::move(messages);

    if (const json::value *tools = present(body, "tools")) {
        if (!tools->is_array()) refuse("'tools' must be an array", "tools");
        json::array unified_tools;
        for (std::size_t i = 0; i < tools->get_array().size(); ++i)
            unified_tools.push_back(function_tool(tools->get_array()[i], "tools[" + std::to_string(i) + "]"));
        if (!unified_tools.empty()) u["tools"] = std::move(unified_tools);
        echo["tools"] = *tools;
    }
    if (const json::value *choice = present(body, "tool_choice")) {
        u["tool_choice"] = tool_choice(*choice);
        echo["tool_choice"] = *choice;
    }
    if (const json::value *text = present(body, "text")) {
        add_text_format(u, *text);
        echo["text"] = *text;
    }
    if (const json::value *reasoning = present(body, "reasoning")) {
        if (!reasoning->is_object()) refuse("'reasoning' must be an object", "reasoning");
        if (const json::value *effort = present(reasoning->get_object(), "effort")) {
            if (!effort->is_string()) refuse("'reasoning.effort' must be a string", "reasoning.effort");
            u["reasoning_effort"] = *effort;
        }
        echo["reasoning"] = *reasoning;
    }
    // max_tokens: every plugin reads it (the openai plugin moves it to
    // max_completion_tokens itself, for the models that need that).
    copy_number(body, "max_output_tokens", u, "max_tokens");
    copy_number(body, "temperature", u, "temperature");
    copy_number(body, "top_p", u, "top_p");
    for (std::string_view key : {"max_output_tokens", "temperature", "top_p"})
        if (const json::value *v = present(body, key)) echo[key] = *v;
    if (const json::value *parallel = present(body, "parallel_tool_calls")) {
        if (!parallel->is_bool()) refuse("'parallel_tool_calls' must be a boolean", "parallel_tool_calls");
        if (u.contains("tools")) u["parallel_tool_calls"] = *parallel;
        echo["parallel_tool_calls"] = *parallel;
    }
    // safety_identifier is the newer name of user: either reaches the vendor
    // as the unified "user".
    for (std::string_view key : {"safety_identifier", "user"})
        if (const json::value *id = present(body, key)) {
            if (!id->is_string()) refuse("'" + std::string(key) + "' must be a string", std::string(key));
            u["user"] = *id;
            echo[key] = *id;
        }
    if (const json::value *metadata = present(body, "metadata")) {
        if (!metadata->is_object()) refuse("'metadata' must be an object", "metadata");
        echo["metadata"] = *metadata;
    }
    return call;
}

}  // namespace sb::host
