// Anthropic Messages API stream events -> unified chat.completion.chunk JSON.
// A small state machine over message_start, content_block_start/delta/stop,
// message_delta and message_stop; each open content block is tracked by its
// Anthropic index.
#include "anthropic.hpp"

namespace switchboard::anthropic {

namespace {

using kit::get_object;
using kit::get_string;

int64_t index_of(const json::object &event) { return kit::json_count(event.if_contains("index"), -1); }

}  // namespace

void Stream::emit_delta(const sdk::ChunkWriter &out, json::object delta, json::value finish) {
    kit::emit_chunk(out, header_.delta_chunk(std::move(delta), std::move(finish)));
}

void Stream::emit_content(const sdk::ChunkWriter &out, std::string_view text) {
    if (text.empty()) return;
    content_chars_ += kit::char_count(text);
    emit_delta(out, json::object{{"content", text}});
}

void Stream::emit_reasoning(const sdk::ChunkWriter &out, std::string_view text) {
    if (text.empty()) return;
    reasoning_started_ = true;
    emit_delta(out, json::object{{"reasoning_content", text}});
}

void Stream::emit_finish(const sdk::ChunkWriter &out) {
    if (finish_emitted_) return;
    finish_emitted_ = true;
    emit_delta(out, json::object(), json::string(finish_reason(stop_reason_)));
}

void Stream::emit_usage(const sdk::ChunkWriter &out) {
    if (usage_emitted_) return;
    usage_emitted_ = true;
    kit::emit_chunk(out, header_.usage_chunk(usage_.to_openai()));
}

void Stream::on_block_start(const json::object &o, const sdk::ChunkWriter &out) {
    const json::object *block = get_object(o, "content_block");
    std::string_view btype = block ? get_string(*block, "type") : std::string_view();
    Block &b = blocks_[index_of(o)];
    b = Block{};
    b.type = std::string(btype);
    if (btype == "text") {
        if (separator_due_) emit_content(out, kBlockSeparator);
        separator_due_ = false;
        b.text_start = content_chars_;
        emit_content(out, get_string(*block, "text"));
    } else if (btype == "thinking") {
        b.thinking = std::string(get_string(*block, "thinking"));
        b.signature = std::string(get_string(*block, "signature"));
        // Several thinking blocks read as one text, a blank line apart, as
        // in a whole answer.
        if (reasoning_started_) emit_reasoning(out, kBlockSeparator);
        emit_reasoning(out, b.thinking);
    } else if (btype == "redacted_thinking") {
        json::object rt{{"type", "redacted_thinking"}, {"data", get_string(*block, "data")}};
        emit_delta(out, json::object{{"thinking_blocks", json::array{std::move(rt)}}});
    } else {
        separator_due_ = content_chars_ > 0;
        if (btype != "tool_use") return;  // a hidden (server tool) block
        int64_t index = int64_t(tool_index_.size());
        tool_index_[index_of(o)] = index;
        json::object call;
        call["index"] = index;
        call["id"] = get_string(*block, "id");
        call["type"] = "function";
        call["function"] = json::object{{"name", get_string(*block, "name")}, {"arguments", ""}};
        emit_delta(out, json::object{{"tool_calls", json::array{std::move(call)}}});
    }
}

void Stream::on_block_delta(const json::object &o, const sdk::ChunkWriter &out) {
    const json::object *delta = get_object(o, "delta");
    std::string_view dtype = delta ? get_string(*delta, "type") : std::string_view();
    if (dtype == "text_delta") {
        emit_content(out, get_string(*delta, "text"));
    } else if (dtype == "thinking_delta") {
        std::string_view t = get_string(*delta, "thinking");
        blocks_[index_of(o)].thinking += t;
        emit_reasoning(out, t);
    } else if (dtype == "signature_delta") {
        blocks_[index_of(o)].signature += get_string(*delta, "signature");
    } else if (dtype == "citations_delta") {
        if (const json::object *c = get_object(*delta, "citation"))
            blocks_[index_of(o)].citations.push_back(*c);
    } else if (dtype == "input_json_delta") {
        // Only client tools are in tool_index_: a server tool's input stays hidden.
        auto it = tool_index_.find(index_of(o));
        std::string_view fragment = get_string(*delta, "partial_json");
        // Empty fragments add nothing to the concatenated arguments.
        if (it != tool_index_.end() && !fragment.empty()) {
            json::object call;
            call["index"] = it->second;
            call["function"] = json::object{{"arguments", fragment}};
            emit_delta(out, json::object{{"tool_calls", json::array{std::move(call)}}});
        }
    }
}

void Stream::on_block_stop(const json::object &o, const sdk::ChunkWriter &out) {
    auto it = blocks_.find(index_of(o));
    if (it == blocks_.end()) return;
    Block &b = it->second;
    if (b.type == "thinking") {
        // The whole signed block at once, for the client to send back.
        emit_delta(out, json::object{{"thinking_blocks",
                                      json::array{thinking_block(b.thinking, b.signature)}}});
    } else if (b.type == "text" && !b.citations.empty()) {
        json::array annotations;
        for (const json::value &c : b.citations)
            annotations.push_back(annotation(c.as_object(), b.text_start, content_chars_));
        emit_delta(out, json::object{{"annotations", std::move(annotations)}});
    }
    blocks_.erase(it);
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
            header_.learn(*msg);
            if (const json::object *u = get_object(*msg, "usage")) usage_.update(*u);
        }
        emit_delta(out, json::object{{"role", "assistant"}, {"content", ""}});
    } else if (type == "content_block_start") {
        on_block_start(*o, out);
    } else if (type == "content_block_delta") {
        on_block_delta(*o, out);
    } else if (type == "content_block_stop") {
        on_block_stop(*o, out);
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
                  : kit::ClassifiedError{SB_ERROR_UPSTREAM, 0, std::string(kDisplayName) + " reported a stream error"};
        throw kit::to_provider_error(c);
    } else if (const json::value *error = o->if_contains("error"); error && !error->is_null()) {
        // An error in another vendor's shape: the base is some other server.
        throw kit::to_provider_error(kit::classify_error_value(*error, kDisplayName, header_.model, api_key_));
    }
    // ping and unknown future events need no output.
    return false;
}

void Stream::finish(const sdk::ChunkWriter &out) {
    // The stream ended without message_stop: close it as well as we know.
    if (have_stop_reason_) emit_finish(out);
    emit_usage(out);
}

std::unique_ptr<sdk::Stream> Provider::open_stream(const sdk::Config &config, std::string_view /*body_json*/) {
    // The model is known before message_start names it (a stream cut before
    // it still yields chunks that say which model was asked).
    return std::make_unique<Stream>(std::string(config.model), std::string(config.api_key), kit::created_now());
}

}  // namespace switchboard::anthropic
