#include "host/anthropic_messages.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <optional>

#include "core/errors.hpp"
#include "host/error_presentation.hpp"
#include "host/json_body.hpp"

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;

bool is_anthropic_messages_path(std::string_view path) noexcept {
    return path == "/v1/messages" || path == "/v1/messages/count_tokens";
}

std::string_view anthropic_error_type(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::invalid_json:
        case ErrorCode::invalid_request:
        case ErrorCode::unknown_provider:
        case ErrorCode::context_length_exceeded:
        case ErrorCode::content_filter:
        case ErrorCode::method_not_allowed:
            return "invalid_request_error";
        case ErrorCode::provider_not_configured:
        case ErrorCode::invalid_api_key:
            return "authentication_error";
        case ErrorCode::permission_denied:
            return "permission_error";
        case ErrorCode::model_not_found:
        case ErrorCode::not_found:
            return "not_found_error";
        case ErrorCode::request_too_large:
            return "request_too_large";
        case ErrorCode::budget_exceeded:
            return "billing_error";
        case ErrorCode::rate_limit_exceeded:
            return "rate_limit_error";
        case ErrorCode::timeout:
            return "timeout_error";
        case ErrorCode::api_base_incorrect:
        case ErrorCode::network_error:
        case ErrorCode::upstream_error:
        case ErrorCode::internal_error:
            return "api_error";
    }
    return "api_error";
}

