#include "support/mock_vendor_upstreams.hpp"

#include "support/mock_embeddings.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace sb::test {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const MockHeaders json_headers{{"Content-Type", "application/json"}};
const MockHeaders sse_headers{{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};

std::string path_of(const std::string &target) { return target.substr(0, target.find('?')); }
std::string query_of(const std::string &target) {
    auto q = target.find('?');
    return q == std::string::npos ? std::string() : target.substr(q + 1);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Whether the query string has a parameter named `name`.
bool has_query_param(const std::string &query, std::string_view name) {
    std::size_t pos = 0;
    while (pos <= query.size()) {
        auto amp = query.find('&', pos);
        std::string_view part = std::string_view(query).substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        auto eq = part.find('=');
        if (part.substr(0, eq) == name) return true;
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    return false;
}

MockAction json_reply(int status, const json::value &body) {
    return MockAction::reply(status, json_headers, json::serialize(body));
}

MockAction raw_json_reply(int status, std::string body) {
    return MockAction::reply(status, json_headers, std::move(body));
}

MockAction anthropic_error(int status, std::string_view type, std::string_view message) {
    return json_reply(status, json::object{{"type", "error"},
                                           {"error", json::object{{"type", type}, {"message", message}}},
                                           {"request_id", "req_mock"}});
}

MockAction google_error(int status, std::string_view rpc_status, std::string_view message,
                        json::array details = {}) {
    json::object error{{"code", status}, {"message", message}, {"status", rpc_status}};
    if (!details.empty()) error["details"] = std::move(details);
    return json_reply(status, json::object{{"error", std::move(error)}});
}

MockAction openai_style_error(int status, std::string_view message, std::string_view type, json::value code) {
    return json_reply(status, json::object{{"error", json::object{{"message", message},
                                                                  {"type", type},
                                                                  {"param", nullptr},
                                                                  {"code", std::move(code)}}}});
}

std::string bearer(const RecordedRequest &request) {
    std::string value = request.header("Authorization");
    if (starts_with(value, "Bearer ")) return value.substr(7);
    return value;
}

const json::value *at(const json::value &v, std::initializer_list<std::string_view> path) {
    const json::value *cur = &v;
    for (auto step : path) {
        if (cur->is_object()) {
            auto it = cur->get_object().find(step);
            if (it == cur->get_object().end()) return nullptr;
            cur = &it->value();
        } else if (cur->is_array()) {
            std::size_t i = std::stoul(std::string(step));
            if (i >= cur->get_array().size()) return nullptr;
            cur = &cur->get_array()[i];
        } else {
            return nullptr;
        }
    }
    return cur;
}

std::string str_at(const json::value &v, std::initializer_list<std::string_view> path) {
    const json::value *found = at(v, path);
    return found && found->is_string() ? std::string(found->get_string()) : std::string();
}

std::optional<json::value> parse_payload(const std::string &line) {
    if (line == "[DONE]") return std::nullopt;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec) return std::nullopt;
    return v;
}

}  // namespace

std::string provider_id(VendorDialect dialect) {
    switch (dialect) {
    case VendorDialect::anthropic: return "anthropic";
    case VendorDialect::gemini: return "google";
    case VendorDialect::cohere: return "cohere";
    case VendorDialect::mistral: return "mistral";
    case VendorDialect::together: return "together";
    case VendorDialect::openai: return "openai";
    }
    return "?";
}

fs::path vendor_fixture_dir(VendorDialect dialect) { return fs::path(SB_TEST_FIXTURES_DIR) / provider_id(dialect); }

std::string read_fixture_file(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read fixture " + file.string());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<std::string> read_fixture_lines(const fs::path &file) {
    std::istringstream in(read_fixture_file(file));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) lines.push_back(std::move(line));
    }
    return lines;
}

