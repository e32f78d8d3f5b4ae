#include "mistral.hpp"

namespace switchboard::mistral {

namespace {

constexpr sb_str kModels[] = {sdk::to_sb("mistral-embed"), sdk::to_sb("codestral-embed")};

}  // namespace

// Text only; codestral-embed takes output_dimension (mistral-embed refuses
// it: the vendor says so). Mistral states a token budget, not a count.
sdk::EmbeddingsInfo Embeddings::info() {
    return {kModels, std::size(kModels), "mistral-embed", 0, SB_EMBED_DIMENSIONS};
}

void Embeddings::rewrite_request(json::object &batch, const sdk::Config &config) const {
    kit::input_texts(batch);  // refuses token arrays
    json::object request{{"model", config.model}, {"input", std::move(batch["input"])}};
    if (const json::value *d = batch.if_contains("dimensions")) request["output_dimension"] = *d;
    if (const json::value *m = batch.if_contains("metadata")) request["metadata"] = *m;
    batch = std::move(request);
}

}  // namespace switchboard::mistral