namespace {

json::object anthropic_error_object(const GatewayError &error) {
    return json::object{{"type", "error"},
                        {"error", json::object{{"type", anthropic_error_type(error.code())},
                                               {"message", error.what()}}}};
}

[[noreturn]] void refuse(std::string message, std::string param) {
    throw GatewayError(ErrorCode::invalid_request, message, std::move(param));
}

std::string_view string_at(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const json::object *object_at(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array *array_at(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

std::optional<std::int64_t> integer_at(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v->get_uint64());
    refuse("'" + std::string(key) + "' must be an integer", std::string(key));
}

// Copies a number field under a (possibly) new name; a wrong type is refused.
void copy_number(const json::object &in, std::string_view key, json::object &out,
                 std::string_view as) {
    const json::value *v = in.if_contains(key);
    if (!v || v->is_null()) return;
    if (!v->is_number()) refuse("'" + std::string(key) + "' must be a number", std::string(key));
    out[as] = *v;
}

// The reasoning_effort a thinking budget reads as: the levels the plugins map
// back to budgets of 1024, 2048, 8192, 16384 and 32768 tokens.
std::string_view effort_for_budget(std::int64_t budget) {
    if (budget <= 1024) return "minimal";
    if (budget <= 2048) return "low";
    if (budget <= 8192) return "medium";
    if (budget <= 16384) return "high";
    return "xhigh";
}

// An image block's source -> an image_url part.
json::object image_part(const json::object &block, std::string_view where) {
    const json::object *source = object_at(block, "source");
    const std::string_view type = source ? string_at(*source, "type") : std::string_view();
    std::string url;
    if (type == "base64") {
        url = "data:" + std::string(string_at(*source, "media_type")) + ";base64," +
              std::string(string_at(*source, "data"));
    } else if (type == "url") {
        url = std::string(string_at(*source, "url"));
    } else {
        refuse(std::string(where) +
                   ": image source must be {\"type\":\"base64\",\"media_type\",\"data\"} or "
                   "{\"type\":\"url\",\"url\"}",
               std::string(where));
    }
    return json::object{{"type", "image_url"},
                        {"image_url", json::object{{"url", std::move(url)}}}};
}

// A base64 PDF document -> an OpenAI file part.
json::object document_part(const json::object &block, std::string_view where) {
    const json::object *source = object_at(block, "source");
    if (!source || string_at(*source, "type") != "base64" ||
        string_at(*source, "media_type") != "application/pdf")
        refuse(std::string(where) + ": documents are accepted as base64 PDF data only",
               std::string(where));
    return json::object{
        {"type", "file"},
        {"file", json::object{{"file_data", "data:application/pdf;base64," +
                                                std::string(string_at(*source, "data"))}}}};
}

// Text, image and document blocks of a user turn (or a tool result) -> parts.
json::value user_part(const json::object &block, std::string_view where) {
    const std::string_view type = string_at(block, "type");
    if (type == "text") return json::object{{"type", "text"}, {"text", string_at(block, "text")}};
    if (type == "image") return image_part(block, where);
    if (type == "document") return document_part(block, where);
    refuse(std::string(where) + ": content block type '" + std::string(type) +
               "' is not supported on the translated path (text, image, document, tool_use, "
               "tool_result, thinking)",
           std::string(where));
}

// A tool_result block -> a tool message.
json::object tool_message(const json::object &block, std::string_view where) {
    const std::string_view id = string_at(block, "tool_use_id");
    if (id.empty())
        refuse(std::string(where) + ": tool_result needs a tool_use_id", std::string(where));
    json::object message{{"role", "tool"}, {"tool_call_id", id}};
    const json::value *content = block.if_contains("content");
    const json::value *is_error = block.if_contains("is_error");
    // The unified form has no error flag: the result says so in words.
    const std::string prefix =
        is_error && is_error->is_bool() && is_error->get_bool() ? "Error: " : "";
    if (!content || content->is_null()) {
        message["content"] = prefix;
    } else if (content->is_string()) {
        message["content"] = prefix + std::string(content->get_string());
    } else if (const json::array *blocks = content->if_array()) {
        json::array parts;
        if (!prefix.empty()) parts.push_back(json::object{{"type", "text"}, {"text", prefix}});
        for (const json::value &b : *blocks) {
            if (!b.is_object())
                refuse(std::string(where) + ": content blocks must be objects", std::string(where));
            parts.push_back(user_part(b.get_object(), where));
        }
        message["content"] = std::move(parts);
    } else {
        refuse(std::string(where) + ".content must be a string or an array of blocks",
               std::string(where));
    }
    return message;
}

// One Anthropic message -> one or more unified messages (tool results become
// tool messages ahead of the user's other blocks).
void add_message(const json::object &message, std::size_t i, const MessagesTranslation &how,
                 json::array &out) {
    const std::string where = "messages." + std::to_string(i);
    const std::string_view role = string_at(message, "role");
    if (role != "user" && role != "assistant")
        refuse(where + ".role must be \"user\" or \"assistant\"", where + ".role");
    const json::value *content = message.if_contains("content");
    if (!content || !(content->is_string() || content->is_array()))
        refuse(where + ".content must be a string or an array of blocks", where + ".content");
    if (content->is_string()) {
        out.push_back(json::object{{"role", role}, {"content", content->get_string()}});
        return;
    }
    if (role == "user") {
        json::array parts;
        for (const json::value &b : content->get_array()) {
            if (!b.is_object())
                refuse(where + ": content blocks must be objects", where + ".content");
            const json::object &block = b.get_object();
            if (string_at(block, "type") == "tool_result")
                out.push_back(tool_message(block, where));
            else
                parts.push_back(user_part(block, where));
        }
        if (!parts.empty())
            out.push_back(json::object{{"role", "user"}, {"content", std::move(parts)}});
        return;
    }
    std::string text;
    json::array tool_calls, thinking_blocks;
    for (const json::value &b : content->get_array()) {
        if (!b.is_object()) refuse(where + ": content blocks must be objects", where + ".content");
        const json::object &block = b.get_object();
        const std::string_view type = string_at(block, "type");
        if (type == "text") {
            text += string_at(block, "text");
        } else if (type == "tool_use") {
            const json::value *input = block.if_contains("input");
            tool_calls.push_back(json::object{
                {"id", string_at(block, "id")},
                {"type", "function"},
                {"function",
                 json::object{{"name", string_at(block, "name")},
                              {"arguments", input && !input->is_null() ? json::serialize(*input)
                                                                       : std::string("{}")}}}});
        } else if (type == "thinking" || type == "redacted_thinking") {
            // Signed thinking only means something to Anthropic; other
            // vendors do not need the previous turn's thoughts.
            if (how.anthropic_targets) thinking_blocks.push_back(block);
        } else {
            refuse(where + ": assistant content block type '" + std::string(type) +
                       "' is not supported on the translated path (text, tool_use, thinking)",
                   where + ".content");
        }
    }
    json::object unified{{"role", "assistant"}};
    if (!text.empty() || tool_calls.empty())
        unified["content"] = text;
    else
        unified["content"] = nullptr;
    if (!tool_calls.empty()) unified["tool_calls"] = std::move(tool_calls);
    if (!thinking_blocks.empty()) unified["thinking_blocks"] = std::move(thinking_blocks);
    out.push_back(std::move(unified));
}

json::value system_message(const json::value &system) {
    if (system.is_string())
        return json::object{{"role", "system"}, {"content", system.get_string()}};
    const json::array *blocks = system.if_array();
    if (!blocks) refuse("'system' must be a string or an array of text blocks", "system");
    json::array parts;
    for (const json::value &b : *blocks) {
        const json::object *block = b.if_object();
        if (!block || string_at(*block, "type") != "text")
            refuse("'system' blocks must be text blocks", "system");
        parts.push_back(json::object{{"type", "text"}, {"text", string_at(*block, "text")}});
    }
    return json::object{{"role", "system"}, {"content", std::move(parts)}};
}

json::array unified_tools(const json::array &tools) {
    json::array out;
    for (std::size_t i = 0; i < tools.size(); ++i) {
        const std::string where = "tools." + std::to_string(i);
        const json::object *tool = tools[i].if_object();
        if (!tool) refuse(where + " must be an object", where);
        const std::string_view type = string_at(*tool, "type");
        if (!type.empty() && type != "custom")
            refuse(
                where + ": server tool '" + std::string(type) +
                    "' needs the native pass-through to the anthropic provider; only client tools "
                    "({name, description, input_schema}) are translated",
                where + ".type");
        const std::string_view name = string_at(*tool, "name");
        if (name.empty()) refuse(where + ".name is required", where + ".name");
        json::object function{{"name", name}};
        if (auto d = string_at(*tool, "description"); !d.empty()) function["description"] = d;
        if (const json::object *schema = object_at(*tool, "input_schema"))
            function["parameters"] = *schema;
        else
            refuse(where + ".input_schema is required", where + ".input_schema");
        out.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
    }
    return out;
}

// Anthropic's tool_choice -> OpenAI's tool_choice (and parallel_tool_calls).
void add_tool_choice(const json::object &choice, json::object &out) {
    const std::string_view type = string_at(choice, "type");
    if (type == "auto")
        out["tool_choice"] = "auto";
    else if (type == "any")
        out["tool_choice"] = "required";
    else if (type == "none")
        out["tool_choice"] = "none";
    else if (type == "tool" && !string_at(choice, "name").empty())
        out["tool_choice"] = json::object{
            {"type", "function"}, {"function", json::object{{"name", string_at(choice, "name")}}}};
    else
        refuse(
            "tool_choice must be {\"type\":\"auto\"|\"any\"|\"none\"} or "
            "{\"type\":\"tool\",\"name\"}",
            "tool_choice");
    if (const json::value *p = choice.if_contains("disable_parallel_tool_use");
        p && p->is_bool() && p->get_bool())
        out["parallel_tool_calls"] = false;
}

void add_thinking(const json::value &thinking, const MessagesTranslation &how, json::object &out) {
    if (thinking.is_null()) return;
    const json::object *o = thinking.if_object();
    const std::string_view type = o ? string_at(*o, "type") : std::string_view();
    if (type == "disabled") return;
    if (type == "enabled") {
        const auto budget = integer_at(*o, "budget_tokens");
        if (!budget || *budget < 1024)
            refuse("thinking.budget_tokens must be an integer >= 1024", "thinking.budget_tokens");
        out["reasoning_effort"] = effort_for_budget(*budget);
    } else if (type == "adaptive") {
        out["reasoning_effort"] = "medium";
    } else {
        refuse(
            "thinking must be {\"type\":\"enabled\",\"budget_tokens\"}, {\"type\":\"adaptive\"} or "
            "{\"type\":\"disabled\"}",
            "thinking");
    }
    // The anthropic plugin takes its own object as written (the exact budget).
    if (how.anthropic_targets) {
        out.erase("reasoning_effort");
        out["thinking"] = *o;
    }
}

}  // namespace

std::string anthropic_error_body_json(const GatewayError &error) {
    return json::serialize(anthropic_error_object(error));
}

Response anthropic_error_response(const GatewayError &error, unsigned version) {
    Response response = json_response(static_cast<http::status>(error_http_status(error.code())),
                                      anthropic_error_body_json(error), version);
    if (error.code() == ErrorCode::method_not_allowed) response.set(http::field::allow, "POST");
    return response;
}

json::object messages_to_unified(const json::object &request, const MessagesTranslation &how) {
    reject_unknown_fields(request, {"model", "messages", "max_tokens", "system", "stream",
                                    "stop_sequences", "temperature", "top_p", "top_k", "tools",
                                    "tool_choice", "thinking", "metadata", "service_tier"});
    json::object out;
    const auto model = optional_string(request, "model");
    if (!model || model->empty()) refuse("model: field required", "model");
    out["model"] = *model;
    const auto max_tokens = integer_at(request, "max_tokens");
    if (!max_tokens) refuse("max_tokens: field required", "max_tokens");
    if (*max_tokens < 1) refuse("max_tokens must be at least 1", "max_tokens");
    out["max_tokens"] = *max_tokens;

    const json::array *messages = array_at(request, "messages");
    if (!messages) refuse("messages: field required (an array of messages)", "messages");
    json::array unified_messages;
    if (const json::value *system = request.if_contains("system"); system && !system->is_null())
        unified_messages.push_back(system_message(*system));
    for (std::size_t i = 0; i < messages->size(); ++i) {
        const json::object *m = (*messages)[i].if_object();
        if (!m)
            refuse("messages." + std::to_string(i) + " must be an object",
                   "messages." + std::to_string(i));
        add_message(*m, i, how, unified_messages);
    }
    out["messages"] = std::move(unified_messages);

    if (const json::value *stream = request.if_contains("stream"); stream && !stream->is_null()) {
        if (!stream->is_bool()) refuse("'stream' must be a boolean", "stream");
        if (stream->get_bool()) {
            out["stream"] = true;
            out["stream_options"] = json::object{{"include_usage", true}};
        }
    }
    if (const json::value *stop = request.if_contains("stop_sequences"); stop && !stop->is_null()) {
        const json::array *seqs = stop->if_array();
        if (!seqs || !std::all_of(seqs->begin(), seqs->end(),
                                  [](const json::value &s) { return s.is_string(); }))
            refuse("stop_sequences must be an array of strings", "stop_sequences");
        if (!seqs->empty()) out["stop"] = *seqs;
    }
    copy_number(request, "temperature", out, "temperature");
    copy_number(request, "top_p", out, "top_p");
    if (how.top_k_targets) copy_number(request, "top_k", out, "top_k");
    if (const json::value *tools = request.if_contains("tools"); tools && !tools->is_null()) {
        if (!tools->is_array()) refuse("'tools' must be an array", "tools");
        if (!tools->get_array().empty()) out["tools"] = unified_tools(tools->get_array());
    }
    if (const json::value *choice = request.if_contains("tool_choice");
        choice && !choice->is_null()) {
        if (!choice->is_object()) refuse("'tool_choice' must be an object", "tool_choice");
        // Without tools a choice means nothing (and vendors refuse it).
        if (out.contains("tools")) add_tool_choice(choice->get_object(), out);
    }
    if (const json::value *thinking = request.if_contains("thinking"))
        add_thinking(*thinking, how, out);
    if (const json::value *metadata = request.if_contains("metadata");
        metadata && !metadata->is_null()) {
        if (!metadata->is_object()) refuse("'metadata' must be an object", "metadata");
        if (auto user = string_at(metadata->get_object(), "user_id"); !user.empty())
            out["user"] = user;
    }
    return out;
}

namespace {

std::string message_id(std::string_view unified_id) {
    if (unified_id.starts_with("msg_")) return std::string(unified_id);
    return "msg_" + std::string(unified_id.empty() ? std::string_view("switchboard") : unified_id);
}

std::string_view stop_reason(std::string_view finish_reason) {
    if (finish_reason == "length") return "max_tokens";
    if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
    if (finish_reason == "content_filter") return "refusal";
    return "end_turn";
}

// The arguments text of a tool call as the input object Anthropic gives;
// text that is not a JSON object is kept under "_raw" rather than lost.
json::value tool_input(std::string_view arguments) {
    if (arguments.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
    boost::system::error_code ec;
    json::value v = json::parse(arguments, ec);
    if (ec || !v.is_object()) return json::object{{"_raw", arguments}};
    return v;
}

// The unified usage in Anthropic's terms: input_tokens counts what was not
// read from the cache.
json::object anthropic_usage(const json::object *usage) {
    std::int64_t prompt = 0, completion = 0, cached = 0;
    if (usage) {
        auto count = [](const json::object &o, std::string_view key) -> std::int64_t {
            const json::value *v = o.if_contains(key);
            return v && v->is_number() ? v->to_number<std::int64_t>() : 0;
        };
        prompt = count(*usage, "prompt_tokens");
        completion = count(*usage, "completion_tokens");
        if (const json::object *details = object_at(*usage, "prompt_tokens_details"))
            cached = count(*details, "cached_tokens");
    }
    json::object out{{"input_tokens", std::max<std::int64_t>(prompt - cached, 0)},
                     {"output_tokens", completion}};
    if (cached > 0) out["cache_read_input_tokens"] = cached;
    return out;
}

json::object thinking_block(std::string_view thinking, std::string_view signature) {
    return json::object{{"type", "thinking"}, {"thinking", thinking}, {"signature", signature}};
}

}  // namespace

std::string unified_to_message(std::string_view completion_json) {
    const json::value doc = json::parse(completion_json);
    const json::object &completion = doc.as_object();
    const json::array *choices = array_at(completion, "choices");
    const json::object *choice =
        choices && !choices->empty() ? choices->front().if_object() : nullptr;
    const json::object *message = choice ? object_at(*choice, "message") : nullptr;
    json::array content;
    if (message) {
        if (const json::array *blocks = array_at(*message, "thinking_blocks")) {
            for (const json::value &b : *blocks)
                if (b.is_object()) content.push_back(b);
        } else if (auto reasoning = string_at(*message, "reasoning_content"); !reasoning.empty()) {
            content.push_back(thinking_block(reasoning, ""));  // no vendor signature to give
        }
        if (auto text = string_at(*message, "content"); !text.empty())
            content.push_back(json::object{{"type", "text"}, {"text", text}});
        if (const json::array *calls = array_at(*message, "tool_calls")) {
            for (const json::value &c : *calls) {
                const json::object *call = c.if_object();
                const json::object *fn = call ? object_at(*call, "function") : nullptr;
                if (!fn) continue;
                content.push_back(json::object{{"type", "tool_use"},
                                               {"id", string_at(*call, "id")},
                                               {"name", string_at(*fn, "name")},
                                               {"input", tool_input(string_at(*fn, "arguments"))}});
            }
        }
    }
    json::object out{
        {"id", message_id(string_at(completion, "id"))},
        {"type", "message"},
        {"role", "assistant"},
        {"model", string_at(completion, "model")},
        {"content", std::move(content)},
        {"stop_reason", stop_reason(choice ? string_at(*choice, "finish_reason") : "")},
        {"stop_sequence", nullptr},
        {"usage", anthropic_usage(object_at(completion, "usage"))}};
    return json::serialize(out);
}

namespace {

// The unified stream as Anthropic's events: message_start, a ping, one
// content block per run of thinking, text or one tool call, message_delta
// (stop reason and usage) and message_stop.
class MessagesSse final : public core::StreamEncoder {
public:
    void chunk(std::string &out, std::string_view chunk_json) override {
        boost::system::error_code ec;
        const json::value doc = json::parse(chunk_json, ec);
        if (ec || !doc.is_object()) return;
        const json::object &chunk = doc.as_object();
        start(out, chunk);
        if (const json::object *u = object_at(chunk, "usage")) usage_ = *u;
        const json::array *choices = array_at(chunk, "choices");
        const json::object *choice =
            choices && !choices->empty() ? choices->front().if_object() : nullptr;
        if (!choice) return;
        if (auto finish = string_at(*choice, "finish_reason"); !finish.empty())
            stop_reason_ = stop_reason(finish);
        const json::object *delta = object_at(*choice, "delta");
        if (!delta) return;
        if (auto reasoning = string_at(*delta, "reasoning_content"); !reasoning.empty()) {
            open(out, Block::thinking, thinking_block("", ""));
            delta_event(out, json::object{{"type", "thinking_delta"}, {"thinking", reasoning}});
        }
        if (const json::array *blocks = array_at(*delta, "thinking_blocks"))
            for (const json::value &b : *blocks)
                if (b.is_object()) signed_block(out, b.get_object());
        if (auto text = string_at(*delta, "content"); !text.empty()) {
            open(out, Block::text, json::object{{"type", "text"}, {"text", ""}});
            delta_event(out, json::object{{"type", "text_delta"}, {"text", text}});
        }
        if (const json::array *calls = array_at(*delta, "tool_calls"))
            for (const json::value &c : *calls)
                if (c.is_object()) tool_call(out, c.get_object());
    }

    void failure(std::string &out, const GatewayError &error) override {
        event(out, "error", anthropic_error_object(error));
        failed_ = true;
    }

    // After an error event Anthropic sends nothing more.
    void end(std::string &out) override {
        if (failed_) return;
        start(out, json::object());
        close(out);
        event(out, "message_delta",
              json::object{{"type", "message_delta"},
                           {"delta", json::object{{"stop_reason", stop_reason_},
                                                  {"stop_sequence", nullptr}}},
                           {"usage", anthropic_usage(usage_ ? &*usage_ : nullptr)}});
        event(out, "message_stop", json::object{{"type", "message_stop"}});
    }

private:
    enum class Block { none, thinking, text, tool_use };

    static void event(std::string &out, std::string_view name, const json::object &data) {
        out += "event: ";
        out += name;
        out += "\ndata: ";
        out += json::serialize(data);
        out += "\n\n";
    }

    void start(std::string &out, const json::object &chunk) {
        if (started_) return;
        started_ = true;
        json::object message{{"id", message_id(string_at(chunk, "id"))},
                             {"type", "message"},
                             {"role", "assistant"},
                             {"model", string_at(chunk, "model")},
                             {"content", json::array()},
                             {"stop_reason", nullptr},
                             {"stop_sequence", nullptr},
                             {"usage", json::object{{"input_tokens", 0}, {"output_tokens", 0}}}};
        event(out, "message_start",
              json::object{{"type", "message_start"}, {"message", std::move(message)}});
        event(out, "ping", json::object{{"type", "ping"}});
    }

    // Opens a block of this kind unless one is open already.
    void open(std::string &out, Block kind, json::object content_block) {
        if (block_ == kind) return;
        close(out);
        block_ = kind;
        event(out, "content_block_start",
              json::object{{"type", "content_block_start"},
                           {"index", index_},
                           {"content_block", std::move(content_block)}});
    }

    void close(std::string &out) {
        if (block_ == Block::none) return;
        event(out, "content_block_stop",
              json::object{{"type", "content_block_stop"}, {"index", index_}});
        block_ = Block::none;
        ++index_;
    }

    void delta_event(std::string &out, json::object delta) {
        event(out, "content_block_delta",
              json::object{
                  {"type", "content_block_delta"}, {"index", index_}, {"delta", std::move(delta)}});
    }

    // A whole signed block (the anthropic plugin sends it as its block ends,
    // after the thinking text): its signature closes the open thinking block.
    void signed_block(std::string &out, const json::object &block) {
        const std::string_view type = string_at(block, "type");
        if (type == "redacted_thinking") {
            close(out);
            open(out, Block::thinking, block);
            close(out);
            return;
        }
        if (type != "thinking") return;
        if (block_ != Block::thinking) {
            open(out, Block::thinking, thinking_block("", ""));
            if (auto text = string_at(block, "thinking"); !text.empty())
                delta_event(out, json::object{{"type", "thinking_delta"}, {"thinking", text}});
        }
        if (auto signature = string_at(block, "signature"); !signature.empty())
            delta_event(out, json::object{{"type", "signature_delta"}, {"signature", signature}});
        close(out);
    }

    void tool_call(std::string &out, const json::object &call) {
        const std::int64_t index = call.contains("index") && call.at("index").is_int64()
                                       ? call.at("index").get_int64()
                                       : 0;
        const json::object *fn = object_at(call, "function");
        const std::string_view name = fn ? string_at(*fn, "name") : std::string_view();
        if (block_ != Block::tool_use || index != tool_index_) {
            close(out);
            std::string id(string_at(call, "id"));
            if (id.empty()) id = "toolu_" + std::to_string(index_);
            block_ = Block::tool_use;
            tool_index_ = index;
            event(out, "content_block_start",
                  json::object{{"type", "content_block_start"},
                               {"index", index_},
                               {"content_block", json::object{{"type", "tool_use"},
                                                              {"id", std::move(id)},
                                                              {"name", name},
                                                              {"input", json::object()}}}});
        }
        if (auto args = fn ? string_at(*fn, "arguments") : std::string_view(); !args.empty())
            delta_event(out, json::object{{"type", "input_json_delta"}, {"partial_json", args}});
    }

    bool started_ = false;
    bool failed_ = false;
    Block block_ = Block::none;
    std::int64_t index_ = 0;        // of the open (or next) content block
    std::int64_t tool_index_ = -1;  // the unified index of the open tool call
    std::string_view stop_reason_ = "end_turn";
    std::optional<json::object> usage_;
};

// The translation's view of a chain: what every target's plugin reads.
MessagesTranslation translation_for(const std::vector<core::ChatTarget> &chain) {
    MessagesTranslation how{true, true};
    for (const auto &target : chain) {
        const std::string &id = target.provider->id();
        how.anthropic_targets = how.anthropic_targets && id == "anthropic";
        how.top_k_targets = how.top_k_targets && (id == "anthropic" || id == "google");
    }
    return how;
}

}  // namespace

std::unique_ptr<core::StreamEncoder> make_messages_encoder() {
    return std::make_unique<MessagesSse>();
}

boost::asio::awaitable<Reply> AnthropicMessages::messages(Request &request,
                                                          core::RequestContext &context) {
    context.dialect = "anthropic.messages";
    json::object body = parse_json_object(request.body());
    std::string().swap(request.body());
    const auto model = optional_string(body, "model");
    if (!model || model->empty()) refuse("model: field required", "model");
    std::vector<core::ChatTarget> chain = gateway_.with_fallbacks(gateway_.route(*model));
    // Every target is translated for now; the native pass-through for the
    // anthropic provider will branch here.
    json::object unified = messages_to_unified(body, translation_for(chain));
    body.clear();
    validate_chat_request(unified);
    if (unified.contains("stream")) {
        static const core::EncoderFactory make_encoder(
            [] { return core::EncoderRef::owned(make_messages_encoder()); });
        std::unique_ptr<BodySource> stream = co_await gateway_.open_stream_chain(
            std::move(chain), std::move(unified), make_encoder, gateway_.options().stream_timeouts, context);
        co_return stream_reply(std::move(stream), context);
    }
    core::ChatResult result = co_await gateway_.complete_chain(
        std::move(chain), std::move(unified), gateway_.options().chat_timeouts, context);
    Reply reply{
        json_response(http::status::ok, unified_to_message(result.body_json), request.version()),
        nullptr};
    reply.head.set("x-switchboard-provider", context.provider);
    co_return reply;
}

boost::asio::awaitable<Reply> AnthropicMessages::count_tokens(Request &request,
                                                              core::RequestContext &context) {
    context.error_type = "not_implemented";
    const json::object body{
        {"type", "error"},
        {"error",
         json::object{{"type", "api_error"},
                      {"message",
                       "token counting needs the native pass-through to the anthropic provider, "
                       "which comes next: /v1/messages/count_tokens is not implemented yet"}}}};
    co_return Reply{
        json_response(http::status::not_implemented, json::serialize(body), request.version()),
        nullptr};
}

}  // namespace sb::host