MockVendorUpstream::MockVendorUpstream(VendorDialect dialect)
    : dialect_(dialect), server_([this](const RecordedRequest &r) { return answer(r); }) {
    switch (dialect_) {
    case VendorDialect::anthropic:
        set_reply_fixture("anthropic-text.json");
        set_stream_fixture("anthropic-text.chunks.txt");
        break;
    case VendorDialect::gemini:
        set_reply_fixture("google-text.json");
        set_stream_fixture("google-text.chunks.txt");
        break;
    case VendorDialect::cohere:
        set_reply_fixture("cohere-text.json");
        set_stream_fixture("cohere-text.chunks.txt");
        break;
    case VendorDialect::mistral:
        set_reply_fixture("mistral-text.json");
        set_stream_fixture("mistral-text.chunks.txt");
        break;
    case VendorDialect::together:
        set_reply_fixture("chat_completion.json");
        set_stream_fixture("text.chunks.txt");
        break;
    case VendorDialect::openai:
        set_reply_fixture("openai-text.json");
        set_stream_fixture("openai-text.chunks.txt");
        break;
    }
}

std::string MockVendorUpstream::base_url() const {
    switch (dialect_) {
    case VendorDialect::gemini: return server_.base_url() + "/v1beta";
    case VendorDialect::cohere: return server_.base_url();
    default: return server_.base_url() + "/v1";
    }
}

void MockVendorUpstream::set_reply_fixture(const std::string &file) {
    fs::path p = fs::path(file).is_absolute() ? fs::path(file) : vendor_fixture_dir(dialect_) / file;
    std::lock_guard lock(mutex_);
    reply_fixture_ = p;
}

void MockVendorUpstream::set_stream_fixture(const std::string &file) {
    fs::path p = fs::path(file).is_absolute() ? fs::path(file) : vendor_fixture_dir(dialect_) / file;
    std::lock_guard lock(mutex_);
    stream_fixture_ = p;
}

void MockVendorUpstream::set_retired_models(std::vector<std::string> models) {
    std::lock_guard lock(mutex_);
    retired_models_ = std::move(models);
}

void MockVendorUpstream::set_close_delimited(bool on) {
    std::lock_guard lock(mutex_);
    close_delimited_ = on;
}

void MockVendorUpstream::set_fragment_size(std::size_t n) {
    std::lock_guard lock(mutex_);
    fragment_size_ = n;
}

fs::path MockVendorUpstream::reply_fixture() const {
    std::lock_guard lock(mutex_);
    return reply_fixture_;
}

fs::path MockVendorUpstream::stream_fixture() const {
    std::lock_guard lock(mutex_);
    return stream_fixture_;
}

bool MockVendorUpstream::is_chat_path(const std::string &path) const {
    switch (dialect_) {
    case VendorDialect::anthropic: return path == "/v1/messages";
    case VendorDialect::gemini:
        return starts_with(path, "/v1beta/models/") &&
               (ends_with(path, ":generateContent") || ends_with(path, ":streamGenerateContent"));
    case VendorDialect::cohere: return path == "/v2/chat";
    default: return path == "/v1/chat/completions";
    }
}

bool MockVendorUpstream::is_models_path(const std::string &path) const {
    return path == (dialect_ == VendorDialect::gemini ? "/v1beta/models" : "/v1/models");
}

std::string MockVendorUpstream::sent_key(const RecordedRequest &request) const {
    switch (dialect_) {
    case VendorDialect::anthropic: return request.header("x-api-key");
    case VendorDialect::gemini: return request.header("x-goog-api-key");
    default: return bearer(request);
    }
}

std::vector<RecordedRequest> MockVendorUpstream::chat_requests() const {
    std::vector<RecordedRequest> out;
    for (auto &r : server_.requests())
        if (is_chat_path(path_of(r.target))) out.push_back(std::move(r));
    return out;
}

std::optional<RecordedRequest> MockVendorUpstream::last_chat_request() const {
    auto all = chat_requests();
    if (all.empty()) return std::nullopt;
    return all.back();
}

std::vector<RecordedRequest> MockVendorUpstream::model_list_requests() const {
    std::vector<RecordedRequest> out;
    for (auto &r : server_.requests())
        if (is_models_path(path_of(r.target))) out.push_back(std::move(r));
    return out;
}

