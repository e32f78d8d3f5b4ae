#include "google.hpp"

namespace switchboard::google {

namespace {

constexpr sb_str kModels[] = {sdk::to_sb("gemini-embedding-001"), sdk::to_sb("gemini-embedding-2")};

// Gemini's batchEmbedContents takes at most 100 requests.
constexpr size_t kMaxBatch = 100;

}  // namespace

sdk::EmbeddingsInfo Embeddings::info() {
    return {kModels, std::size(kModels), "gemini-embedding-001", kMaxBatch, SB_EMBED_DIMENSIONS};
}

sdk::HttpRequest Embeddings::build_embeddings_request(const sdk::Config &config,
                                                      std::string_view body_json, size_t) {
    const json::object batch = kit::embeddings_batch(body_json);
    const std::string resource = model_resource(config.model);
    // What every request of the batch shares besides its text.
    json::object shared{{"model", resource}};
    if (const json::value *d = batch.if_contains("dimensions")) shared["outputDimensionality"] = *d;
    if (auto task = kit::get_string(batch, "task_type"); !task.empty()) shared["taskType"] = task;
    if (auto title = kit::get_string(batch, "title"); !title.empty()) shared["title"] = title;
    json::array requests;
    for (std::string_view text : kit::input_texts(batch)) {
        json::object one = shared;
        one["content"] = json::object{{"parts", json::array{json::object{{"text", text}}}}};
        requests.push_back(std::move(one));
    }
    sdk::HttpRequest req;
    req.url = kit::join_url(config.api_base, resource + ":batchEmbedContents");
    kit::add_json_headers(req, false);
    req.body = kit::to_json(json::object{{"requests", std::move(requests)}});
    return req;
}

std::string Embeddings::parse_embeddings_response(const sdk::Config &config,
                                                  const sdk::HttpResponse &response) {
    if (!kit::is_2xx(response.status))
        throw kit::to_provider_error(
            classify_error(response.status, response.body, config.model, config.api_key));
    bool ok = false;
    json::value v = kit::try_parse(response.body, ok);
    const json::object *answer = ok ? v.if_object() : nullptr;
    const json::array *embeddings = answer ? kit::get_array(*answer, "embeddings") : nullptr;
    if (!embeddings)
        throw not_gemini(response.status, "embeddings answer has no \"embeddings\" array");
    std::vector<kit::Vector> vectors;
    for (const json::value &e : *embeddings) {
        const json::value *values = e.is_object() ? e.get_object().if_contains("values") : nullptr;
        std::optional<kit::Vector> vector = values ? kit::read_vector(*values) : std::nullopt;
        if (!vector) throw not_gemini(response.status, "an embedding has no \"values\" array");
        vectors.push_back(std::move(*vector));
    }
    std::int64_t tokens = -1;
    if (const json::object *usage = kit::get_object(*answer, "usageMetadata"))
        tokens = kit::get_count(*usage, "promptTokenCount").value_or(-1);
    return kit::embedding_list(response, config.model, vectors, tokens);
}

}  // namespace switchboard::google
