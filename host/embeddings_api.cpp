#include "host/embeddings_api.hpp"

#include <algorithm>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/errors.hpp"
#include "host/json_body.hpp"

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;

namespace {

[[noreturn]] void refuse(const std::string &message, const char *field) {
    throw GatewayError(ErrorCode::invalid_request, message, field);
}

bool is_token_array(const json::value &v) {
    if (!v.is_array() || v.get_array().empty()) return false;
    for (const auto &t : v.get_array())
        if (!(t.is_int64() && t.get_int64() >= 0) && !t.is_uint64()) return false;
    return true;
}

// "input" as an array of inputs, all strings or all token arrays.
json::array inputs_of(json::value input) {
    const char *expected =
        "field 'input' must be a non-empty string, an array of non-empty strings, an array of "
        "token ids "
        "or an array of token-id arrays";
    if (input.is_string()) {
        if (input.get_string().empty()) refuse("field 'input' must not be empty", "input");
        return json::array{std::move(input)};
    }
    if (!input.is_array() || input.get_array().empty()) refuse(expected, "input");
    if (is_token_array(input)) return json::array{std::move(input)};
    json::array inputs = std::move(input.get_array());
    const bool strings = inputs.front().is_string();
    for (const auto &item : inputs) {
        const bool ok =
            strings ? item.is_string() && !item.get_string().empty() : is_token_array(item);
        if (!ok) refuse(expected, "input");
    }
    if (inputs.size() > kMaxEmbeddingInputs)
        refuse("field 'input' holds more than " + std::to_string(kMaxEmbeddingInputs) + " inputs",
               "input");
    return inputs;
}

void append_float(std::string &out, float value) {
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (ec != std::errc() || !std::isfinite(value)) {
        out += '0';
        return;
    }
    out.append(buffer, end);
}

void append_base64(std::string &out, const std::vector<float> &vector) {
    namespace base64 = boost::beast::detail::base64;
    std::string bytes(vector.size() * 4, '\0');
    for (std::size_t i = 0; i < vector.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &vector[i], 4);
        for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
    const std::size_t at = out.size();
    out.resize(at + base64::encoded_size(bytes.size()));
    out.resize(at + base64::encode(out.data() + at, bytes.data(), bytes.size()));
}

}  // namespace

core::EmbeddingsCall embeddings_call(json::object body, bool &base64) {
    core::EmbeddingsCall call;
    auto input = body.find("input");
    if (input == body.end()) refuse("field 'input' is required", "input");
    call.inputs = inputs_of(std::move(input->value()));
    base64 = false;
    if (auto format = body.find("encoding_format"); format != body.end()) {
        const json::value &f = format->value();
        if (!f.is_null()) {
            if (!f.is_string() || (f.get_string() != "float" && f.get_string() != "base64"))
                refuse("field 'encoding_format' must be \"float\" or \"base64\"",
                       "encoding_format");
            base64 = f.get_string() == "base64";
        }
    }
    if (auto dimensions = body.find("dimensions"); dimensions != body.end()) {
        const json::value &d = dimensions->value();
        const bool positive = (d.is_int64() && d.get_int64() > 0) || d.is_uint64();
        if (!d.is_null() && !positive)
            refuse("field 'dimensions' must be a positive integer", "dimensions");
    }
    if (auto user = body.find("user"); user != body.end() && !user->value().is_string())
        refuse("field 'user' must be a string", "user");
    for (auto &member : body) {
        const std::string_view key = member.key();
        if (key == "model" || key == "input" || key == "encoding_format" ||
            member.value().is_null())
            continue;
        call.options[key] = std::move(member.value());
    }
    return call;
}

std::string embeddings_body(const core::EmbeddingsResult &result, bool base64) {
    std::string out = R"({"object":"list","data":[)";
    for (std::size_t i = 0; i < result.vectors.size(); ++i) {
        if (i) out += ',';
        out += R"({"object":"embedding","index":)" + std::to_string(i) + R"(,"embedding":)";
        if (base64) {
            out += '"';
            append_base64(out, result.vectors[i]);
            out += '"';
        } else {
            out += '[';
            for (std::size_t k = 0; k < result.vectors[i].size(); ++k) {
                if (k) out += ',';
                append_float(out, result.vectors[i][k]);
            }
            out += ']';
        }
        out += '}';
    }
    const std::int64_t tokens = std::max<std::int64_t>(result.usage.prompt_tokens, 0);
    out += R"(],"model":)" + json::serialize(json::value(result.model)) +
           R"(,"usage":{"prompt_tokens":)" + std::to_string(tokens) + R"(,"total_tokens":)" +
           std::to_string(tokens) + "}}";
    return out;
}

boost::asio::awaitable<Response> EmbeddingsApi::create(Request &request,
                                                       core::RequestContext &context) {
    context.dialect = "openai.embeddings";
    json::object body = parse_json_object(request.body());
    std::string().swap(request.body());
    const std::optional<std::string> model = optional_string(body, "model");
    if (!model || model->empty()) refuse("field 'model' is required", "model");
    bool base64 = false;
    core::EmbeddingsCall call = embeddings_call(std::move(body), base64);
    core::ChatTarget target = gateway_.route(*model);
    const bool model_given = !model->ends_with('/');
    core::choose_embedding_model(target, model_given);
    core::EmbeddingsResult result = co_await core::embed(gateway_, target, std::move(call),
                                                         gateway_.options().chat_timeouts, context);
    Response response =
        json_response(http::status::ok, embeddings_body(result, base64), request.version());
    response.set("x-switchboard-provider", context.provider);
    co_return response;
}

}  // namespace sb::host
