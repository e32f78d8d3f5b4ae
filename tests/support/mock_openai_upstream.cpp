#include "support/mock_openai_upstream.hpp"

#include "support/mock_embeddings.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace sb::test {

namespace json = boost::json;

namespace {

const MockHeaders json_headers{{"Content-Type", "application/json"}};

std::string path_of(const std::string &target) { return target.substr(0, target.find('?')); }

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

MockAction openai_error(int status, std::string_view message, std::string_view type,
                        json::value code, MockHeaders extra = {}) {
    json::object error{{"message", message}, {"type", type}, {"param", nullptr}, {"code", std::move(code)}};
    MockHeaders headers = json_headers;
    headers.insert(headers.end(), extra.begin(), extra.end());
    return MockAction::reply(status, std::move(headers), json::serialize(json::object{{"error", std::move(error)}}));
}

// The key from "Authorization: Bearer <key>", or nullopt without the header.
std::optional<std::string> bearer_key(const RecordedRequest &request) {
    if (!request.has_header("Authorization")) return std::nullopt;
    std::string value = request.header("Authorization");
    const std::string scheme = "Bearer ";
    if (value.rfind(scheme, 0) == 0) return value.substr(scheme.size());
    return value;
}

// An auth failure for the key, if the key asks for one.
std::optional<MockAction> auth_failure(const RecordedRequest &request) {
    auto key = bearer_key(request);
    if (!key) return std::nullopt;
    if (key->rfind("sk-bad", 0) == 0)
        // OpenAI's real body; its message quotes the key it was given.
        return openai_error(401,
                            "Incorrect API key provided: " + *key +
                                ". You can find your API key at https://platform.openai.com/account/api-keys.",
                            "invalid_request_error", "invalid_api_key");
    if (*key == "sk-ratelimited")
        return openai_error(429, mock_openai::rate_limit_message, "requests", "rate_limit_exceeded",
                            {{"Retry-After", "1"}});
    return std::nullopt;
}

std::string chunk(const std::string &model, json::object delta, json::value finish_reason) {
    json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                        {"finish_reason", std::move(finish_reason)}};
    json::object c{{"id", "chatcmpl-mock"},
                   {"object", "chat.completion.chunk"},
                   {"created", 1732579200},
                   {"model", model},
                   {"system_fingerprint", "fp_mock"},
                   {"choices", json::array{std::move(choice)}}};
    return "data: " + json::serialize(c) + "\n\n";
}

MockAction chat_answer(const json::object &body) {
    std::string model = "gpt-4o-mini";
    if (auto it = body.find("model"); it != body.end() && it->value().is_string())
        model = std::string(it->value().get_string());

    if (model == "missing-model")
        return openai_error(404, mock_openai::model_not_found_message, "invalid_request_error", "model_not_found");
    if (model == "slow-model") return MockAction::hang();
    if (model == "boom-model") return openai_error(500, mock_openai::server_error_message, "server_error", nullptr);

    json::object usage{{"prompt_tokens", 5}, {"completion_tokens", 1}, {"total_tokens", 6}};
    auto stream = body.find("stream");
    if (stream != body.end() && stream->value().is_bool() && stream->value().get_bool()) {
        std::vector<std::string> pieces;
        pieces.push_back(chunk(model, {{"role", "assistant"}, {"content", ""}}, nullptr));
        pieces.push_back(chunk(model, {{"content", "po"}}, nullptr));
        pieces.push_back(chunk(model, {{"content", "ng"}}, nullptr));
        pieces.push_back(chunk(model, {}, "stop"));
        json::object last{{"id", "chatcmpl-mock"}, {"object", "chat.completion.chunk"},
                          {"created", 1732579200}, {"model", model},
                          {"choices", json::array{}}, {"usage", usage}};
        pieces.push_back("data: " + json::serialize(last) + "\n\n");
        pieces.push_back("data: [DONE]\n\n");
        return MockAction::stream(200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}},
                                  std::move(pieces), std::chrono::milliseconds{5});
    }

    json::object message{{"role", "assistant"}, {"content", mock_openai::reply_text}, {"refusal", nullptr}};
    json::object choice{{"index", 0}, {"message", std::move(message)}, {"logprobs", nullptr},
                        {"finish_reason", "stop"}};
    json::object completion{{"id", "chatcmpl-mock"},
                            {"object", "chat.completion"},
                            {"created", 1732579200},
                            {"model", model},
                            {"choices", json::array{std::move(choice)}},
                            {"usage", std::move(usage)},
                            {"system_fingerprint", "fp_mock"}};
    return MockAction::reply(200, json_headers, json::serialize(completion));
}

}  // namespace

