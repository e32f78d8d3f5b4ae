#pragma once
// The path every embeddings call takes, shared by /v1/embeddings and the
// admin /test: check the target's plugin embeds and can take the request,
// split the inputs into batches of at most the plugin's max_batch, send each
// (retrying as chat does), and join the vectors back in input order. No
// fallback to another provider: vectors of different models do not mix.
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "core/gateway/chat_gateway.hpp"

namespace sb::core {

// What the client asked, already in shape (see the host's validation):
// inputs are non-empty strings or non-empty arrays of token ids.
struct EmbeddingsCall {
    boost::json::array inputs;
    // Every other member the plugin gets as it came: "dimensions", "user",
    // provider-specific fields. Never "model", "input", "encoding_format".
    boost::json::object options;
};

struct EmbeddingsResult {
    std::vector<std::vector<float>> vectors;  // one per input, in input order
    std::string model;  // as the vendor named it (the asked one if it did not)
    TokenUsage usage;   // prompt_tokens summed over the batches, -1 if unknown
};

// The model an embeddings call runs with: the client's, or the plugin's
// default embedding model for "provider/" (a bare empty name is refused).
// Throws invalid_request "model does not support embeddings" when the
// target's plugin has no sb.embeddings/1.
void choose_embedding_model(ChatTarget &target, bool model_given);

// Throws GatewayError (classified, key redacted, provider named).
boost::asio::awaitable<EmbeddingsResult> embed(ChatGateway &gateway, const ChatTarget &target,
                                               EmbeddingsCall call, UpstreamTimeouts timeouts,
                                               RequestContext &context);

// Reads one batch's OpenAI-shaped list as the plugin produced it: expected
// entries, each "index" in [0, expected) once. Throws upstream_error naming
// the provider otherwise.
std::vector<std::vector<float>> read_embedding_list(std::string_view json, std::size_t expected,
                                                    const std::string &provider,
                                                    std::string *model = nullptr);

}  // namespace sb::core
