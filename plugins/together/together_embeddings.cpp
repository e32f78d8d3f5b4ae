#include "together.hpp"

namespace switchboard::together {

namespace {

constexpr sb_str kModels[] = {sdk::to_sb("BAAI/bge-large-en-v1.5"),
                              sdk::to_sb("BAAI/bge-base-en-v1.5"),
                              sdk::to_sb("intfloat/multilingual-e5-large-instruct"),
                              sdk::to_sb("togethercomputer/m2-bert-80M-32k-retrieval")};

}  // namespace

// Text only, no "dimensions"; Together states no batch limit.
sdk::EmbeddingsInfo Embeddings::info() {
    return {kModels, std::size(kModels), "BAAI/bge-large-en-v1.5", 0, 0};
}

void Embeddings::rewrite_request(json::object &batch, const sdk::Config &config) const {
    kit::input_texts(batch);  // refuses token arrays
    json::object request{{"model", config.model}, {"input", std::move(batch["input"])}};
    batch = std::move(request);
}

}  // namespace switchboard::together
