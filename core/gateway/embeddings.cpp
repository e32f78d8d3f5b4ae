#include "core/gateway/embeddings.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/errors.hpp"

namespace sb::core {

namespace json = boost::json;

namespace {

[[noreturn]] void malformed(const std::string &provider, const std::string &why) {
    throw GatewayError(ErrorCode::upstream_error,
                       "provider plugin '" + provider + "' produced malformed embeddings: " + why,
                       {}, provider);
}

// What the target's plugin cannot take is the client's error, said before
// any vendor is called.
void check_supported(const ChatTarget &target, const EmbeddingsCall &call) {
    const EmbeddingSupport &support = target.provider->info().embeddings;
    const std::string &id = target.provider->id();
    if (!support.supported)
        throw GatewayError(ErrorCode::invalid_request, "model does not support embeddings", "model",
                           id);
    if (!support.has(SB_EMBED_TOKEN_INPUT) && !call.inputs.empty() &&
        call.inputs.front().is_array())
        throw GatewayError(
            ErrorCode::invalid_request,
            "provider '" + id + "' does not accept token arrays as input; send strings", "input",
            id);
    if (!support.has(SB_EMBED_DIMENSIONS) && call.options.contains("dimensions"))
        throw GatewayError(ErrorCode::invalid_request,
                           "provider '" + id + "' does not support 'dimensions'", "dimensions", id);
}

}  // namespace

void choose_embedding_model(ChatTarget &target, bool model_given) {
    const EmbeddingSupport &support = target.provider->info().embeddings;
    if (!support.supported)
        throw GatewayError(ErrorCode::invalid_request, "model does not support embeddings", "model",
                           target.provider->id());
    if (model_given) {
        for (const auto &m : support.models)
            target.model_known = target.model_known || m == target.config.model.value;
        return;
    }
    if (support.default_model.empty())
        throw GatewayError(
            ErrorCode::invalid_request,
            "provider '" + target.provider->id() + "' has no default embedding model; name one",
            "model", target.provider->id());
    target.config.model = {support.default_model, ValueSource::runtime};
    target.model_known = true;
}

std::vector<std::vector<float>> read_embedding_list(std::string_view text, std::size_t expected,
                                                    const std::string &provider,
                                                    std::string *model) {
    boost::system::error_code ec;
    json::value doc = json::parse(text, ec);
    if (ec || !doc.is_object()) malformed(provider, "not a JSON object");
    const json::object &list = doc.get_object();
    const json::value *data = list.if_contains("data");
    if (!data || !data->is_array()) malformed(provider, "no \"data\" array");
    if (data->get_array().size() != expected)
        malformed(provider, std::to_string(data->get_array().size()) + " vectors for " +
                                std::to_string(expected) + " inputs");
    std::vector<std::vector<float>> vectors(expected);
    std::vector<bool> seen(expected, false);
    for (const json::value &entry : data->get_array()) {
        const json::object *e = entry.if_object();
        const json::value *index = e ? e->if_contains("index") : nullptr;
        const json::value *values = e ? e->if_contains("embedding") : nullptr;
        if (!index || !index->is_number() || !values || !values->is_array())
            malformed(provider, "an entry without \"index\" or \"embedding\"");
        boost::system::error_code number_ec;
        const auto i = index->to_number<std::size_t>(number_ec);
        if (number_ec || i >= expected || seen[i])
            malformed(provider, "an index out of range or repeated");
        seen[i] = true;
        std::vector<float> &v = vectors[i];
        v.reserve(values->get_array().size());
        for (const json::value &x : values->get_array()) {
            if (!x.is_number()) malformed(provider, "a vector value that is not a number");
            v.push_back(static_cast<float>(x.to_number<double>()));
        }
    }
    if (model)
        if (const json::value *m = list.if_contains("model"); m && m->is_string())
            *model = std::string(m->get_string());
    return vectors;
}

boost::asio::awaitable<EmbeddingsResult> embed(ChatGateway &gateway, const ChatTarget &target,
                                               EmbeddingsCall call, UpstreamTimeouts timeouts,
                                               RequestContext &context) {
    context.provider = target.provider->id();
    context.model = target.config.model.value;
    context.model_known = target.model_known;
    context.embedding_inputs = static_cast<std::int64_t>(call.inputs.size());
    check_supported(target, call);
    gateway.ensure_configured(target);
    const EffectiveConfig config = target.config.effective();
    const std::size_t limit = target.provider->info().embeddings.max_batch;
    const std::size_t total = call.inputs.size();
    const std::size_t batch_size = limit == 0 ? std::max<std::size_t>(total, 1) : limit;

    EmbeddingsResult result;
    result.model = config.model;
    result.vectors.reserve(total);
    json::object batch = std::move(call.options);
    batch["model"] = config.model;
    for (std::size_t first = 0; first < total; first += batch_size) {
        const std::size_t count = std::min(batch_size, total - first);
        json::array inputs(call.inputs.begin() + static_cast<std::ptrdiff_t>(first),
                           call.inputs.begin() + static_cast<std::ptrdiff_t>(first + count));
        batch["input"] = std::move(inputs);
        UpstreamRequest request =
            target.provider->build_embeddings_request(config, json::serialize(batch), count);
        UpstreamResponse response = co_await gateway.exchange(target, request, timeouts, &context);
        TokenUsage usage;
        const std::string list =
            target.provider->parse_embeddings_response(config, response, usage);
        std::string vendor_model;
        for (auto &v : read_embedding_list(list, count, target.provider->id(), &vendor_model))
            result.vectors.push_back(std::move(v));
        if (!vendor_model.empty()) result.model = vendor_model;
        if (usage.prompt_tokens >= 0)
            result.usage.prompt_tokens =
                std::max<std::int64_t>(result.usage.prompt_tokens, 0) + usage.prompt_tokens;
    }
    if (result.usage.prompt_tokens >= 0) result.usage.completion_tokens = 0;
    count_usage(result.usage, context);
    co_return result;
}

}  // namespace sb::core
