// Cohere v2 chat stream events (message-start, content-delta, tool-call-*,
// citation-start, message-end) -> unified chat.completion.chunk.
#include "cohere.hpp"

#include <map>

namespace switchboard::cohere {

namespace {

using kit::trim;

class CohereStream final : public sdk::Stream {
public:
    // Every chunk leaves through kit::emit_chunk, which reports usage typed.
    bool reports_usage() const override { return true; }
    CohereStream(std::string model, std::string api_key) : api_key_(std::move(api_key)) {
        header_.model = std::move(model);
        header_.created = kit::created_now();
    }

    bool on_event(std::string_view event, std::string_view data, const sdk::ChunkWriter &out) override {
        std::string_view payload = trim(data);
        if (payload.empty()) return false;
        if (payload == "[DONE]") return true;
        bool ok = false;
        json::value v = kit::try_parse(payload, ok);
        const json::object *o = ok ? v.if_object() : nullptr;
        if (!o) throw api_base_incorrect(0, "stream event is not a JSON object");
        // The SSE event name and the data's "type" say the same thing; the
        // data is authoritative because proxies may drop event lines.
        std::string_view type = kit::get_string(*o, "type");
        if (type.empty()) type = trim(event);

        if (type == "error" || (type.empty() && (o->contains("message") || o->contains("error"))))
            throw kit::to_provider_error(classify_message(error_text(*o), api_key_));

        const json::object *delta = kit::get_object(*o, "delta");
        const json::object *dmsg = delta ? kit::get_object(*delta, "message") : nullptr;

        if (type == "message-start") {
            if (auto id = kit::get_string(*o, "id"); !id.empty()) header_.id = std::string(id);
            ensure_role(out);
        } else if (type == "content-start" || type == "content-delta") {
            const json::object *c = dmsg ? kit::get_object(*dmsg, "content") : nullptr;
            if (!c) return false;
            if (auto t = kit::get_string(*c, "text"); !t.empty()) emit_delta(out, {{"content", t}});
            if (auto t = kit::get_string(*c, "thinking"); !t.empty())
                emit_delta(out, {{"reasoning_content", t}});
        } else if (type == "tool-plan-delta") {
            // The text before the tool calls: content, as in the answer.
            if (auto plan = dmsg ? kit::get_string(*dmsg, "tool_plan") : std::string_view(); !plan.empty())
                emit_delta(out, {{"content", plan}});
        } else if (type == "citation-start") {
            const json::value *c = dmsg ? dmsg->if_contains("citations") : nullptr;
            json::array annotations;
            if (const json::object *co = c ? c->if_object() : nullptr) annotations.push_back(annotation(*co, 0));
            if (const json::array *ca = c ? c->if_array() : nullptr)
                for (const json::value &x : *ca)
                    if (const json::object *xo = x.if_object()) annotations.push_back(annotation(*xo, 0));
            if (!annotations.empty()) emit_delta(out, {{"annotations", std::move(annotations)}});
        } else if (type == "tool-call-start") {
            const json::object *tc = dmsg ? tool_call_of(*dmsg) : nullptr;
            if (!tc) return false;
            int index = next_tool_++;
            tool_index_[vendor_index(*o, index)] = index;
            last_tool_ = index;
            const json::object *fn = kit::get_object(*tc, "function");
            json::object empty;
            std::string id(kit::get_string(*tc, "id"));
            if (id.empty()) id = "call_" + std::to_string(index);
            json::object call{{"index", index},
                              {"id", id},
                              {"type", "function"},
                              {"function", json::object{{"name", kit::get_string(fn ? *fn : empty, "name")},
                                                        {"arguments", kit::get_string(fn ? *fn : empty, "arguments")}}}};
            emit_delta(out, {{"tool_calls", json::array{std::move(call)}}});
        } else if (type == "tool-call-delta") {
            const json::object *tc = dmsg ? tool_call_of(*dmsg) : nullptr;
            const json::object *fn = tc ? kit::get_object(*tc, "function") : nullptr;
            std::string_view args = fn ? kit::get_string(*fn, "arguments") : std::string_view();
            if (args.empty()) return false;
            int index = last_tool_ < 0 ? 0 : last_tool_;
            if (auto it = tool_index_.find(vendor_index(*o, -1)); it != tool_index_.end()) index = it->second;
            json::object call{{"index", index}, {"function", json::object{{"arguments", args}}}};
            emit_delta(out, {{"tool_calls", json::array{std::move(call)}}});
        } else if (type == "message-end") {
            if (delta)
                if (auto err = kit::get_string(*delta, "error"); !err.empty())
                    throw kit::to_provider_error(classify_message(err, api_key_));
            ensure_role(out);
            std::string_view reason = delta ? kit::get_string(*delta, "finish_reason") : std::string_view();
            emit(out, chunk(json::object(), json::string(finish_reason(reason, next_tool_ > 0))));
            emit_usage(out, usage_of(delta ? kit::get_object(*delta, "usage") : nullptr));
            return true;
        }
        // content-end, tool-call-end, citation-end, debug and event types
        // added later carry nothing to forward.
        return false;
    }

    void finish(const sdk::ChunkWriter &out) override {
        if (!usage_sent_) emit_usage(out, usage_of(nullptr));
    }

private:
    static std::string error_text(const json::object &o) {
        if (auto m = kit::get_string(o, "message"); !m.empty()) return std::string(m);
        if (const json::value *e = o.if_contains("error")) return kit::read_error_value(*e).message;
        return {};
    }

    // tool_calls is one object in stream deltas; tolerate a one-element array.
    static const json::object *tool_call_of(const json::object &dmsg) {
        const json::value *v = dmsg.if_contains("tool_calls");
        if (!v) return nullptr;
        if (const json::array *a = v->if_array()) return a->empty() ? nullptr : (*a)[0].if_object();
        return v->if_object();
    }

    static int64_t vendor_index(const json::object &o, int64_t fallback) {
        auto n = kit::get_number(o, "index");
        return n ? int64_t(*n) : fallback;
    }

    json::object chunk(json::object delta, json::value finish) const {
        return header_.delta_chunk(std::move(delta), std::move(finish));
    }

    static void emit(const sdk::ChunkWriter &out, const json::object &c) { kit::emit_chunk(out, c); }

    void ensure_role(const sdk::ChunkWriter &out) {
        if (role_sent_) return;
        role_sent_ = true;
        emit(out, chunk(json::object{{"role", "assistant"}, {"content", ""}}, nullptr));
    }

    void emit_delta(const sdk::ChunkWriter &out, json::object delta) {
        ensure_role(out);
        emit(out, chunk(std::move(delta), nullptr));
    }

    void emit_usage(const sdk::ChunkWriter &out, json::object usage) {
        emit(out, header_.usage_chunk(std::move(usage)));
        usage_sent_ = true;
    }

    std::string api_key_;
    kit::ChunkHeader header_;
    bool role_sent_ = false;
    bool usage_sent_ = false;
    std::map<int64_t, int> tool_index_;  // Cohere's event index -> OpenAI tool index
    int next_tool_ = 0;
    int last_tool_ = -1;
};

}  // namespace

std::unique_ptr<sdk::Stream> Provider::open_stream(const sdk::Config &config, std::string_view /*body_json*/) {
    return std::make_unique<CohereStream>(std::string(config.model), std::string(config.api_key));
}

}  // namespace switchboard::cohere
