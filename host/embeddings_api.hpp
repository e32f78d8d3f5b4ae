#pragma once
// POST /v1/embeddings in OpenAI's shape: the client's request checked and
// routed ("provider/model" or a bare model on the active provider), the
// vectors from core::embed, encoded as the client asked (float or base64).
#include <boost/json/object.hpp>
#include <string>

#include "core/gateway/embeddings.hpp"
#include "host/http_responses.hpp"

namespace sb::host {

// The most inputs one request may carry (OpenAI's own limit); the gateway
// splits them further to each vendor's batch limit.
inline constexpr std::size_t kMaxEmbeddingInputs = 2048;

// The client's request in core's shape. Throws invalid_request naming the
// field: "input" a non-empty string, a non-empty array of non-empty strings,
// a non-empty array of token ids or an array of such arrays;
// "encoding_format" "float" or "base64"; "dimensions" a positive integer;
// "model" a string. base64 says which encoding was asked.
core::EmbeddingsCall embeddings_call(boost::json::object body, bool &base64);

// The OpenAI response body for result (vectors as float arrays, or as
// base64 of little-endian float32 when base64).
std::string embeddings_body(const core::EmbeddingsResult &result, bool base64);

class EmbeddingsApi {
public:
    explicit EmbeddingsApi(core::ChatGateway &gateway) : gateway_(gateway) {}

    boost::asio::awaitable<Response> create(Request &request, core::RequestContext &context);

private:
    core::ChatGateway &gateway_;
};

}  // namespace sb::host
