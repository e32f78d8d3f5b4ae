#include <boost/beast/core/detail/base64.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <switchboard/kit/embeddings.hpp>

namespace switchboard::kit {

json::object embeddings_batch(std::string_view body_json) {
    bool ok = false;
    json::value v = try_parse(body_json, ok);
    if (!ok || !v.is_object() || !v.get_object().contains("input"))
        throw sdk::invalid_request("the embeddings request is not a JSON object with \"input\"");
    return std::move(v.get_object());
}

std::vector<std::string_view> input_texts(const json::object &batch) {
    std::vector<std::string_view> texts;
    for (const json::value &input : batch.at("input").as_array()) {
        if (!input.is_string())
            throw sdk::invalid_request("this provider embeds text only, not token arrays");
        texts.push_back(input.get_string());
    }
    return texts;
}

std::optional<Vector> read_vector(const json::value &v) {
    Vector out;
    if (const json::array *numbers = v.if_array()) {
        out.reserve(numbers->size());
        for (const json::value &x : *numbers) {
            if (!x.is_number()) return std::nullopt;
            out.push_back(static_cast<float>(x.to_number<double>()));
        }
        return out;
    }
    const json::string *text = v.if_string();
    if (!text) return std::nullopt;
    namespace base64 = boost::beast::detail::base64;
    std::string bytes(base64::decoded_size(text->size()), '\0');
    const auto [written, read] = base64::decode(bytes.data(), text->data(), text->size());
    // Beast's decoder stops at the padding: everything before it must be read.
    std::size_t unpadded = text->size();
    while (unpadded > 0 && (*text)[unpadded - 1] == '=') --unpadded;
    if (read < unpadded || written % 4 != 0) return std::nullopt;
    out.resize(written / 4);
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint32_t bits = 0;
        for (int b = 3; b >= 0; --b)
            bits = (bits << 8) | static_cast<unsigned char>(bytes[i * 4 + b]);
        std::memcpy(&out[i], &bits, 4);
    }
    return out;
}

std::string embedding_list(const sdk::HttpResponse &response, std::string_view model,
                           const std::vector<Vector> &vectors, std::int64_t input_tokens) {
    // Written by hand: the shortest text that reads back as the same
    // float32 for each value, where a json::value would print doubles.
    std::string out =
        R"({"object":"list","model":)" + to_json(json::string(model)) + R"(,"data":[)";
    char number[32];
    for (std::size_t i = 0; i < vectors.size(); ++i) {
        if (i) out += ',';
        out += R"({"object":"embedding","index":)" + std::to_string(i) + R"(,"embedding":[)";
        for (std::size_t k = 0; k < vectors[i].size(); ++k) {
            if (k) out += ',';
            const float x = std::isfinite(vectors[i][k]) ? vectors[i][k] : 0.0f;
            out.append(number, std::to_chars(number, number + sizeof number, x).ptr);
        }
        out += "]}";
    }
    out += ']';
    if (input_tokens >= 0)
        out += R"(,"usage":{"prompt_tokens":)" + std::to_string(input_tokens) +
               R"(,"total_tokens":)" + std::to_string(input_tokens) + '}';
    out += '}';
    sdk::Usage usage;
    usage.prompt_tokens = input_tokens;
    usage.completion_tokens = input_tokens >= 0 ? 0 : SB_USAGE_UNKNOWN;
    response.usage(usage);
    return out;
}

sdk::HttpRequest OpenAICompatEmbedder::build_embeddings_request(const sdk::Config &config,
                                                                std::string_view body_json,
                                                                size_t) {
    json::object batch = embeddings_batch(body_json);
    batch["model"] = config.model;
    if (options_.ask_base64) batch["encoding_format"] = "base64";
    rewrite_request(batch, config);
    sdk::HttpRequest req;
    req.url = join_url(config.api_base, options_.path);
    add_json_headers(req, false);
    req.body = to_json(batch);
    return req;
}

ClassifiedError OpenAICompatEmbedder::classify_http(int status, std::string_view body,
                                                    std::string_view model,
                                                    std::string_view api_key) const {
    return classify_http_error(status, body, provider_name_, model, api_key);
}

std::string OpenAICompatEmbedder::parse_embeddings_response(const sdk::Config &config,
                                                            const sdk::HttpResponse &response) {
    if (!is_2xx(response.status))
        throw to_provider_error(
            classify_http(response.status, response.body, config.model, config.api_key));
    bool ok = false;
    json::value v = try_parse(response.body, ok);
    const json::object *list = v.if_object();
    if (!ok || !list) throw api_base_incorrect(response.status, "body is not a JSON object");
    if (const json::value *err = list->if_contains("error"); err && !err->is_null()) {
        ClassifiedError c =
            classify_error_value(*err, provider_name_, config.model, config.api_key);
        c.status = response.status;
        throw to_provider_error(c);
    }
    const json::array *data = get_array(*list, "data");
    if (!data) throw api_base_incorrect(response.status, "embeddings answer has no \"data\" array");
    std::vector<Vector> vectors(data->size());
    std::vector<bool> seen(data->size(), false);
    for (std::size_t position = 0; position < data->size(); ++position) {
        const json::object *entry = (*data)[position].if_object();
        const json::value *values = entry ? entry->if_contains("embedding") : nullptr;
        std::optional<Vector> vector = values ? read_vector(*values) : std::nullopt;
        // Vendors answer in input order; "index", when given, says so.
        const std::int64_t index = entry ? get_int(*entry, "index", std::int64_t(position)) : -1;
        if (!vector || index < 0 || std::size_t(index) >= vectors.size() ||
            seen[std::size_t(index)])
            throw api_base_incorrect(response.status,
                                     "an embedding entry is not {\"index\",\"embedding\"}");
        seen[std::size_t(index)] = true;
        vectors[std::size_t(index)] = std::move(*vector);
    }
    std::int64_t tokens = -1;
    if (const json::object *usage = get_object(*list, "usage"))
        tokens = get_count(*usage, "prompt_tokens").value_or(-1);
    return embedding_list(response, get_string(*list, "model", config.model), vectors, tokens);
}

}  // namespace switchboard::kit