std::optional<MockAction> MockVendorUpstream::auth_failure(const RecordedRequest &request) const {
    const fs::path dir = vendor_fixture_dir(dialect_);
    switch (dialect_) {
    case VendorDialect::anthropic: {
        if (!request.has_header("x-api-key"))
            return anthropic_error(401, "authentication_error", "x-api-key header is required");
        if (request.header("x-api-key") == "bad-key")
            return raw_json_reply(401, read_fixture_file(dir / "error-401-authentication.json"));
        // Any dated version: a client's own (newer) one reaches the vendor
        // on the native path.
        if (const std::string version = request.header("anthropic-version");
            version.size() != 10 || version < "2023-06-01")
            return anthropic_error(400, "invalid_request_error", "anthropic-version: header is required");
        return std::nullopt;
    }
    case VendorDialect::gemini: {
        if (has_query_param(query_of(request.target), "key"))
            return google_error(400, "INVALID_ARGUMENT",
                                "mock: the API key must be sent in x-goog-api-key, never in the URL");
        if (!request.has_header("x-goog-api-key"))
            return raw_json_reply(403, read_fixture_file(dir / "error-403-unregistered-caller.json"));
        if (request.header("x-goog-api-key") == "bad-key")
            return raw_json_reply(400, read_fixture_file(dir / "error-400-api-key-invalid.json"));
        return std::nullopt;
    }
    case VendorDialect::cohere: {
        if (!request.has_header("Authorization"))
            return json_reply(401, json::object{{"message", "no api key supplied"}});
        auto key = bearer(request);
        if (key == "bad-key") return raw_json_reply(401, read_fixture_file(dir / "error-401-invalid-token.json"));
        if (key == "bad-key-498") return raw_json_reply(498, read_fixture_file(dir / "error-498-invalid-token.json"));
        return std::nullopt;
    }
    case VendorDialect::mistral: {
        if (!request.has_header("Authorization") || bearer(request) == "bad-key")
            return raw_json_reply(401, read_fixture_file(dir / "error-401.json"));
        return std::nullopt;
    }
    case VendorDialect::together: {
        if (!request.has_header("Authorization") || bearer(request) == "bad-key")
            return raw_json_reply(401, read_fixture_file(dir / "error-401.json"));
        return std::nullopt;
    }
    case VendorDialect::openai: {
        if (!request.has_header("Authorization") || bearer(request) == "bad-key")
            return raw_json_reply(401, read_fixture_file(dir / "error-401-invalid-api-key.json"));
        return std::nullopt;
    }
    }
    return std::nullopt;
}

MockAction MockVendorUpstream::model_not_found(const std::string &model) const {
    switch (dialect_) {
    case VendorDialect::anthropic: return anthropic_error(404, "not_found_error", "model: " + model);
    case VendorDialect::gemini:
        return google_error(404, "NOT_FOUND",
                            "models/" + model +
                                " is not found for API version v1beta, or is not supported for generateContent. "
                                "Call ListModels to see the list of available models and their supported methods.");
    case VendorDialect::cohere:
        return json_reply(404, json::object{{"id", "c7a2e9f4-1b3d-4f5e-8a6c-2d4b6f8e0a1c"},
                                            {"message", "model '" + model +
                                                            "' not found, make sure the correct model ID was used "
                                                            "and that you have access to the model."}});
    case VendorDialect::mistral:
        return json_reply(400, json::object{{"object", "error"},
                                            {"message", "Invalid model: " + model},
                                            {"type", "invalid_model"},
                                            {"param", nullptr},
                                            {"code", "1500"}});
    case VendorDialect::together:
        return openai_style_error(404,
                                  "Unable to access model " + model +
                                      ". Please visit https://api.together.ai/models to view the list of supported "
                                      "models.",
                                  "invalid_request_error", "model_not_available");
    case VendorDialect::openai:
        return openai_style_error(404, "The model `" + model + "` does not exist or you do not have access to it.",
                                  "invalid_request_error", "model_not_found");
    }
    return MockAction::reply(404);
}

