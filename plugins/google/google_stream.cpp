// Gemini streamGenerateContent (alt=sse) -> unified chat.completion.chunk.
#include "google.hpp"

namespace switchboard::google {

namespace {

using kit::get_array;
using kit::get_object;
using kit::get_string;
using kit::trim;

// ----------------------------------------------------------- stream

class GeminiStream final : public sdk::Stream {
public:
    // Every chunk leaves through kit::emit_chunk, which reports usage typed.
    bool reports_usage() const override { return true; }
    GeminiStream(std::string model, std::string api_key) : api_key_(std::move(api_key)) {
        header_.model = std::move(model);
        header_.created = kit::created_now();
    }

    bool on_event(std::string_view /*event*/, std::string_view data, const sdk::ChunkWriter &out) override {
        std::string_view payload = trim(data);
        if (payload.empty()) return false;
        if (payload == "[DONE]") return true;  // not Gemini's, but proxies add it
        bool ok = false;
        json::value v = kit::try_parse(payload, ok);
        if (!ok) throw not_gemini(0, "stream event is not JSON");
        if (json::array *a = v.if_array()) {
            for (json::value &item : *a) handle(item, out);
        } else {
            handle(v, out);
        }
        return false;
    }

    // Gemini has no end-of-stream event: the body just ends, so whatever is
    // still open is closed here.
    void finish(const sdk::ChunkWriter &out) override {
        for (auto &[index, c] : candidates_)
            if (!c.finished) emit(out, index, json::object(), map_finish("STOP", c.calls > 0));
        kit::emit_chunk(out, header().usage_chunk(usage_of(have_usage_ ? &usage_ : nullptr)));
    }

private:
    struct Candidate {
        bool started = false;
        bool finished = false;
        size_t calls = 0;
    };

    void handle(const json::value &v, const sdk::ChunkWriter &out) {
        const json::object *o = v.if_object();
        if (!o) throw not_gemini(0, "stream event is not a JSON object");
        if (const json::value *err = o->if_contains("error"); err && !err->is_null())
            throw kit::to_provider_error(classify_error_object(*err, header_.model, api_key_));
        if (header_.id.empty())
            if (auto rid = get_string(*o, "responseId"); !rid.empty()) header_.id = "chatcmpl-" + std::string(rid);
        if (header_.vendor_model.empty()) header_.vendor_model = std::string(get_string(*o, "modelVersion"));
        if (const json::object *um = get_object(*o, "usageMetadata")) {
            usage_ = *um;
            have_usage_ = true;
        }
        const json::array *cands = get_array(*o, "candidates");
        if (!cands || cands->empty()) {
            const json::object *fb = get_object(*o, "promptFeedback");
            if (fb && !get_string(*fb, "blockReason").empty()) {
                Candidate &c = candidates_[0];
                if (!c.finished) {
                    json::object delta;
                    delta["role"] = "assistant";
                    delta["content"] = "";
                    c.started = c.finished = true;
                    emit(out, 0, std::move(delta), "content_filter");
                }
            } else if (!cands && !o->contains("usageMetadata") && !fb) {
                throw not_gemini(0, "stream event has no candidates");
            }
            return;
        }
        for (size_t pos = 0; pos < cands->size(); ++pos) {
            const json::object *cand = (*cands)[pos].if_object();
            if (!cand) continue;
            const int64_t index = candidate_index(*cand, pos);
            Candidate &c = candidates_[index];
            CandidateParts parts = read_parts(*cand, c.calls);
            json::object delta;
            if (!c.started) delta["role"] = "assistant";
            if (!parts.text.empty()) delta["content"] = parts.text;
            if (!parts.reasoning.empty()) delta["reasoning_content"] = parts.reasoning;
            if (!parts.text_signature.empty()) delta["extra_content"] = google_extra(parts.text_signature);
            if (!parts.calls.empty()) delta["tool_calls"] = tool_calls_json(parts.calls, true, c.calls);
            c.calls += parts.calls.size();
            std::string_view reason = get_string(*cand, "finishReason");
            const bool has_payload = delta.size() > (c.started ? 0u : 1u);
            if (!has_payload && reason.empty()) continue;
            if (c.finished) continue;  // nothing may follow a finish_reason
            c.started = true;
            std::string finish;
            if (!reason.empty()) {
                c.finished = true;
                try {
                    finish = map_finish(reason, c.calls > 0, get_string(*cand, "finishMessage"));
                } catch (const sdk::ProviderError &) {
                    // What the candidate said before failing still reaches the client.
                    if (has_payload) emit(out, index, std::move(delta), {});
                    throw;
                }
            }
            emit(out, index, std::move(delta), finish);
        }
    }

    const kit::ChunkHeader &header() {
        if (header_.id.empty()) header_.id = fallback_id();
        return header_;
    }

    void emit(const sdk::ChunkWriter &out, int64_t index, json::object delta, const std::string &finish) {
        kit::emit_chunk(out, header().delta_chunk(std::move(delta), finish.empty() ? json::value(nullptr) : json::value(finish),
                                                  index));
    }

    std::string api_key_;
    kit::ChunkHeader header_;
    std::map<int64_t, Candidate> candidates_;
    json::object usage_;
    bool have_usage_ = false;
};

}  // namespace

std::unique_ptr<sdk::Stream> Provider::open_stream(const sdk::Config &config, std::string_view /*body_json*/) {
    return std::make_unique<GeminiStream>(bare_model_id(config.model), std::string(config.api_key));
}

}  // namespace switchboard::google
