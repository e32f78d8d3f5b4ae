#include <switchboard/kit/openai_compat.hpp>

namespace switchboard::kit {

void OpenAICompat::require_base(const sdk::Config &config) const {
    if (config.api_base.empty())
        throw sdk::not_configured(opt_.id + " provider has no API base: set " + opt_.env_api_base +
                                  " or POST /api/backdoor/llm/config with api_base");
}

void OpenAICompat::require_key(const sdk::Config &config) const {
    if (opt_.requires_api_key && config.api_key.empty())
        throw sdk::not_configured(opt_.id + " provider has no API key: set " + opt_.env_api_key +
                                  " or POST /api/backdoor/llm/config with api_key");
}

sdk::HttpRequest OpenAICompat::build_chat_request(const sdk::Config &config,
                                                  std::string_view body_json, bool stream) const {
    require_base(config);
    CallArena arena;  // body only lives until it is serialised below
    json::object body = parse_chat_request(body_json, arena.storage());
    if (!config.model.empty()) {
        body["model"] = json::string(config.model);
    } else if (get_string(body, "model").empty()) {
        throw sdk::not_configured(opt_.id + " provider has no model: set " + opt_.env_model +
                                  " or POST /api/backdoor/llm/config with model");
    }
    require_key(config);
    if (stream) {
        body["stream"] = true;
        if (opt_.stream_include_usage) {
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
    req.url = join_url(config.api_base, opt_.chat_path);
    add_json_headers(req, stream);
    add_bearer_auth(req, config.api_key);
    req.body = json::serialize(body);
    return req;
}

std::string OpenAICompat::parse_chat_response(const sdk::Config &config,
                                              const sdk::HttpResponse &response) const {
    if (!is_2xx(response.status))
        throw to_provider_error(classify_http_error(response.status, response.body,
                                                    opt_.display_name, config.model,
                                                    config.api_key));
    bool ok = false;
    CallArena arena;  // parsed to be checked, then dropped: the body goes out as is
    json::value v = try_parse(response.body, ok, arena.storage());
    if (!ok) throw api_base_incorrect(response.status, "body is not JSON");
    const json::object *o = v.if_object();
    if (!o) throw api_base_incorrect(response.status, "body is not a JSON object");
    if (const json::value *err = o->if_contains("error"); err && !err->is_null()) {
        ClassifiedError c = classify_error_value(*err, opt_.display_name, config.model, config.api_key);
        c.status = response.status;
        throw to_provider_error(c);
    }
    if (!get_array(*o, "choices")) throw api_base_incorrect(response.status, "no \"choices\" array");
    return std::string(response.body);
}

std::unique_ptr<sdk::Stream> OpenAICompat::open_stream(const sdk::Config &config) const {
    return std::make_unique<OpenAICompatStream>(opt_.display_name, std::string(config.model),
                                                std::string(config.api_key));
}

sdk::HttpRequest OpenAICompat::build_models_request(const sdk::Config &config) const {
    require_base(config);
    require_key(config);
    sdk::HttpRequest req;
    req.method = "GET";
    req.url = join_url(config.api_base, opt_.models_path);
    req.headers.emplace_back("Accept", "application/json");
    add_bearer_auth(req, config.api_key);
    return req;
}

std::vector<sdk::ModelEntry> OpenAICompat::parse_models_response(
    const sdk::Config &config, const sdk::HttpResponse &response) const {
    if (!is_2xx(response.status))
        throw to_provider_error(classify_http_error(response.status, response.body,
                                                    opt_.display_name, {}, config.api_key));
    bool ok = false;
    json::value v = try_parse(response.body, ok);
    if (!ok) throw api_base_incorrect(response.status, "model list is not JSON");
    const json::array *data = nullptr;
    if (const json::object *o = v.if_object()) {
        data = get_array(*o, "data");
        if (!data) data = get_array(*o, "models");
    } else {
        data = v.if_array();  // some compatible servers return a bare array
    }
    if (!data) throw api_base_incorrect(response.status, "model list has no \"data\" array");
    std::vector<sdk::ModelEntry> out;
    out.reserve(data->size());
    for (const json::value &m : *data) {
        const json::object *mo = m.if_object();
        if (!mo) continue;
        std::string_view id = get_string(*mo, "id");
        if (id.empty()) continue;
        out.push_back({std::string(id), {}});
    }
    return out;
}

bool OpenAICompatStream::on_event(std::string_view /*event*/, std::string_view data,
                                  const sdk::ChunkWriter &out) {
    std::string_view payload = trim(data);
    if (payload.empty()) return false;
    if (payload == "[DONE]") return true;
    bool ok = false;
    CallArena arena;  // read, then dropped: the event goes out as is
    json::value v = try_parse(payload, ok, arena.storage());
    const json::object *o = ok ? v.if_object() : nullptr;
    if (!o) throw api_base_incorrect(0, "stream event is not a JSON object");
    if (const json::value *err = o->if_contains("error"); err && !err->is_null())
        throw to_provider_error(classify_error_value(*err, provider_name_, model_, api_key_));
    if (const json::object *u = get_object(*o, "usage"); u) saw_usage_ = true;
    if (id_.empty()) id_ = std::string(get_string(*o, "id"));
    if (chunk_model_.empty()) chunk_model_ = std::string(get_string(*o, "model"));
    if (created_ == 0)
        if (const json::value *c = o->if_contains("created"); c && c->is_int64()) created_ = c->get_int64();
    out.emit(payload);
    return false;
}

void OpenAICompatStream::finish(const sdk::ChunkWriter &out) {
    if (saw_usage_) return;
    json::object chunk;
    chunk["id"] = id_;
    chunk["object"] = "chat.completion.chunk";
    chunk["created"] = created_;
    chunk["model"] = chunk_model_.empty() ? model_ : chunk_model_;
    chunk["choices"] = json::array();
    json::object usage;
    usage["prompt_tokens"] = 0;
    usage["completion_tokens"] = 0;
    usage["total_tokens"] = 0;
    chunk["usage"] = std::move(usage);
    out.emit(json::serialize(chunk));
    saw_usage_ = true;
}

}  // namespace switchboard::kit