MockAction MockVendorUpstream::not_found_path(const RecordedRequest &request) const {
    const std::string what = request.method + " " + path_of(request.target);
    switch (dialect_) {
    case VendorDialect::anthropic: return anthropic_error(404, "not_found_error", "Not Found: " + what);
    case VendorDialect::gemini:
        return MockAction::reply(404, {{"Content-Type", "text/html; charset=UTF-8"}},
                                 "<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title></html>");
    case VendorDialect::cohere: return json_reply(404, json::object{{"message", "Not Found: " + what}});
    case VendorDialect::mistral: return json_reply(404, json::object{{"detail", "Not Found"}});
    case VendorDialect::together:
    case VendorDialect::openai:
        return openai_style_error(404, "Invalid URL (" + what + ")", "invalid_request_error", nullptr);
    }
    return MockAction::reply(404);
}

// The rules current vendor models enforce (late 2026), answered as the vendor
// answers them: OpenAI reasoning models refuse max_tokens, current Claude
// models refuse temperature and top_p together.
static std::optional<MockAction> current_model_rules(VendorDialect dialect, const std::string &model,
                                              const std::string &body) {
    const auto request = parse_payload(body);
    if (!request || !request->is_object()) return std::nullopt;
    const json::object &o = request->as_object();
    const bool reasoning = model.starts_with("gpt-5") || model.starts_with("gpt-6") || model.starts_with("o1") ||
                           model.starts_with("o3") || model.starts_with("o4");
    if (dialect == VendorDialect::openai && reasoning && o.contains("max_tokens"))
        return json_reply(400, json::object{{"error", json::object{{"message", "Unsupported parameter: 'max_tokens' is "
                                                                              "not supported with this model. Use "
                                                                              "'max_completion_tokens' instead."},
                                                                  {"type", "invalid_request_error"},
                                                                  {"param", "max_tokens"},
                                                                  {"code", "unsupported_parameter"}}}});
    if (dialect == VendorDialect::anthropic && o.contains("temperature") && o.contains("top_p"))
        return anthropic_error(400, "invalid_request_error",
                               "`temperature` and `top_p` cannot both be specified for this model. Please use only one.");
    return std::nullopt;
}

MockAction MockVendorUpstream::chat(const RecordedRequest &request, const std::string &model, bool stream) const {
    if (model == "missing-model") return model_not_found(model);
    {
        std::lock_guard lock(mutex_);
        if (std::find(retired_models_.begin(), retired_models_.end(), model) != retired_models_.end())
            return model_not_found(model);
    }
    if (auto refused = current_model_rules(dialect_, model, request.body)) return *refused;
    const fs::path dir = vendor_fixture_dir(dialect_);
    if (model == "ratelimited-model") {
        const char *file = "error-429.json";
        switch (dialect_) {
        case VendorDialect::anthropic: file = "error-429-rate-limit.json"; break;
        case VendorDialect::gemini: file = "google-429-retry-info.json"; break;
        case VendorDialect::cohere: file = "error-429-trial-key.json"; break;
        case VendorDialect::openai: file = "error-429-rate-limit.json"; break;
        default: break;
        }
        MockHeaders headers = json_headers;
        headers.emplace_back("Retry-After", "1");
        return MockAction::reply(429, std::move(headers), read_fixture_file(dir / file));
    }
    if (model == "boom-model") {
        const char *file = "error-500.json";
        switch (dialect_) {
        case VendorDialect::anthropic: file = "error-500-api.json"; break;
        case VendorDialect::gemini:
        case VendorDialect::cohere: file = "error-500-internal.json"; break;
        case VendorDialect::openai: file = "error-500-server-error.json"; break;
        default: break;
        }
        return raw_json_reply(500, read_fixture_file(dir / file));
    }
    bool close_delimited = false;
    {
        std::lock_guard lock(mutex_);
        close_delimited = close_delimited_;
    }
    if (!stream && close_delimited)
        return MockAction::raw("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" +
                               read_fixture_file(reply_fixture()));
    if (!stream) return raw_json_reply(200, read_fixture_file(reply_fixture()));

    std::vector<std::string> pieces;
    auto lines = read_fixture_lines(stream_fixture());
    bool done = false;
    for (const auto &line : lines) {
        switch (dialect_) {
        case VendorDialect::anthropic:
        case VendorDialect::cohere: {
            std::string event = "message";
            if (auto v = parse_payload(line)) event = str_at(*v, {"type"});
            pieces.push_back("event: " + event + "\ndata: " + line + "\n\n");
            break;
        }
        case VendorDialect::gemini: pieces.push_back("data: " + line + "\r\n\r\n"); break;
        default:
            if (line == "[DONE]") done = true;
            pieces.push_back("data: " + line + "\n\n");
        }
    }
    if ((dialect_ == VendorDialect::mistral || dialect_ == VendorDialect::together ||
         dialect_ == VendorDialect::openai) &&
        !done)
        pieces.push_back("data: [DONE]\n\n");
    std::size_t fragment = 0;
    {
        std::lock_guard lock(mutex_);
        fragment = fragment_size_;
    }
    if (close_delimited) {
        MockAction action = MockAction::raw_pieces(std::move(pieces), std::chrono::milliseconds{1});
        action.raw_bytes = "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
        return action;
    }
    if (fragment > 0) {
        std::string all;
        for (const auto &p : pieces) all += p;
        pieces.clear();
        for (std::size_t i = 0; i < all.size(); i += fragment) pieces.push_back(all.substr(i, fragment));
        return MockAction::stream(200, sse_headers, std::move(pieces), std::chrono::milliseconds{0});
    }
    return MockAction::stream(200, sse_headers, std::move(pieces), std::chrono::milliseconds{1});
}

