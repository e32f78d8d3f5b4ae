#include "support/mock_embeddings.hpp"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>
#include <cstring>

namespace sb::test {

namespace json = boost::json;

namespace {

const MockHeaders json_headers{{"Content-Type", "application/json"}};

MockAction reply(int status, const json::value &body) {
    return MockAction::reply(status, json_headers, json::serialize(body));
}

std::string text_of(const json::value &input) {
    if (input.is_string()) return std::string(input.get_string());
    std::string joined;
    if (input.is_array())
        for (const auto &t : input.get_array())
            joined += (joined.empty() ? "" : ",") + json::serialize(t);
    return joined;
}

json::array numbers(const std::vector<float> &v) {
    json::array out;
    for (float x : v) out.emplace_back(static_cast<double>(x));
    return out;
}

std::string base64_of(const std::vector<float> &v) {
    namespace base64 = boost::beast::detail::base64;
    std::string bytes(v.size() * 4, '\0');
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &v[i], 4);
        for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
    std::string out(base64::encoded_size(bytes.size()), '\0');
    out.resize(base64::encode(out.data(), bytes.data(), bytes.size()));
    return out;
}

bool ends_with(const std::string &s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

MockAction openai(const json::object &body) {
    const std::string model =
        body.contains("model") ? std::string(body.at("model").as_string()) : "";
    if (model == "missing-model")
        return reply(404, json::object{{"error",
                                        {{"message", "The model `missing-model` does not exist"},
                                         {"type", "invalid_request_error"},
                                         {"param", nullptr},
                                         {"code", "model_not_found"}}}});
    const json::value *input = body.if_contains("input");
    if (!input || !input->is_array())
        return reply(400, json::object{{"error", {{"message", "mock: input"}}}});
    const bool base64 = body.contains("encoding_format") && body.at("encoding_format") == "base64";
    json::array data;
    for (const auto &item : input->get_array()) {
        const auto v = mock_embedding(text_of(item));
        data.push_back(
            {{"object", "embedding"},
             {"index", data.size()},
             {"embedding", base64 ? json::value(base64_of(v)) : json::value(numbers(v))}});
    }
    const std::size_t tokens = 2 * data.size();
    return reply(200,
                 json::object{{"object", "list"},
                              {"data", std::move(data)},
                              {"model", model},
                              {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}});
}

MockAction gemini(const std::string &path, const json::object &body) {
    if (path.find("/models/missing-model:") != std::string::npos)
        return reply(404, json::object{{"error",
                                        {{"code", 404},
                                         {"message",
                                          "models/missing-model is not found for API version "
                                          "v1beta, or is not supported for embedContent."},
                                         {"status", "NOT_FOUND"}}}});
    const json::value *requests = body.if_contains("requests");
    if (!requests || !requests->is_array() || requests->get_array().size() > 100)
        return reply(
            400,
            json::object{
                {"error",
                 {{"code", 400}, {"message", "mock: requests"}, {"status", "INVALID_ARGUMENT"}}}});
    json::array embeddings;
    for (const auto &r : requests->get_array()) {
        const json::value &text = r.at("content").at("parts").at(0).at("text");
        embeddings.push_back(json::object{{"values", numbers(mock_embedding(text.as_string()))}});
    }
    const std::size_t tokens = 2 * embeddings.size();
    return reply(200, json::object{{"embeddings", std::move(embeddings)},
                                   {"usageMetadata", {{"promptTokenCount", tokens}}}});
}

MockAction cohere(const json::object &body) {
    const std::string model =
        body.contains("model") ? std::string(body.at("model").as_string()) : "";
    if (model == "missing-model")
        return reply(404, json::object{{"id", "mock"},
                                       {"message",
                                        "model 'missing-model' not found, make sure the "
                                        "correct model ID was used and that you have "
                                        "access to the model."}});
    const json::value *texts = body.if_contains("texts");
    if (!body.contains("input_type") || !texts || !texts->is_array() ||
        texts->get_array().size() > 96)
        return reply(
            400, json::object{{"id", "mock"},
                              {"message", "invalid request: input_type and texts are required"}});
    json::array floats;
    for (const auto &t : texts->get_array())
        floats.push_back(numbers(mock_embedding(t.as_string())));
    const std::size_t tokens = 2 * floats.size();
    return reply(200, json::object{{"id", "mock"},
                                   {"embeddings", {{"float", std::move(floats)}}},
                                   {"texts", *texts},
                                   {"meta", {{"billed_units", {{"input_tokens", tokens}}}}},
                                   {"response_type", "embeddings_by_type"}});
}

}  // namespace

std::vector<float> mock_embedding(std::string_view text) {
    unsigned sum = 0;
    for (unsigned char c : text) sum = sum * 31 + c;
    return {static_cast<float>(text.size()), static_cast<float>(sum % 1000) / 8.0f, -0.5f,
            static_cast<float>(text.empty() ? 0 : static_cast<unsigned char>(text.front())) / 4.0f};
}

std::optional<MockAction> embeddings_answer(EmbeddingsDialect dialect, const std::string &path,
                                            const RecordedRequest &request) {
    const bool ours = dialect == EmbeddingsDialect::openai ? ends_with(path, "/embeddings")
                      : dialect == EmbeddingsDialect::gemini
                          ? ends_with(path, ":batchEmbedContents")
                          : path == "/v2/embed";
    if (!ours || request.method != "POST") return std::nullopt;
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object())
        return reply(400, json::object{{"message", "mock: body is not a JSON object"}});
    switch (dialect) {
        case EmbeddingsDialect::openai:
            return openai(body.get_object());
        case EmbeddingsDialect::gemini:
            return gemini(path, body.get_object());
        case EmbeddingsDialect::cohere:
            return cohere(body.get_object());
    }
    return std::nullopt;
}

}  // namespace sb::test
