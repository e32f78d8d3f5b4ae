#include "host/openai_api.hpp"

#include "core/errors.hpp"
#include "host/error_presentation.hpp"
#include "host/http_responses.hpp"
#include "host/json_body.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;

namespace {

// An OpenAI model object; "deprecated"/"retired": true when the provider's
// plugin says its vendor deprecated or retired the model, "embeddings": true
// for the embedding models the plugin names (sb.embeddings/1).
json::object model_object(const core::ProviderSet &providers, std::string_view id, std::string_view today) {
    const std::string_view owner = id.substr(0, id.find('/'));
    json::object o{{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", owner}};
    if (auto provider = providers.find(owner)) {
        const std::string_view model = id.substr(owner.size() + 1);
        const core::ModelStatus status = provider->info().lifecycle.status(model, today);
        if (status != core::ModelStatus::available) o[core::model_status_name(status)] = true;
        const auto &embedding_models = provider->info().embeddings.models;
        if (std::find(embedding_models.begin(), embedding_models.end(), model) != embedding_models.end())
            o["embeddings"] = true;
    }
    return o;
}

// OpenAI's server-sent events: `data: {chunk}` per chunk, a failure as an
// error object, `data: [DONE]` last.
class OpenAISse final : public core::StreamEncoder {
public:
    void chunk(std::string &out, std::string_view chunk_json) override { event(out, chunk_json); }
    void failure(std::string &out, const GatewayError &error) override { event(out, error_body_json(error)); }
    void end(std::string &out) override { out += "data: [DONE]\n\n"; }

private:
    static void event(std::string &out, std::string_view json) {
        out += "data: ";
        out += json;
        out += "\n\n";
    }
};

// Stateless: every stream shares one.
core::EncoderRef openai_sse() {
    static OpenAISse encoder;
    return core::EncoderRef::shared(encoder);
}

}  // namespace

boost::asio::awaitable<Reply> OpenAIApi::chat_completions(Request &request, core::RequestContext &context) {
    context.dialect = "openai.chat";
    json::object body = parse_json_object(request.body());
    std::string().swap(request.body());
    validate_chat_request(body);
    std::string_view model_field;  // routed before the body moves on
    if (auto model = body.find("model"); model != body.end()) model_field = model->value().get_string();
    std::vector<core::ChatTarget> chain = gateway_.with_fallbacks(gateway_.route(model_field));
    if (auto flag = body.find("stream"); flag != body.end() && flag->value().is_bool() && flag->value().get_bool()) {
        static const core::EncoderFactory make_encoder(openai_sse);
        std::unique_ptr<BodySource> stream = co_await gateway_.open_stream_chain(
            std::move(chain), std::move(body), make_encoder, gateway_.options().stream_timeouts, context);
        // The server pumps the body: this frame (and the router's) end now.
        co_return stream_reply(std::move(stream), context);
    }
    core::ChatResult result =
        co_await gateway_.complete_chain(std::move(chain), std::move(body), gateway_.options().chat_timeouts, context);
    Reply reply{json_response(http::status::ok, std::move(result.body_json), request.version()), nullptr};
    reply.head.set("x-switchboard-provider", context.provider);
    co_return reply;
}

boost::asio::awaitable<std::vector<std::string>> OpenAIApi::all_model_ids(core::RequestContext &context) {
    std::vector<std::string> ids;
    auto set = registry_.current();
    for (const auto &p : set->providers) {
        core::ChatTarget target = gateway_.target(p->id());
        if (core::missing_configuration(p->info(), target.config)) continue;
        std::vector<std::string> models;
        if (p->info().has(SB_CAP_MODEL_LISTING)) {
            try {
                models = co_await gateway_.live_models(target, &context);
            } catch (const GatewayError &) {
                models.clear();  // fall back to the static list below
            }
        }
        if (models.empty()) models = p->info().known_models;
        if (models.empty() && !target.config.model.value.empty()) models.push_back(target.config.model.value);
        for (const auto &m : p->info().embeddings.models)
            if (std::find(models.begin(), models.end(), m) == models.end()) models.push_back(m);
        for (auto &m : models) ids.push_back(p->id() + "/" + m);
    }
    co_return ids;
}

boost::asio::awaitable<Response> OpenAIApi::list_models(const Request &request, core::RequestContext &context) {
    json::array data;
    const auto providers = registry_.current();
    const std::string today = core::utc_today();
    for (const auto &id : co_await all_model_ids(context)) data.push_back(model_object(*providers, id, today));
    json::object doc{{"object", "list"}, {"data", std::move(data)}};
    co_return json_response(http::status::ok, json::serialize(doc), request.version());
}

boost::asio::awaitable<Response> OpenAIApi::get_model(const Request &request, std::string_view model_id,
                                                     core::RequestContext &context) {
    for (const auto &id : co_await all_model_ids(context)) {
        if (id == model_id)
            co_return json_response(
                http::status::ok,
                json::serialize(model_object(*registry_.current(), id, core::utc_today())),
                request.version());
    }
    throw GatewayError(ErrorCode::model_not_found, "model '" + std::string(model_id) + "' not found", "model");
}

}  // namespace sb::host
