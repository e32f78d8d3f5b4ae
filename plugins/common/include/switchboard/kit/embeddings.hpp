// Embeddings (extension sb.embeddings/1, ABI v1.3) for in-tree plugins: the
// batch the host sends, read once; vendor vectors (number arrays or OpenAI's
// base64 float32) read into floats; the OpenAI-shaped list the host expects
// written in one place; and a complete Embedder for vendors that speak
// OpenAI's POST /embeddings.
#ifndef SWITCHBOARD_KIT_EMBEDDINGS_HPP
#define SWITCHBOARD_KIT_EMBEDDINGS_HPP

#include <cstdint>
#include <string>
#include <string_view>
#include <switchboard/kit/kit.hpp>
#include <vector>

namespace switchboard::kit {

using Vector = std::vector<float>;

// The batch the host hands build_embeddings_request (provider_abi.h
// guarantees its shape: "input" always an array), parsed.
json::object embeddings_batch(std::string_view body_json);

// The texts of a batch's "input"; sdk::invalid_request when it holds token
// arrays (for vendors that take text only).
std::vector<std::string_view> input_texts(const json::object &batch);

// One vendor vector: an array of numbers, or a base64 string of
// little-endian float32 (OpenAI's encoding_format "base64"). nullopt for
// anything else.
std::optional<Vector> read_vector(const json::value &v);

// The list parse_embeddings_response returns (provider_abi.h), vectors in
// input order; input_tokens (-1 when the vendor gave none) goes into its
// "usage" and is reported typed through response.usage().
std::string embedding_list(const sdk::HttpResponse &response, std::string_view model,
                           const std::vector<Vector> &vectors, std::int64_t input_tokens);

// How a vendor's OpenAI-shaped /embeddings differs in ways that need no code.
struct OpenAIEmbeddingsOptions {
    std::string_view path = "/embeddings";
    // Ask for base64 (a third of the bytes of decimal floats); only for
    // vendors known to support it.
    bool ask_base64 = false;
};

// An Embedder for vendors that speak OpenAI's POST {base}/embeddings: the
// batch passed through with "model" from config (rewrite_request adapts
// it), no key (the descriptor's credential_header has the host write it:
// "authorization", "Bearer "); answers with "data":[{"index","embedding"}] as numbers
// or base64, "usage.prompt_tokens". Errors classified as chat's are.
class OpenAICompatEmbedder : public sdk::Embedder {
public:
    explicit OpenAICompatEmbedder(std::string_view provider_name,
                                  OpenAIEmbeddingsOptions options = {})
        : provider_name_(provider_name), options_(options) {}

    sdk::HttpRequest build_embeddings_request(const sdk::Config &config, std::string_view body_json,
                                              size_t input_count) override;
    std::string parse_embeddings_response(const sdk::Config &config,
                                          const sdk::HttpResponse &response) override;

protected:
    // The batch rewritten into the vendor's request (default: as is).
    virtual void rewrite_request(json::object & /*batch*/, const sdk::Config & /*config*/) const {}
    // A non-2xx answer classified (default: the kit's rules).
    virtual ClassifiedError classify_http(int status, std::string_view body, std::string_view model,
                                          std::string_view api_key) const;

private:
    std::string_view provider_name_;
    OpenAIEmbeddingsOptions options_;
};

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_EMBEDDINGS_HPP