MockAction MockVendorUpstream::answer(const RecordedRequest &request) const {
    const std::string path = path_of(request.target);
    if (path == "/notapi" || starts_with(path, "/notapi/"))
        return MockAction::reply(404, {{"Content-Type", "text/html"}},
                                 "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 "
                                 "Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n");
    // Embeddings (support/mock_embeddings.hpp): OpenAI's shape for the
    // OpenAI-compatible dialects, Gemini's and Cohere's own.
    const EmbeddingsDialect embeddings_dialect = dialect_ == VendorDialect::gemini   ? EmbeddingsDialect::gemini
                                                 : dialect_ == VendorDialect::cohere ? EmbeddingsDialect::cohere
                                                                                     : EmbeddingsDialect::openai;
    if (dialect_ != VendorDialect::anthropic)
        if (auto embeddings = embeddings_answer(embeddings_dialect, path, request)) {
            if (auto failure = auth_failure(request)) return *failure;
            return *embeddings;
        }
    const bool chat_path = is_chat_path(path);
    const bool models_path = is_models_path(path);
    if (dialect_ == VendorDialect::anthropic && path == "/v1/messages/count_tokens" && request.method == "POST") {
        if (auto failure = auth_failure(request)) return *failure;
        return raw_json_reply(200, R"({"input_tokens":11})");
    }
    if (!chat_path && !models_path) return not_found_path(request);
    if (chat_path && request.method != "POST") return not_found_path(request);
    if (models_path && request.method != "GET") return not_found_path(request);
    if (auto failure = auth_failure(request)) return *failure;

    const fs::path dir = vendor_fixture_dir(dialect_);
    if (models_path) return raw_json_reply(200, read_fixture_file(dir / "models.json"));

    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object()) {
        switch (dialect_) {
        case VendorDialect::anthropic:
            return anthropic_error(400, "invalid_request_error", "mock: body is not a JSON object");
        case VendorDialect::gemini: return google_error(400, "INVALID_ARGUMENT", "mock: Invalid JSON payload");
        default: return json_reply(400, json::object{{"message", "mock: invalid JSON body"}});
        }
    }
    std::string model = str_at(body, {"model"});
    bool stream = false;
    if (auto *s = at(body, {"stream"}); s && s->is_bool()) stream = s->get_bool();
    if (dialect_ == VendorDialect::gemini) {
        // models/{model}:method
        std::string resource = path.substr(std::string("/v1beta/models/").size());
        model = resource.substr(0, resource.rfind(':'));
        stream = ends_with(path, ":streamGenerateContent");
        if (stream && query_of(request.target).find("alt=sse") == std::string::npos)
            return google_error(400, "INVALID_ARGUMENT", "mock: streaming requires alt=sse");
        if (!at(body, {"contents"})) return google_error(400, "INVALID_ARGUMENT", "mock: contents is required");
    } else if (model.empty()) {
        return dialect_ == VendorDialect::anthropic
                   ? anthropic_error(400, "invalid_request_error", "model: Field required")
                   : json_reply(400, json::object{{"message", "mock: model is required"}});
    }
    if (dialect_ == VendorDialect::anthropic && !at(body, {"max_tokens"}))
        return anthropic_error(400, "invalid_request_error", "max_tokens: Field required");
    return chat(request, model, stream);
}

