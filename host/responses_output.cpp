#include "host/responses_output.hpp"

#include "core/hex.hpp"
#include "host/responses_json.hpp"

#include <boost/json.hpp>

#include <random>

namespace sb::host {

namespace json = boost::json;

namespace {

std::int64_t integer_at(const json::object &o, std::string_view key) {
    const json::value *v = present(o, key);
    if (!v) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
    return 0;
}

std::int64_t detail(const json::object &usage, std::string_view details, std::string_view key) {
    const json::value *d = present(usage, details);
    return d && d->is_object() ? integer_at(d->get_object(), key) : 0;
}

// The echoed value, or the default OpenAI answers with when it was not sent.
json::value echoed(const json::object &echo, std::string_view key, json::value fallback) {
    const json::value *v = present(echo, key);
    return v ? *v : fallback;
}

}  // namespace

std::string new_responses_id(std::string_view prefix) {
    thread_local std::mt19937_64 rng(std::random_device{}());
    std::string id(prefix);
    for (int word = 0; word < 2; ++word) {
        std::uint64_t bits = rng();
        for (int i = 0; i < 16; ++i, bits >>= 4) id += core::kHexDigits[bits & 0xf];
    }
    return id;
}

json::object response_shell(const json::object &echo, std::string id, std::int64_t created_at,
                            std::string_view model) {
    return json::object{
        {"id", std::move(id)},
        {"object", "response"},
        {"created_at", created_at},
        {"status", "in_progress"},
        {"background", false},
        {"error", nullptr},
        {"incomplete_details", nullptr},
        {"instructions", echoed(echo, "instructions", nullptr)},
        {"max_output_tokens", echoed(echo, "max_output_tokens", nullptr)},
        {"model", model},
        {"output", json::array()},
        {"parallel_tool_calls", echoed(echo, "parallel_tool_calls", true)},
        {"previous_response_id", nullptr},
        {"reasoning", echoed(echo, "reasoning", json::object{{"effort", nullptr}, {"summary", nullptr}})},
        {"safety_identifier", echoed(echo, "safety_identifier", nullptr)},
        {"store", false},
        {"temperature", echoed(echo, "temperature", nullptr)},
        {"text", echoed(echo, "text", json::object{{"format", {{"type", "text"}}}})},
        {"tool_choice", echoed(echo, "tool_choice", "auto")},
        {"tools", echoed(echo, "tools", json::array())},
        {"top_p", echoed(echo, "top_p", nullptr)},
        {"truncation", "disabled"},
        {"usage", nullptr},
        {"user", echoed(echo, "user", nullptr)},
        {"metadata", echoed(echo, "metadata", json::object())},
    };
}

json::object responses_usage(const json::object &u) {
    const std::int64_t input = integer_at(u, "prompt_tokens");
    const std::int64_t output = integer_at(u, "completion_tokens");
    const std::int64_t total = present(u, "total_tokens") ? integer_at(u, "total_tokens") : input + output;
    return json::object{
        {"input_tokens", input},
        {"input_tokens_details", {{"cached_tokens", detail(u, "prompt_tokens_details", "cached_tokens")}}},
        {"output_tokens", output},
        {"output_tokens_details",
         {{"reasoning_tokens", detail(u, "completion_tokens_details", "reasoning_tokens")}}},
        {"total_tokens", total},
    };
}

void set_final_status(json::object &response, std::string_view finish_reason) {
    if (finish_reason == "length" || finish_reason == "content_filter") {
        response["status"] = "incomplete";
        response["incomplete_details"] = {
            {"reason", finish_reason == "length" ? "max_output_tokens" : "content_filter"}};
    } else {
        response["status"] = "completed";
    }
}

json::object reasoning_item(std::string id, std::string_view text) {
    json::array summary;
    if (!text.empty()) summary.push_back(json::object{{"type", "summary_text"}, {"text", text}});
    return json::object{{"id", std::move(id)}, {"type", "reasoning"}, {"summary", std::move(summary)}};
}

json::object output_text_part(std::string_view text) {
    return json::object{{"type", "output_text"}, {"text", text}, {"annotations", json::array()}};
}

json::object message_item(std::string id, std::string_view status, std::string_view text) {
    json::array content;
    if (status == "completed") content.push_back(output_text_part(text));
    return json::object{{"id", std::move(id)},
                        {"type", "message"},
                        {"status", status},
                        {"role", "assistant"},
                        {"content", std::move(content)}};
}

json::object function_call_item(std::string id, std::string_view status, std::string_view call_id,
                                std::string_view name, std::string_view arguments) {
    return json::object{{"id", std::move(id)},     {"type", "function_call"}, {"status", status},
                        {"arguments", arguments}, {"call_id", call_id},      {"name", name}};
}

json::object response_from_completion(const json::object &completion, const json::object &echo) {
    const std::int64_t created =
        present(completion, "created") ? integer_at(completion, "created") : unix_seconds_now();
    const json::value *model = present(completion, "model");
    const json::value *asked = present(echo, "model");
    json::object response =
        response_shell(echo, new_responses_id("resp_"), created,
                       model && model->is_string() ? model->get_string()
                       : asked && asked->is_string() ? asked->get_string()
                                                     : json::string());
    json::array output;
    std::string_view finish_reason;
    const json::value *choices = present(completion, "choices");
    if (choices && choices->is_array() && !choices->get_array().empty() && choices->get_array()[0].is_object()) {
        const json::object &choice = choices->get_array()[0].get_object();
        if (const json::value *f = present(choice, "finish_reason"); f && f->is_string()) finish_reason = f->get_string();
        const json::value *m = present(choice, "message");
        const json::object empty;
        const json::object &message = m && m->is_object() ? m->get_object() : empty;
        if (const json::value *r = present(message, "reasoning_content"); r && r->is_string() && !r->get_string().empty())
            output.push_back(reasoning_item(new_responses_id("rs_"), r->get_string()));
        if (const json::value *c = present(message, "content"); c && c->is_string() && !c->get_string().empty())
            output.push_back(message_item(new_responses_id("msg_"), "completed", c->get_string()));
        if (const json::value *calls = present(message, "tool_calls"); calls && calls->is_array()) {
            for (const json::value &call : calls->get_array()) {
                if (!call.is_object()) continue;
                const json::value *fn = present(call.get_object(), "function");
                if (!fn || !fn->is_object()) continue;
                const json::value *id = present(call.get_object(), "id");
                const json::value *name = present(fn->get_object(), "name");
                const json::value *args = present(fn->get_object(), "arguments");
                output.push_back(function_call_item(
                    new_responses_id("fc_"), "completed",
                    id && id->is_string() ? std::string(id->get_string()) : new_responses_id("call_"),
                    name && name->is_string() ? name->get_string() : json::string(),
                    args && args->is_string() ? args->get_string() : json::string()));
            }
        }
    }
    response["output"] = std::move(output);
    set_final_status(response, finish_reason);
    if (const json::value *usage = present(completion, "usage"); usage && usage->is_object())
        response["usage"] = responses_usage(usage->get_object());
    return response;
}

}  // namespace sb::host
