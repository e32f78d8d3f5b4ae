#include "host/native_passthrough.hpp"

#include "core/log.hpp"
#include "host/anthropic_messages.hpp"
#include "host/error_presentation.hpp"

#include <switchboard/provider_abi.h>

#include <boost/json.hpp>

#include <cctype>

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;
using core::ErrorCode;
using core::GatewayError;

namespace {

// ---------------------------------------------------------- the raw body

void skip_space(std::string_view s, std::size_t &i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}

// i at an opening quote: past the closing one.
void skip_string(std::string_view s, std::size_t &i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\')
            ++i;
        else if (s[i] == '"') {
            ++i;
            return;
        }
    }
}

// Past one JSON value (the body is known to parse).
void skip_value(std::string_view s, std::size_t &i) {
    if (i >= s.size()) return;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                skip_string(s, i);
                continue;
            }
            if (c == '{' || c == '[') ++depth;
            if (c == '}' || c == ']') --depth;
            ++i;
            if (depth == 0) return;
        }
        return;
    }
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !std::isspace(static_cast<unsigned char>(s[i])))
        ++i;
}

[[noreturn]] void no_model() {
    throw GatewayError(ErrorCode::invalid_request, "model: field required (a string)", "model");
}

// -------------------------------------------------------------- headers

// What the client sends for the vendor to read, by dialect.
core::HeaderList dialect_headers(std::string_view dialect, const RequestHead &head) {
    core::HeaderList out;
    auto take = [&](std::string_view name) {
        if (auto it = head.find(name); it != head.end()) out.emplace_back(std::string(name), std::string(it->value()));
    };
    if (dialect == SB_DIALECT_ANTHROPIC_MESSAGES) {
        take("anthropic-version");
        take("anthropic-beta");
    } else if (dialect == SB_DIALECT_OPENAI_RESPONSES) {
        take("openai-beta");
    }
    return out;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

bool equals_nocase(std::string_view a, std::string_view b) { return a.size() == b.size() && starts_with_nocase(a, b); }

// The vendor's headers a client of its API reads: ids for support tickets,
// rate-limit state, Retry-After. Nothing that could carry a credential.
bool relayed_header(std::string_view name) {
    return equals_nocase(name, "request-id") || equals_nocase(name, "x-request-id") ||
           equals_nocase(name, "retry-after") || starts_with_nocase(name, "anthropic-ratelimit-") ||
           starts_with_nocase(name, "x-ratelimit-") || equals_nocase(name, "openai-processing-ms");
}

void copy_relayed(const core::HeaderList &from, Response &to) {
    for (const auto &[name, value] : from)
        if (relayed_header(name)) to.set(name, value);
}

std::string_view content_type_of(const core::HeaderList &headers) {
    for (const auto &[name, value] : headers)
        if (equals_nocase(name, "content-type")) return value;
    return "application/json";
}

// Whether a vendor's error status may be one another target would not give.
bool worth_falling_back(int status) { return status != 400 && status != 413 && status != 422; }

// ------------------------------------------------------------- watchers

std::int64_t count_at(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v && v->is_int64() ? v->get_int64() : v && v->is_uint64() ? static_cast<std::int64_t>(v->get_uint64()) : -1;
}

const json::object *object_at(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

std::optional<json::object> parse_object(std::string_view data) {
    boost::system::error_code ec;
    json::value v = json::parse(data, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

// Anthropic's usage object: cache reads and writes are input tokens too.
void take_anthropic_usage(const json::object &usage, core::TokenUsage &into) {
    const std::int64_t input = count_at(usage, "input_tokens");
    const std::int64_t read = count_at(usage, "cache_read_input_tokens");
    const std::int64_t written = count_at(usage, "cache_creation_input_tokens");
    if (input >= 0) into.prompt_tokens = input + std::max<std::int64_t>(read, 0) + std::max<std::int64_t>(written, 0);
    if (read >= 0) into.cached_tokens = read;
    if (const std::int64_t output = count_at(usage, "output_tokens"); output >= 0) into.completion_tokens = output;
}

class AnthropicMessagesWatcher final : public core::NativeWatcher {
public:
    bool event(std::string_view name, std::string_view data, core::TokenUsage &usage) override {
        if (name == "message_stop" || name == "error") return true;
        if (name != "message_start" && name != "message_delta") return false;
        auto event = parse_object(data);
        if (!event) return false;
        const json::object *holder = name == "message_start" ? object_at(*event, "message") : &*event;
        if (const json::object *u = holder ? object_at(*holder, "usage") : nullptr) take_anthropic_usage(*u, usage);
        return false;
    }
    void answer(std::string_view body, core::TokenUsage &usage) override {
        if (auto message = parse_object(body))
            if (const json::object *u = object_at(*message, "usage")) take_anthropic_usage(*u, usage);
    }
    void failure(std::string &out, const GatewayError &error) override {
        out += "event: error\ndata: ";
        out += anthropic_error_body_json(error);
        out += "\n\n";
    }
};

// The Responses API's usage object.
void take_responses_usage(const json::object &usage, core::TokenUsage &into) {
    if (const std::int64_t n = count_at(usage, "input_tokens"); n >= 0) into.prompt_tokens = n;
    if (const std::int64_t n = count_at(usage, "output_tokens"); n >= 0) into.completion_tokens = n;
    if (const json::object *d = object_at(usage, "input_tokens_details"))
        if (const std::int64_t n = count_at(*d, "cached_tokens"); n >= 0) into.cached_tokens = n;
    if (const json::object *d = object_at(usage, "output_tokens_details"))
        if (const std::int64_t n = count_at(*d, "reasoning_tokens"); n >= 0) into.reasoning_tokens = n;
}

class OpenAIResponsesWatcher final : public core::NativeWatcher {
public:
    bool event(std::string_view name, std::string_view data, core::TokenUsage &usage) override {
        const bool last = name == "response.completed" || name == "response.incomplete" ||
                          name == "response.failed" || name == "error";
        if (name == "error" || !last) {
            if (!last) note_sequence(data);
            return last;
        }
        if (auto event = parse_object(data))
            if (const json::object *response = object_at(*event, "response"))
                if (const json::object *u = object_at(*response, "usage")) take_responses_usage(*u, usage);
        return true;
    }
    void answer(std::string_view body, core::TokenUsage &usage) override {
        if (auto response = parse_object(body))
            if (const json::object *u = object_at(*response, "usage")) take_responses_usage(*u, usage);
    }
    void failure(std::string &out, const GatewayError &error) override {
        json::value body = json::parse(error_body_json(error));
        json::object &e = body.as_object()["error"].as_object();
        json::object event{{"type", "error"},
                           {"code", e["code"]},
                           {"message", e["message"]},
                           {"param", e["param"]},
                           {"sequence_number", last_sequence_ + 1}};
        out += "event: error\ndata: ";
        out += json::serialize(event);
        out += "\n\n";
    }

private:
    // The sequence number an injected error event continues from: read off
    // the event's text without parsing it (deltas are the bulk of a stream).
    void note_sequence(std::string_view data) {
        constexpr std::string_view key = "\"sequence_number\":";
        const auto at = data.rfind(key);
        if (at == std::string_view::npos) return;
        std::size_t i = at + key.size();
        while (i < data.size() && data[i] == ' ') ++i;
        std::int64_t n = 0;
        bool any = false;
        for (; i < data.size() && data[i] >= '0' && data[i] <= '9'; ++i, any = true) n = n * 10 + (data[i] - '0');
        if (any) last_sequence_ = n;
    }
    std::int64_t last_sequence_ = -1;
};

}  // namespace

std::string with_model(std::string_view body, std::string_view model) {
    const std::string value = json::serialize(json::value(json::string_view(model.data(), model.size())));
    std::size_t i = 0;
    skip_space(body, i);
    if (i >= body.size() || body[i] != '{') no_model();
    const std::size_t open = ++i;
    skip_space(body, i);
    if (i < body.size() && body[i] == '}')  // {}: the model is all there is
        return std::string(body.substr(0, open)) + "\"model\":" + value + std::string(body.substr(open));
    for (;;) {
        skip_space(body, i);
        if (i >= body.size() || body[i] != '"') no_model();
        const std::size_t key_start = i;
        skip_string(body, i);
        const std::string_view key = body.substr(key_start, i - key_start);
        skip_space(body, i);
        if (i >= body.size() || body[i] != ':') no_model();
        ++i;
        skip_space(body, i);
        const std::size_t value_start = i;
        skip_value(body, i);
        if (key == "\"model\"") {
            if (body[value_start] != '"') no_model();
            std::string out;
            out.reserve(body.size() + model.size());
            out.append(body.substr(0, value_start));
            out += value;
            out.append(body.substr(i));
            return out;
        }
        skip_space(body, i);
        if (i < body.size() && body[i] == '}')  // no "model": the routed one goes first
            return std::string(body.substr(0, open)) + "\"model\":" + value + "," + std::string(body.substr(open));
        if (i >= body.size() || body[i] != ',') no_model();
        ++i;
    }
}

std::unique_ptr<core::NativeWatcher> anthropic_messages_watcher() {
    return std::make_unique<AnthropicMessagesWatcher>();
}

std::unique_ptr<core::NativeWatcher> openai_responses_watcher() { return std::make_unique<OpenAIResponsesWatcher>(); }

boost::asio::awaitable<std::optional<Reply>> relay_native(core::ChatGateway &gateway,
                                                          std::vector<core::ChatTarget> &chain,
                                                          const NativeAttempt &attempt,
                                                          core::RequestContext &context, unsigned version) {
    const auto timeouts = attempt.stream ? gateway.options().stream_timeouts : gateway.options().chat_timeouts;
    // Each target that speaks the dialect in turn (an alias may list several
    // deployments of it); the first that does not is translated for.
    while (!chain.empty() && chain.front().provider->speaks_natively(attempt.dialect)) {
        const core::ChatTarget &target = chain.front();
        const bool more = chain.size() > 1;
        const std::string body = with_model(*attempt.body, target.config.model.value);
        const core::NativeCall call{attempt.dialect, attempt.operation, body,
                                    dialect_headers(attempt.dialect, *attempt.head), attempt.stream};
        std::string fallback_reason;
        core::NativeAnswer answer;
        try {
            answer = co_await gateway.relay_native(target, call, attempt.make_watcher(), timeouts, context);
        } catch (const GatewayError &e) {
            if (!more || !core::worth_falling_back(e)) throw;
            fallback_reason = core::error_code_name(e.code());
        }
        const bool ok = answer.status >= 200 && answer.status < 300;
        if (fallback_reason.empty() && !ok && more && worth_falling_back(answer.status))
            fallback_reason = "HTTP " + std::to_string(answer.status);
        if (!fallback_reason.empty()) {
            core::log_event(core::LogLevel::warn, "fallback",
                            {{"from", target.provider->id()}, {"to", chain[1].provider->id()}, {"reason", fallback_reason}});
            chain.erase(chain.begin());
            continue;
        }
        if (!ok) context.error_type = "upstream_status";
        if (answer.stream) {
            Reply reply = stream_reply(std::move(answer.stream), context);
            copy_relayed(answer.headers, reply.head);
            co_return reply;
        }
        Response response;
        response.version(version);
        response.result(static_cast<unsigned>(answer.status));
        response.set(http::field::content_type, content_type_of(answer.headers));
        copy_relayed(answer.headers, response);
        response.set("x-switchboard-provider", context.provider);
        response.body() = std::move(answer.body);
        response.prepare_payload();
        co_return Reply{std::move(response), nullptr};
    }
    co_return std::nullopt;
}

}  // namespace sb::host