namespace vendor_expect {

namespace {

void gemini_text(const json::value &v, std::string &out) {
    const json::value *parts = at(v, {"candidates", "0", "content", "parts"});
    if (!parts || !parts->is_array()) return;
    for (const auto &p : parts->get_array()) {
        if (auto *t = at(p, {"thought"}); t && t->is_bool() && t->get_bool()) continue;
        out += str_at(p, {"text"});
    }
}

}  // namespace

std::string reply_text(VendorDialect dialect, const json::value &response) {
    std::string out;
    switch (dialect) {
    case VendorDialect::anthropic:
    case VendorDialect::cohere: {
        const json::value *content = dialect == VendorDialect::anthropic ? at(response, {"content"})
                                                                         : at(response, {"message", "content"});
        if (content && content->is_array())
            for (const auto &b : content->get_array())
                if (str_at(b, {"type"}) == "text") out += str_at(b, {"text"});
        break;
    }
    case VendorDialect::gemini: gemini_text(response, out); break;
    default: out = str_at(response, {"choices", "0", "message", "content"});
    }
    return out;
}

std::string stream_text(VendorDialect dialect, const std::vector<std::string> &payloads) {
    std::string out;
    for (const auto &line : payloads) {
        auto v = parse_payload(line);
        if (!v) continue;
        switch (dialect) {
        case VendorDialect::anthropic:
            if (str_at(*v, {"type"}) == "content_block_delta" && str_at(*v, {"delta", "type"}) == "text_delta")
                out += str_at(*v, {"delta", "text"});
            break;
        case VendorDialect::gemini: gemini_text(*v, out); break;
        case VendorDialect::cohere:
            if (str_at(*v, {"type"}) == "content-delta") out += str_at(*v, {"delta", "message", "content", "text"});
            // The tool plan (text before tool calls) streams as content too.
            if (str_at(*v, {"type"}) == "tool-plan-delta") out += str_at(*v, {"delta", "message", "tool_plan"});
            break;
        default: out += str_at(*v, {"choices", "0", "delta", "content"});
        }
    }
    return out;
}

std::vector<ToolCall> stream_tool_calls(VendorDialect dialect, const std::vector<std::string> &payloads) {
    std::vector<ToolCall> calls;
    std::map<long, std::size_t> by_index;  // vendor index -> position in calls
    for (const auto &line : payloads) {
        auto v = parse_payload(line);
        if (!v) continue;
        const std::string type = str_at(*v, {"type"});
        long index = -1;
        if (auto *i = at(*v, {"index"}); i && i->is_int64()) index = static_cast<long>(i->get_int64());
        switch (dialect) {
        case VendorDialect::anthropic:
            if (type == "content_block_start" && str_at(*v, {"content_block", "type"}) == "tool_use") {
                by_index[index] = calls.size();
                calls.push_back({str_at(*v, {"content_block", "id"}), str_at(*v, {"content_block", "name"}), ""});
            } else if (type == "content_block_delta" && str_at(*v, {"delta", "type"}) == "input_json_delta" &&
                       by_index.count(index)) {
                calls[by_index[index]].arguments += str_at(*v, {"delta", "partial_json"});
            }
            break;
        case VendorDialect::gemini: {
            const json::value *parts = at(*v, {"candidates", "0", "content", "parts"});
            if (!parts || !parts->is_array()) break;
            for (const auto &p : parts->get_array()) {
                const json::value *fc = at(p, {"functionCall"});
                if (!fc) continue;
                const json::value *args = at(*fc, {"args"});
                calls.push_back({str_at(*fc, {"id"}), str_at(*fc, {"name"}),
                                 args ? json::serialize(*args) : std::string("{}")});
            }
            break;
        }
        case VendorDialect::cohere:
            if (type == "tool-call-start") {
                by_index[index] = calls.size();
                const json::value *tc = at(*v, {"delta", "message", "tool_calls"});
                if (tc && tc->is_array() && !tc->get_array().empty()) tc = &tc->get_array()[0];
                if (tc)
                    calls.push_back({str_at(*tc, {"id"}), str_at(*tc, {"function", "name"}),
                                     str_at(*tc, {"function", "arguments"})});
            } else if (type == "tool-call-delta" && by_index.count(index)) {
                const json::value *tc = at(*v, {"delta", "message", "tool_calls"});
                if (tc && tc->is_array() && !tc->get_array().empty()) tc = &tc->get_array()[0];
                if (tc) calls[by_index[index]].arguments += str_at(*tc, {"function", "arguments"});
            }
            break;
        default: {
            const json::value *tcs = at(*v, {"choices", "0", "delta", "tool_calls"});
            if (!tcs || !tcs->is_array()) break;
            for (const auto &tc : tcs->get_array()) {
                long i = -1;
                if (auto *x = at(tc, {"index"}); x && x->is_int64()) i = static_cast<long>(x->get_int64());
                std::string id = str_at(tc, {"id"});
                std::size_t pos;
                if (i >= 0 && by_index.count(i)) {
                    pos = by_index[i];
                } else if (i >= 0 || !id.empty() || calls.empty()) {
                    pos = calls.size();
                    calls.push_back({});
                    if (i >= 0) by_index[i] = pos;
                } else {
                    pos = calls.size() - 1;
                }
                if (!id.empty()) calls[pos].id = id;
                std::string name = str_at(tc, {"function", "name"});
                if (!name.empty()) calls[pos].name = name;
                calls[pos].arguments += str_at(tc, {"function", "arguments"});
            }
        }
        }
    }
    return calls;
}

std::vector<ToolCall> reply_tool_calls(VendorDialect dialect, const json::value &response) {
    std::vector<ToolCall> calls;
    switch (dialect) {
    case VendorDialect::anthropic: {
        const json::value *content = at(response, {"content"});
        if (content && content->is_array())
            for (const auto &b : content->get_array())
                if (str_at(b, {"type"}) == "tool_use") {
                    const json::value *input = at(b, {"input"});
                    calls.push_back({str_at(b, {"id"}), str_at(b, {"name"}),
                                     input ? json::serialize(*input) : std::string("{}")});
                }
        break;
    }
    case VendorDialect::gemini: {
        const json::value *parts = at(response, {"candidates", "0", "content", "parts"});
        if (parts && parts->is_array())
            for (const auto &p : parts->get_array())
                if (const json::value *fc = at(p, {"functionCall"})) {
                    const json::value *args = at(*fc, {"args"});
                    calls.push_back({str_at(*fc, {"id"}), str_at(*fc, {"name"}),
                                     args ? json::serialize(*args) : std::string("{}")});
                }
        break;
    }
    default: {
        const json::value *tcs = dialect == VendorDialect::cohere
                                     ? at(response, {"message", "tool_calls"})
                                     : at(response, {"choices", "0", "message", "tool_calls"});
        if (tcs && tcs->is_array())
            for (const auto &tc : tcs->get_array())
                calls.push_back({str_at(tc, {"id"}), str_at(tc, {"function", "name"}),
                                 str_at(tc, {"function", "arguments"})});
    }
    }
    return calls;
}

bool stream_has_error(VendorDialect dialect, const std::vector<std::string> &payloads) {
    for (const auto &line : payloads) {
        auto v = parse_payload(line);
        if (!v) continue;
        switch (dialect) {
        case VendorDialect::anthropic:
            if (str_at(*v, {"type"}) == "error") return true;
            break;
        case VendorDialect::cohere:
            if (at(*v, {"delta", "error"}) || str_at(*v, {"delta", "finish_reason"}) == "ERROR") return true;
            break;
        default:
            if (at(*v, {"error"})) return true;
        }
    }
    return false;
}

}  // namespace vendor_expect

}  // namespace sb::test
