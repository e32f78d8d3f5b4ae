#include "host/responses_stream.hpp"

#include "host/error_presentation.hpp"
#include "host/responses_json.hpp"
#include "host/responses_output.hpp"

#include <boost/json.hpp>

namespace sb::host {

namespace json = boost::json;

ResponsesSse::ResponsesSse(json::object echo, std::string model)
    : echo_(std::move(echo)), response_(response_shell(echo_, new_responses_id("resp_"), unix_seconds_now(), model)) {}

void ResponsesSse::emit(std::string &out, json::object event) {
    event["sequence_number"] = sequence_++;
    const std::string_view type = event["type"].get_string();
    out += "event: ";
    out += type;
    out += "\ndata: ";
    out += json::serialize(event);
    out += "\n\n";
}

void ResponsesSse::start(std::string &out) {
    if (started_) return;
    started_ = true;
    emit(out, {{"type", "response.created"}, {"response", response_}});
    emit(out, {{"type", "response.in_progress"}, {"response", response_}});
}

json::object ResponsesSse::item_json(const Item &item) const {
    const std::string_view status = item.done ? "completed" : "in_progress";
    switch (item.kind) {
    case Kind::reasoning:
        return reasoning_item(item.id, item.done ? std::string_view(item.text) : std::string_view());
    case Kind::message:
        return message_item(item.id, status, item.text);
    case Kind::function_call:
        return function_call_item(item.id, status, item.call_id, item.name, item.done ? item.text : "");
    }
    return {};
}

std::size_t ResponsesSse::open_item(std::string &out, Kind kind, std::string id) {
    close_open(out);
    items_.push_back(Item{kind, std::move(id), {}, {}, {}, false});
    const std::size_t index = items_.size() - 1;
    emit(out, {{"type", "response.output_item.added"}, {"output_index", index}, {"item", item_json(items_[index])}});
    return index;
}

void ResponsesSse::close_open(std::string &out) {
    if (items_.empty() || items_.back().done) return;
    Item &item = items_.back();
    const std::size_t index = items_.size() - 1;
    item.done = true;
    switch (item.kind) {
    case Kind::reasoning:
        emit(out, {{"type", "response.reasoning_summary_text.done"},
                   {"item_id", item.id},
                   {"output_index", index},
                   {"summary_index", 0},
                   {"text", item.text}});
        emit(out, {{"type", "response.reasoning_summary_part.done"},
                   {"item_id", item.id},
                   {"output_index", index},
                   {"summary_index", 0},
                   {"part", {{"type", "summary_text"}, {"text", item.text}}}});
        break;
    case Kind::message:
        emit(out, {{"type", "response.output_text.done"},
                   {"item_id", item.id},
                   {"output_index", index},
                   {"content_index", 0},
                   {"text", item.text},
                   {"logprobs", json::array()}});
        emit(out, {{"type", "response.content_part.done"},
                   {"item_id", item.id},
                   {"output_index", index},
                   {"content_index", 0},
                   {"part", output_text_part(item.text)}});
        break;
    case Kind::function_call:
        emit(out, {{"type", "response.function_call_arguments.done"},
                   {"item_id", item.id},
                   {"output_index", index},
                   {"arguments", item.text}});
        break;
    }
    emit(out, {{"type", "response.output_item.done"}, {"output_index", index}, {"item", item_json(item)}});
}

void ResponsesSse::reasoning_delta(std::string &out, std::string_view text) {
    if (items_.empty() || items_.back().done || items_.back().kind != Kind::reasoning) {
        const std::size_t index = open_item(out, Kind::reasoning, new_responses_id("rs_"));
        emit(out, {{"type", "response.reasoning_summary_part.added"},
                   {"item_id", items_[index].id},
                   {"output_index", index},
                   {"summary_index", 0},
                   {"part", {{"type", "summary_text"}, {"text", ""}}}});
    }
    Item &item = items_.back();
    item.text += text;
    emit(out, {{"type", "response.reasoning_summary_text.delta"},
               {"item_id", item.id},
               {"output_index", items_.size() - 1},
               {"summary_index", 0},
               {"delta", text}});
}

void ResponsesSse::text_delta(std::string &out, std::string_view text) {
    if (items_.empty() || items_.back().done || items_.back().kind != Kind::message) {
        const std::size_t index = open_item(out, Kind::message, new_responses_id("msg_"));
        emit(out, {{"type", "response.content_part.added"},
                   {"item_id", items_[index].id},
                   {"output_index", index},
                   {"content_index", 0},
                   {"part", output_text_part("")}});
    }
    Item &item = items_.back();
    item.text += text;
    emit(out, {{"type", "response.output_text.delta"},
               {"item_id", item.id},
               {"output_index", items_.size() - 1},
               {"content_index", 0},
               {"delta", text},
               {"logprobs", json::array()}});
}

void ResponsesSse::tool_call_delta(std::string &out, const json::object &call) {
    const json::value *index_value = present(call, "index");
    const std::size_t call_index =
        index_value && index_value->is_number() ? index_value->to_number<std::size_t>() : tool_item_.size();
    if (call_index >= tool_item_.size()) tool_item_.resize(call_index + 1, 0);
    const json::value *fn_value = present(call, "function");
    const json::object no_function;
    const json::object &fn = fn_value && fn_value->is_object() ? fn_value->get_object() : no_function;
    if (tool_item_[call_index] == 0) {
        close_open(out);
        std::string call_id(string_or_empty(call, "id"));
        if (call_id.empty()) call_id = new_responses_id("call_");
        items_.push_back(Item{Kind::function_call, new_responses_id("fc_"), {}, std::move(call_id),
                              std::string(string_or_empty(fn, "name")), false});
        const std::size_t index = items_.size() - 1;
        tool_item_[call_index] = index + 1;
        emit(out,
             {{"type", "response.output_item.added"}, {"output_index", index}, {"item", item_json(items_[index])}});
    }
    const std::size_t index = tool_item_[call_index] - 1;
    const std::string_view arguments = string_or_empty(fn, "arguments");
    if (arguments.empty()) return;
    items_[index].text += arguments;
    emit(out, {{"type", "response.function_call_arguments.delta"},
               {"item_id", items_[index].id},
               {"output_index", index},
               {"delta", arguments}});
}

void ResponsesSse::chunk(std::string &out, std::string_view chunk_json) {
    json::value parsed = json::parse(chunk_json);
    if (!parsed.is_object()) return;
    const json::object &chunk = parsed.get_object();
    if (const std::string_view model = string_or_empty(chunk, "model"); !model.empty() && !started_)
        response_["model"] = model;
    start(out);
    if (const json::value *usage = present(chunk, "usage"); usage && usage->is_object()) usage_ = usage->get_object();
    const json::value *choices = present(chunk, "choices");
    if (!choices || !choices->is_array()) return;
    for (const json::value &c : choices->get_array()) {
        if (!c.is_object()) continue;
        const json::object &choice = c.get_object();
        if (const json::value *d = present(choice, "delta"); d && d->is_object()) {
            const json::object &delta = d->get_object();
            if (const std::string_view r = string_or_empty(delta, "reasoning_content"); !r.empty()) reasoning_delta(out, r);
            if (const std::string_view t = string_or_empty(delta, "content"); !t.empty()) text_delta(out, t);
            if (const json::value *calls = present(delta, "tool_calls"); calls && calls->is_array())
                for (const json::value &call : calls->get_array())
                    if (call.is_object()) tool_call_delta(out, call.get_object());
        }
        if (const std::string_view f = string_or_empty(choice, "finish_reason"); !f.empty()) finish_reason_ = f;
    }
}

json::object ResponsesSse::snapshot() const {
    json::object response = response_;
    json::array output;
    for (const Item &item : items_) output.push_back(item_json(item));
    response["output"] = std::move(output);
    return response;
}

void ResponsesSse::end(std::string &out) {
    start(out);
    close_open(out);
    json::object response = snapshot();
    set_final_status(response, finish_reason_);
    if (!usage_.empty()) response["usage"] = responses_usage(usage_);
    const bool complete = response["status"] == "completed";
    emit(out, {{"type", complete ? "response.completed" : "response.incomplete"}, {"response", std::move(response)}});
}

void ResponsesSse::failure(std::string &out, const core::GatewayError &error) {
    start(out);
    // The error object as the error response carries it.
    json::value body = json::parse(error_body_json(error));
    json::object &e = body.as_object()["error"].as_object();
    json::object event{{"type", "error"}, {"code", e["code"]}, {"message", e["message"]}, {"param", e["param"]}};
    emit(out, std::move(event));
    json::object response = snapshot();
    response["status"] = "failed";
    response["error"] = {{"code", e["code"]}, {"message", e["message"]}};
    emit(out, {{"type", "response.failed"}, {"response", std::move(response)}});
}

}  // namespace sb::host
