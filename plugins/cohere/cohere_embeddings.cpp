#include "cohere.hpp"

namespace switchboard::cohere {

namespace {

constexpr sb_str kModels[] = {sdk::to_sb("embed-v4.0"), sdk::to_sb("embed-english-v3.0"),
                              sdk::to_sb("embed-multilingual-v3.0"),
                              sdk::to_sb("embed-english-light-v3.0"),
                              sdk::to_sb("embed-multilingual-light-v3.0")};

// The v2 embed endpoint takes at most 96 texts.
constexpr size_t kMaxBatch = 96;

}  // namespace

// "dimensions" (output_dimension) is for embed-v4.0; Cohere refuses it for
// the v3 models itself.
sdk::EmbeddingsInfo Embeddings::info() {
    return {kModels, std::size(kModels), "embed-v4.0", kMaxBatch, SB_EMBED_DIMENSIONS};
}

sdk::HttpRequest Embeddings::build_embeddings_request(const sdk::Config &config,
                                                      std::string_view body_json, size_t) {
    const json::object batch = kit::embeddings_batch(body_json);
    json::array texts;
    for (std::string_view text : kit::input_texts(batch)) texts.emplace_back(text);
    const std::string_view input_type = kit::get_string(batch, "input_type", kDefaultInputType);
    json::object request{{"model", config.model},
                         {"texts", std::move(texts)},
                         {"input_type", input_type},
                         {"embedding_types", json::array{"float"}}};
    if (const json::value *d = batch.if_contains("dimensions")) request["output_dimension"] = *d;
    for (std::string_view passed : {"truncate", "max_tokens"})
        if (const json::value *v = batch.if_contains(passed)) request[passed] = *v;
    sdk::HttpRequest req;
    req.url = api_root(config.api_base) + "/v2/embed";
    kit::add_json_headers(req, false);
    req.body = kit::to_json(request);
    return req;
}

std::string Embeddings::parse_embeddings_response(const sdk::Config &config,
                                                  const sdk::HttpResponse &response) {
    if (!kit::is_2xx(response.status))
        throw kit::to_provider_error(
            classify_http(response.status, response.body, config.model, config.api_key));
    bool ok = false;
    json::value v = kit::try_parse(response.body, ok);
    const json::object *answer = ok ? v.if_object() : nullptr;
    const json::object *by_type = answer ? kit::get_object(*answer, "embeddings") : nullptr;
    const json::array *floats = by_type ? kit::get_array(*by_type, "float") : nullptr;
    if (!floats)
        throw api_base_incorrect(response.status, "embed answer has no \"embeddings.float\" array");
    std::vector<kit::Vector> vectors;
    for (const json::value &values : *floats) {
        std::optional<kit::Vector> vector = kit::read_vector(values);
        if (!vector)
            throw api_base_incorrect(response.status, "an embedding is not an array of numbers");
        vectors.push_back(std::move(*vector));
    }
    std::int64_t tokens = -1;
    if (const json::object *meta = kit::get_object(*answer, "meta"))
        if (const json::object *billed = kit::get_object(*meta, "billed_units"))
            tokens = kit::get_count(*billed, "input_tokens").value_or(-1);
    return kit::embedding_list(response, config.model, vectors, tokens);
}

}  // namespace switchboard::cohere