MockOpenAiUpstream::MockOpenAiUpstream(std::string prefix)
    : prefix_(std::move(prefix)), server_([this](const RecordedRequest &r) { return answer(r); }) {}

MockAction MockOpenAiUpstream::answer(const RecordedRequest &request) const {
    const std::string path = path_of(request.target);
    if (path == "/notapi" || path.rfind("/notapi/", 0) == 0)
        return MockAction::reply(404, {{"Content-Type", "text/html"}}, "<html>Not Found</html>");

    if (path == prefix_ + "/chat/completions" && request.method == "POST") {
        if (auto failure = auth_failure(request)) return *failure;
        boost::system::error_code ec;
        json::value body = json::parse(request.body, ec);
        if (ec || !body.is_object())
            return openai_error(400, "We could not parse the JSON body of your request.", "invalid_request_error",
                                nullptr);
        return chat_answer(body.get_object());
    }
    if (path == prefix_ + "/embeddings") {
        if (auto failure = auth_failure(request)) return *failure;
        if (auto embeddings = embeddings_answer(EmbeddingsDialect::openai, path, request)) return *embeddings;
    }
    if (path == prefix_ + "/responses" && request.method == "POST") {
        // OpenAI's Responses API, for the native pass-through: one plain answer.
        if (auto failure = auth_failure(request)) return *failure;
        return MockAction::reply(
            200, json_headers,
            R"({"id":"resp_mock","object":"response","created_at":1721172741,"status":"completed","model":"gpt-4o-mini",)"
            R"("output":[{"type":"message","id":"msg_mock","status":"completed","role":"assistant",)"
            R"("content":[{"type":"output_text","text":"pong","annotations":[]}]}],)"
            R"("usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4}})");
    }
    if (path == prefix_ + "/models" && request.method == "GET") {
        if (auto failure = auth_failure(request)) return *failure;
        json::array data{json::object{{"id", "gpt-4o-mini"}, {"object", "model"}, {"created", 1721172741},
                                      {"owned_by", "system"}},
                         json::object{{"id", "mock-model"}, {"object", "model"}, {"created", 1721172741},
                                      {"owned_by", "mock"}}};
        return MockAction::reply(200, json_headers,
                                 json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}}));
    }
    return openai_error(404, "Invalid URL (" + request.method + " " + path + ")", "invalid_request_error", nullptr);
}

std::vector<RecordedRequest> MockOpenAiUpstream::chat_requests() const {
    std::vector<RecordedRequest> out;
    for (auto &r : server_.requests())
        if (ends_with(path_of(r.target), "/chat/completions")) out.push_back(std::move(r));
    return out;
}

std::optional<RecordedRequest> MockOpenAiUpstream::last_chat_request() const {
    auto all = chat_requests();
    if (all.empty()) return std::nullopt;
    return all.back();
}

std::vector<RecordedRequest> MockOpenAiUpstream::model_list_requests() const {
    std::vector<RecordedRequest> out;
    for (auto &r : server_.requests())
        if (ends_with(path_of(r.target), "/models")) out.push_back(std::move(r));
    return out;
}

}  // namespace sb::test
