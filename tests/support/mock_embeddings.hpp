#pragma once
// The embeddings side of the mock vendors: every dialect answers with the
// same deterministic vector for a text (mock_embedding), so a test can tell
// which input each returned vector belongs to, and so whether batches were
// split and joined in order. Token counts: 2 per input.
//
//   OpenAI  POST .../embeddings           {"input":[...]} (strings or token
//           arrays; a token array embeds as its numbers joined with ",");
//           "encoding_format":"base64" answered as base64 float32
//   Gemini  POST .../models/{m}:batchEmbedContents  {"requests":[{content}]},
//           usageMetadata.promptTokenCount
//   Cohere  POST /v2/embed                 {"texts":[...],"input_type"} (refused
//           with 400 without input_type, as Cohere does);
//           meta.billed_units.input_tokens
//   model "missing-model" -> the dialect's model-not-found answer.
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/loopback_http_server.hpp"

namespace sb::test {

// The vector every mock gives text: 4 values that depend on its bytes.
std::vector<float> mock_embedding(std::string_view text);

enum class EmbeddingsDialect { openai, gemini, cohere };

// The answer to an embeddings request of dialect, or nullopt when path is
// not that dialect's embeddings endpoint.
std::optional<MockAction> embeddings_answer(EmbeddingsDialect dialect, const std::string &path,
                                            const RecordedRequest &request);

}  // namespace sb::test
