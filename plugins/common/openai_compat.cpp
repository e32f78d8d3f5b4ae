#include <switchboard/kit/completion_scan.hpp>
#include <switchboard/kit/openai_compat.hpp>
#include <switchboard/kit/openai_normalize.hpp>

namespace switchboard::kit {

sdk::HttpRequest OpenAICompatibleProvider::build_chat_request(const sdk::Config &config,
                                                              std::string_view body_json, bool stream) {
    CallArena arena;  // the body only lives until it is serialised below
    json::object body = unified_request(body_json, arena.storage());
    rewrite_request(body, config);
    body["model"] = config.model;  // a string in the body's own (arena) storage
    if (stream) {
        body["stream"] = true;
        if (options_.stream_include_usage) {
            json::value &so = body["stream_options"];
            if (!so.is_object()) so = json::object();
            so.get_object()["include_usage"] = true;
        }
    } else {
        body.erase("stream");
        body.erase("stream_options");
    }

    sdk::HttpRequest req;
    req.method = "POST";
    req.url = join_url(config.api_base, options_.chat_path);
    add_json_headers(req, stream);
    req.body = json::serialize(body);
    return req;
}

ClassifiedError OpenAICompatibleProvider::classify_http(int status, std::string_view body, std::string_view model,
                                                        std::string_view api_key) const {
    return classify_http_error(status, body, display_name(), model, api_key);
}

std::string OpenAICompatibleProvider::parse_chat_response(const sdk::Config &config,
                                                          const sdk::HttpResponse &response) {
    if (!is_2xx(response.status))
        throw to_provider_error(classify_http(response.status, response.body, config.model, config.api_key));
    if (!options_.normalize) {
        // The common case, checked without building a tree (completion_scan.hpp).
        CompletionScan scan = scan_completion(response.body);
        if (scan.passes()) return completion_json(response, scan.usage, response.body);
    }
    bool ok = false;
    CallArena arena;  // the answer is read, rewritten and serialised within this call
    json::value v = try_parse(response.body, ok, arena.storage());
    if (!ok) throw api_base_incorrect(response.status, "body is not JSON");
    json::object *o = v.if_object();
    if (!o) throw api_base_incorrect(response.status, "body is not a JSON object");
    if (options_.normalize) check_completion(*o, response, config);
    if (const json::value *err = o->if_contains("error"); err && !err->is_null()) {
        ClassifiedError c = classify_error_value(*err, display_name(), config.model, config.api_key);
        c.status = response.status;
        throw to_provider_error(c);
    }
    if (!options_.normalize) {
        if (!get_array(*o, "choices")) throw api_base_incorrect(response.status, "no \"choices\" array");
        return completion_json(response, *o, response.body);
    }
    normalize_chat_completion(*o, response.status, display_name());
    return completion_json(response, *o);
}

std::unique_ptr<sdk::Stream> OpenAICompatibleProvider::open_stream(const sdk::Config &config,
                                                                   std::string_view /*body_json*/) {
    if (options_.normalize) return std::make_unique<NormalizingStream>(display_name(), config);
    return std::make_unique<OpenAICompatStream>(display_name(), config);
}

std::optional<sdk::HttpRequest> OpenAICompatibleProvider::build_models_request(const sdk::Config &config) {
    sdk::HttpRequest req;
    req.method = "GET";
    req.url = join_url(config.api_base, options_.models_path);
    req.headers.emplace_back("Accept", "application/json");
    return req;
}

std::optional<sdk::ModelEntry> OpenAICompatibleProvider::model_entry(const json::object &model) const {
    std::string_view id = get_string(model, "id");
    if (id.empty()) return std::nullopt;
    return sdk::ModelEntry{std::string(id), {}};
}

std::vector<sdk::ModelEntry> OpenAICompatibleProvider::parse_models_response(const sdk::Config &config,
                                                                             const sdk::HttpResponse &response) {
    if (!is_2xx(response.status))
        throw to_provider_error(classify_http(response.status, response.body, {}, config.api_key));
    bool ok = false;
    json::value v = try_parse(response.body, ok);
    if (!ok) throw api_base_incorrect(response.status, "model list is not JSON");
    const json::array *data = nullptr;
    if (const json::object *o = v.if_object()) {
        data = get_array(*o, "data");
        if (!data) data = get_array(*o, "models");
    } else {
        data = v.if_array();  // some servers (Together) answer a bare array
    }
    if (!data) throw api_base_incorrect(response.status, "model list has no \"data\" array");
    std::vector<sdk::ModelEntry> out;
    out.reserve(data->size());
    for (const json::value &m : *data)
        if (const json::object *mo = m.if_object())
            if (auto entry = model_entry(*mo)) out.push_back(std::move(*entry));
    return out;
}

const json::value *OpenAIChunkStream::stream_error(const json::object &payload) const {
    const json::value *err = payload.if_contains("error");
    return err && !err->is_null() ? err : nullptr;
}

bool OpenAIChunkStream::on_event(std::string_view /*event*/, std::string_view data, const sdk::ChunkWriter &out) {
    std::string_view payload = trim(data);
    if (payload.empty()) return false;
    if (payload == "[DONE]") return true;
    bool ok = false;
    CallArena arena;  // the vendor chunk lives for this event only
    json::value v = try_parse(payload, ok, arena.storage());
    json::object *o = ok ? v.if_object() : nullptr;
    if (!o) throw api_base_incorrect(0, "stream event is not a JSON object");
    if (const json::value *err = stream_error(*o))
        throw to_provider_error(classify_error_value(*err, provider_name_, header_.model, api_key_));
    header_.learn(*o);
    on_chunk(*o, payload, out);
    return false;
}

void OpenAIChunkStream::emit_usage(const sdk::ChunkWriter &out, json::value usage) {
    emit_chunk(out, header_.usage_chunk(std::move(usage)));
    saw_usage_ = true;
}

void OpenAIChunkStream::finish(const sdk::ChunkWriter &out) {
    if (!saw_usage_) emit_usage(out, nullptr);
}

void OpenAICompatStream::on_chunk(json::object &chunk, std::string_view as_received, const sdk::ChunkWriter &out) {
    if (get_object(chunk, "usage")) saw_usage();
    emit_chunk(out, chunk, as_received);
}

}  // namespace switchboard::kit
