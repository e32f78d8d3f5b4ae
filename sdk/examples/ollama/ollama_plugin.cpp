// switchboard-ollama: an example third-party provider plugin for Ollama's
// native API (POST /api/chat, GET /api/tags, NDJSON streaming, and POST
// /api/embed through the sb.embeddings/1 extension), written with
// the SDK's C++ helper (switchboard/provider.hpp) and Boost.JSON.
//
// Like every Switchboard plugin it never does I/O: it turns the unified
// request (OpenAI chat-completions JSON) into an Ollama HTTP request, and
// Ollama's answers (whole bodies or NDJSON lines, de-framed by the host) back
// into chat.completion / chat.completion.chunk objects or classified errors.
#include <switchboard/provider.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#ifndef SWITCHBOARD_OLLAMA_VERSION
#define SWITCHBOARD_OLLAMA_VERSION "0.1.0"
#endif

namespace ollama {

namespace json = boost::json;
namespace sdk = switchboard::sdk;

constexpr std::string_view kDefaultBase = "http://localhost:11434";

// ------------------------------------------------------------ helpers

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string r(s);
    for (char &c : r) c = char(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

bool contains_ci(std::string_view hay, std::string_view needle) {
    return !needle.empty() && lower(hay).find(lower(needle)) != std::string::npos;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Parses text as JSON; std::nullopt when it is not JSON.
std::optional<json::value> try_parse(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
}

std::string_view get_string(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    if (!v || !v->is_string()) return {};
    const json::string &s = v->get_string();
    return std::string_view(s.data(), s.size());
}

int64_t get_int(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return int64_t(v->get_uint64());
    if (v->is_double()) return int64_t(v->get_double());
    return 0;
}

// The API key never leaves the plugin in an error message.
std::string redact(std::string message, std::string_view api_key) {
    if (api_key.size() < 4) return message;
    for (size_t pos; (pos = message.find(api_key)) != std::string::npos;)
        message.replace(pos, api_key.size(), "***");
    return message;
}

// {api_base}{path}. The base is Ollama's root (http://localhost:11434); a base
// written for Ollama's OpenAI-compatible endpoint (".../v1") or with a
// trailing "/api" is accepted too.
std::string url_for(std::string_view base, std::string_view path) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    if (ends_with(base, "/v1")) base.remove_suffix(3);
    else if (ends_with(base, "/api")) base.remove_suffix(4);
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    return std::string(base) + std::string(path);
}

std::string new_id() {
    static std::atomic<uint64_t> counter{0};
    return "chatcmpl-ollama-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(++counter);
}

std::string new_call_id() {
    static std::atomic<uint64_t> counter{0};
    return "call_ollama_" + std::to_string(std::time(nullptr)) + "_" + std::to_string(++counter);
}

void require_base(const sdk::Config &config) {
    if (trim(config.api_base).empty())
        throw sdk::not_configured("ollama provider has no API base: set OLLAMA_API_BASE (e.g. " +
                                  std::string(kDefaultBase) + ")");
}

// ------------------------------------------------------------ errors

sdk::ProviderError api_base_incorrect(int status, std::string_view detail) {
    return sdk::upstream_error(SB_ERROR_API_BASE_INCORRECT, status,
                               "the API base answered, but not as the Ollama API (" + std::string(detail) +
                                   "): check api_base (e.g. " + std::string(kDefaultBase) + ")");
}

// Ollama errors are {"error": "text"}; proxies in front of it may answer
// {"error": {"message": "..."}}.
std::string error_text(const json::value &body) {
    const json::object *o = body.if_object();
    if (!o) return {};
    const json::value *e = o->if_contains("error");
    if (!e) return {};
    if (e->is_string()) return std::string(e->get_string());
    if (const json::object *eo = e->if_object()) return std::string(get_string(*eo, "message"));
    return {};
}

sdk::ProviderError classify(int status, std::string_view body, const sdk::Config &config) {
    std::optional<json::value> doc = try_parse(body);
    const bool is_json = doc && doc->is_object();
    std::string message = is_json ? error_text(*doc) : std::string();
    sb_error_kind kind;

    if (status >= 300 && status < 400) {
        return api_base_incorrect(status, "HTTP " + std::to_string(status) + " redirect");
    } else if (!is_json && status >= 400 && status < 500) {
        // An HTML or text 4xx page: something other than Ollama answered.
        return api_base_incorrect(status, "HTTP " + std::to_string(status) + " without a JSON error");
    } else if (status == 404) {
        // Ollama: {"error":"model \"x\" not found, try pulling it first"}
        if (contains_ci(message, "model") || (!config.model.empty() && contains_ci(message, config.model)))
            kind = SB_ERROR_MODEL_NOT_FOUND;
        else
            return api_base_incorrect(status, message.empty() ? "HTTP 404" : "HTTP 404: " + message);
    } else if (status == 401 || status == 403) {
        kind = SB_ERROR_INVALID_API_KEY;
    } else if (status == 429) {
        kind = SB_ERROR_RATE_LIMITED;
    } else if (status >= 400 && status < 500) {
        kind = contains_ci(message, "context length") || contains_ci(message, "context window")
                   ? SB_ERROR_CONTEXT_LENGTH
                   : SB_ERROR_INVALID_REQUEST;
    } else {
        kind = SB_ERROR_UPSTREAM;
    }
    if (message.empty()) message = "Ollama answered HTTP " + std::to_string(status);
    return sdk::upstream_error(kind, status, redact(std::move(message), config.api_key));
}

// An {"error": "..."} line inside a 2xx stream or body.
sdk::ProviderError in_band_error(const std::string &text, const sdk::Config &config) {
    sb_error_kind kind = contains_ci(text, "not found") && contains_ci(text, "model") ? SB_ERROR_MODEL_NOT_FOUND
                                                                                     : SB_ERROR_UPSTREAM;
    return sdk::upstream_error(kind, 0, redact(text.empty() ? "Ollama reported an error" : text, config.api_key));
}

// ------------------------------------------------- request translation

// OpenAI message content (string, null or an array of parts) -> Ollama's
// content string plus base64 images.
void translate_content(const json::value &content, json::object &out) {
    if (content.is_null()) {
        out["content"] = "";
        return;
    }
    if (content.is_string()) {
        out["content"] = content.get_string();
        return;
    }
    const json::array *parts = content.if_array();
    if (!parts) throw sdk::invalid_request("message content must be a string or an array of parts");
    std::string text;
    json::array images;
    for (const json::value &p : *parts) {
        const json::object *po = p.if_object();
        if (!po) throw sdk::invalid_request("message content parts must be objects");
        std::string_view type = get_string(*po, "type");
        if (type == "text") {
            if (!text.empty()) text += "\n";
            text += get_string(*po, "text");
        } else if (type == "image_url") {
            std::string_view url;
            if (const json::value *iu = po->if_contains("image_url")) {
                if (iu->is_string()) url = iu->get_string();
                else if (const json::object *io = iu->if_object()) url = get_string(*io, "url");
            }
            // Ollama takes raw base64 images; the plugin does no I/O, so it
            // cannot fetch http(s) image URLs.
            if (url.substr(0, 5) != "data:")
                throw sdk::invalid_request("Ollama accepts images only as base64 data: URLs");
            size_t comma = url.find(',');
            if (comma == std::string_view::npos || url.substr(0, comma).find(";base64") == std::string_view::npos)
                throw sdk::invalid_request("image data: URL must be base64-encoded");
            images.emplace_back(url.substr(comma + 1));
        } else {
            throw sdk::invalid_request("unsupported content part type '" + std::string(type) + "' for Ollama");
        }
    }
    out["content"] = text;
    if (!images.empty()) out["images"] = std::move(images);
}

// OpenAI tool_calls (arguments as a JSON string) -> Ollama tool_calls
// (arguments as an object). Records id -> function name for tool results.
json::array translate_tool_calls(const json::array &calls, std::unordered_map<std::string, std::string> &names) {
    json::array out;
    for (const json::value &c : calls) {
        const json::object *co = c.if_object();
        if (!co) throw sdk::invalid_request("tool_calls entries must be objects");
        const json::object *fn = co->if_contains("function") ? co->at("function").if_object() : nullptr;
        if (!fn) throw sdk::invalid_request("tool_calls entries need a function object");
        json::value args = json::object();
        if (const json::value *a = fn->if_contains("arguments")) {
            if (a->is_string()) {
                std::string_view s = trim(std::string_view(a->get_string().data(), a->get_string().size()));
                if (!s.empty()) {
                    std::optional<json::value> parsed = try_parse(s);
                    if (!parsed || !parsed->is_object())
                        throw sdk::invalid_request("tool call arguments must be a JSON object");
                    args = std::move(*parsed);
                }
            } else if (a->is_object()) {
                args = *a;
            }
        }
        std::string name(get_string(*fn, "name"));
        if (std::string_view id = get_string(*co, "id"); !id.empty()) names[std::string(id)] = name;
        json::object f;
        f["name"] = name;
        f["arguments"] = std::move(args);
        json::object call;
        call["function"] = std::move(f);
        out.push_back(std::move(call));
    }
    return out;
}

json::value translate_stop(const json::value &stop) {
    if (stop.is_string()) return json::array{stop};
    if (stop.is_array()) return stop;
    throw sdk::invalid_request("stop must be a string or an array of strings");
}

std::string build_chat_body(const sdk::Config &config, std::string_view body_json, bool stream) {
    std::optional<json::value> doc = try_parse(body_json);
    if (!doc || !doc->is_object()) throw sdk::invalid_request("the chat request is not a JSON object");
    const json::object &in = doc->get_object();

    std::string model(config.model);
    if (model.empty()) model = std::string(get_string(in, "model"));
    if (model.empty()) throw sdk::not_configured("ollama provider has no model: set OLLAMA_MODEL");

    const json::array *messages = in.if_contains("messages") ? in.at("messages").if_array() : nullptr;
    if (!messages || messages->empty()) throw sdk::invalid_request("messages must be a non-empty array");

    json::object out;
    out["model"] = model;

    std::unordered_map<std::string, std::string> tool_names;  // tool_call_id -> function name
    json::array msgs;
    for (const json::value &m : *messages) {
        const json::object *mo = m.if_object();
        if (!mo) throw sdk::invalid_request("messages entries must be objects");
        std::string role(get_string(*mo, "role"));
        if (role == "developer") role = "system";
        if (role != "system" && role != "user" && role != "assistant" && role != "tool")
            throw sdk::invalid_request("unsupported message role '" + role + "' for Ollama");
        json::object om;
        om["role"] = role;
        const json::value *content = mo->if_contains("content");
        translate_content(content ? *content : json::value(nullptr), om);
        if (role == "assistant") {
            if (const json::value *tc = mo->if_contains("tool_calls"); tc && tc->is_array() && !tc->get_array().empty())
                om["tool_calls"] = translate_tool_calls(tc->get_array(), tool_names);
        }
        if (role == "tool") {
            std::string_view id = get_string(*mo, "tool_call_id");
            auto it = tool_names.find(std::string(id));
            if (it != tool_names.end() && !it->second.empty()) om["tool_name"] = it->second;
            else if (std::string_view n = get_string(*mo, "name"); !n.empty()) om["tool_name"] = n;
        }
        msgs.push_back(std::move(om));
    }
    out["messages"] = std::move(msgs);
    out["stream"] = stream;

    // Tools use the OpenAI function-tool shape in Ollama too.
    bool tools_off = false;
    if (const json::value *tc = in.if_contains("tool_choice"); tc && tc->is_string() && tc->get_string() == "none")
        tools_off = true;
    if (const json::value *tools = in.if_contains("tools"); tools && !tools_off) {
        if (!tools->is_array()) throw sdk::invalid_request("tools must be an array");
        if (!tools->get_array().empty()) out["tools"] = *tools;
    }

    json::object options;
    auto copy_number = [&](std::string_view from, std::string_view to) {
        if (const json::value *v = in.if_contains(from); v && !v->is_null()) {
            if (!v->is_number()) throw sdk::invalid_request(std::string(from) + " must be a number");
            options[to] = *v;
        }
    };
    copy_number("temperature", "temperature");
    copy_number("top_p", "top_p");
    copy_number("seed", "seed");
    copy_number("presence_penalty", "presence_penalty");
    copy_number("frequency_penalty", "frequency_penalty");
    copy_number("max_tokens", "num_predict");
    copy_number("max_completion_tokens", "num_predict");
    if (const json::value *stop = in.if_contains("stop"); stop && !stop->is_null())
        options["stop"] = translate_stop(*stop);
    if (!options.empty()) out["options"] = std::move(options);

    // response_format: json_object -> "json"; json_schema -> the schema.
    if (const json::value *rf = in.if_contains("response_format"); rf && rf->is_object()) {
        const json::object &rfo = rf->get_object();
        std::string_view type = get_string(rfo, "type");
        if (type == "json_object") {
            out["format"] = "json";
        } else if (type == "json_schema") {
            const json::value *schema = nullptr;
            if (const json::value *js = rfo.if_contains("json_schema"); js && js->is_object())
                schema = js->get_object().if_contains("schema");
            if (!schema || !schema->is_object())
                throw sdk::invalid_request("response_format json_schema needs json_schema.schema");
            out["format"] = *schema;
        } else if (!type.empty() && type != "text") {
            throw sdk::invalid_request("unsupported response_format type '" + std::string(type) + "'");
        }
    }
    if (const json::value *ka = in.if_contains("keep_alive"); ka && (ka->is_string() || ka->is_number()))
        out["keep_alive"] = *ka;
    return json::serialize(out);
}

// ------------------------------------------------ response translation

std::string arguments_text(const json::object &fn) {
    const json::value *a = fn.if_contains("arguments");
    if (!a || a->is_null()) return "{}";
    if (a->is_string()) return std::string(a->get_string());
    return json::serialize(*a);
}

// Ollama tool_calls -> OpenAI tool_calls with synthesised ids.
json::array unified_tool_calls(const json::array &calls, bool with_index, int64_t first_index) {
    json::array out;
    int64_t index = first_index;
    for (const json::value &c : calls) {
        const json::object *co = c.if_object();
        const json::object *fn = co && co->if_contains("function") ? co->at("function").if_object() : nullptr;
        if (!fn) continue;
        json::object f;
        f["name"] = get_string(*fn, "name");
        f["arguments"] = arguments_text(*fn);
        json::object call;
        if (with_index) call["index"] = index;
        std::string_view id = get_string(*co, "id");
        call["id"] = id.empty() ? new_call_id() : std::string(id);
        call["type"] = "function";
        call["function"] = std::move(f);
        out.push_back(std::move(call));
        ++index;
    }
    return out;
}

std::string_view finish_reason(std::string_view done_reason, bool has_calls) {
    if (has_calls) return "tool_calls";
    if (done_reason == "length") return "length";
    return "stop";
}

json::object usage_of(const json::object &o) {
    const int64_t prompt = get_int(o, "prompt_eval_count");
    const int64_t completion = get_int(o, "eval_count");
    json::object u;
    u["prompt_tokens"] = prompt;
    u["completion_tokens"] = completion;
    u["total_tokens"] = prompt + completion;
    return u;
}

std::string parse_chat(const sdk::Config &config, const sdk::HttpResponse &response) {
    if (response.status < 200 || response.status > 299) throw classify(response.status, response.body, config);
    std::optional<json::value> doc = try_parse(response.body);
    if (!doc || !doc->is_object()) throw api_base_incorrect(response.status, "the body is not JSON");
    const json::object &o = doc->get_object();
    if (o.contains("error")) throw in_band_error(error_text(*doc), config);
    const json::object *msg = o.if_contains("message") ? o.at("message").if_object() : nullptr;
    if (!msg) throw api_base_incorrect(response.status, "no message in the chat response");

    json::array calls;
    if (const json::value *tc = msg->if_contains("tool_calls"); tc && tc->is_array())
        calls = unified_tool_calls(tc->get_array(), false, 0);
    const bool has_calls = !calls.empty();

    json::object message;
    message["role"] = "assistant";
    std::string_view content = get_string(*msg, "content");
    if (has_calls && content.empty()) message["content"] = nullptr;
    else message["content"] = content;
    if (std::string_view thinking = get_string(*msg, "thinking"); !thinking.empty())
        message["reasoning_content"] = thinking;
    if (has_calls) message["tool_calls"] = std::move(calls);

    json::object choice;
    choice["index"] = 0;
    choice["message"] = std::move(message);
    choice["finish_reason"] = finish_reason(get_string(o, "done_reason"), has_calls);

    json::object out;
    out["id"] = new_id();
    out["object"] = "chat.completion";
    out["created"] = int64_t(std::time(nullptr));
    std::string_view model = get_string(o, "model");
    out["model"] = model.empty() ? config.model : model;
    out["choices"] = json::array{std::move(choice)};
    out["usage"] = usage_of(o);
    return json::serialize(out);
}

// ----------------------------------------------------------- streaming

class OllamaStream final : public sdk::Stream {
public:
    OllamaStream(const sdk::Config &config)
        : id_(new_id()), created_(int64_t(std::time(nullptr))), model_(config.model),
          api_key_(config.api_key) {}

    bool on_event(std::string_view /*event*/, std::string_view data, const sdk::ChunkWriter &out) override {
        std::string_view line = trim(data);
        if (line.empty()) return false;
        std::optional<json::value> doc = try_parse(line);
        if (!doc || !doc->is_object())
            throw sdk::upstream_error(SB_ERROR_UPSTREAM, 0, "Ollama stream line is not a JSON object");
        const json::object &o = doc->get_object();
        if (o.contains("error")) {
            sdk::Config c{api_key_, {}, model_};
            throw in_band_error(error_text(*doc), c);
        }
        if (std::string_view m = get_string(o, "model"); !m.empty() && chunk_model_.empty()) chunk_model_ = m;

        json::object delta;
        if (!role_sent_) {
            delta["role"] = "assistant";
            role_sent_ = true;
        }
        if (const json::object *msg = o.if_contains("message") ? o.at("message").if_object() : nullptr) {
            if (std::string_view c = get_string(*msg, "content"); !c.empty()) delta["content"] = c;
            if (std::string_view t = get_string(*msg, "thinking"); !t.empty()) delta["reasoning_content"] = t;
            if (const json::value *tc = msg->if_contains("tool_calls"); tc && tc->is_array()) {
                json::array calls = unified_tool_calls(tc->get_array(), true, tool_calls_);
                tool_calls_ += int64_t(calls.size());
                if (!calls.empty()) delta["tool_calls"] = std::move(calls);
            }
        }
        const bool done = o.if_contains("done") && o.at("done").is_bool() && o.at("done").get_bool();
        if (!delta.empty()) emit(out, std::move(delta), nullptr);
        if (!done) return false;

        emit(out, json::object(), json::string(finish_reason(get_string(o, "done_reason"), tool_calls_ > 0)));
        finished_ = true;
        emit_usage(out, usage_of(o));
        return true;
    }

    void finish(const sdk::ChunkWriter &out) override {
        // The client always gets a usage chunk, even from a stream that ended
        // without Ollama's final done:true line.
        if (!finished_) {
            emit(out, json::object(), json::string(finish_reason({}, tool_calls_ > 0)));
            finished_ = true;
        }
        if (!usage_sent_) emit_usage(out, usage_of(json::object()));
    }

private:
    json::object base() const {
        json::object chunk;
        chunk["id"] = id_;
        chunk["object"] = "chat.completion.chunk";
        chunk["created"] = created_;
        chunk["model"] = chunk_model_.empty() ? model_ : chunk_model_;
        return chunk;
    }

    void emit(const sdk::ChunkWriter &out, json::object delta, json::value finish) const {
        json::object choice;
        choice["index"] = 0;
        choice["delta"] = std::move(delta);
        choice["finish_reason"] = std::move(finish);
        json::object chunk = base();
        chunk["choices"] = json::array{std::move(choice)};
        out.emit(json::serialize(chunk));
    }

    void emit_usage(const sdk::ChunkWriter &out, json::object usage) {
        json::object chunk = base();
        chunk["choices"] = json::array();
        chunk["usage"] = std::move(usage);
        out.emit(json::serialize(chunk));
        usage_sent_ = true;
    }

    std::string id_;
    int64_t created_;
    std::string model_;
    std::string chunk_model_;
    std::string api_key_;  // only for redacting error messages
    bool role_sent_ = false;
    bool finished_ = false;
    bool usage_sent_ = false;
    int64_t tool_calls_ = 0;
};

// ---------------------------------------------- embeddings (ABI v1.3)

// POST /api/embed: {"model","input":[texts],"dimensions"?,"truncate"?,
// "keep_alive"?} -> {"model","embeddings":[[...]],"prompt_eval_count"}.
// Offered to the host as sb.embeddings/1 from OllamaProvider::extension().
class OllamaEmbeddings final : public sdk::Embedder {
public:
    static sdk::EmbeddingsInfo info() {
        static const sb_str models[] = {sdk::to_sb("nomic-embed-text"), sdk::to_sb("mxbai-embed-large"),
                                        sdk::to_sb("all-minilm")};
        // Ollama states no batch limit; it shortens vectors on "dimensions".
        return {models, sizeof(models) / sizeof(models[0]), "nomic-embed-text", 0, SB_EMBED_DIMENSIONS};
    }

    sdk::HttpRequest build_embeddings_request(const sdk::Config &config, std::string_view body_json,
                                              size_t /*input_count*/) override {
        require_base(config);
        std::optional<json::value> doc = try_parse(body_json);
        if (!doc || !doc->is_object()) throw sdk::invalid_request("the embeddings request is not a JSON object");
        const json::object &batch = doc->get_object();
        json::object body{{"model", config.model}, {"input", batch.at("input")}};
        for (std::string_view passed : {"dimensions", "truncate", "keep_alive"})
            if (const json::value *v = batch.if_contains(passed)) body[passed] = *v;
        sdk::HttpRequest req;
        req.url = url_for(config.api_base, "/api/embed");
        req.headers.emplace_back("Content-Type", "application/json");
        req.headers.emplace_back("Accept", "application/json");
        req.body = json::serialize(body);
        return req;
    }

    std::string parse_embeddings_response(const sdk::Config &config, const sdk::HttpResponse &response) override {
        if (response.status < 200 || response.status > 299) throw classify(response.status, response.body, config);
        std::optional<json::value> doc = try_parse(response.body);
        const json::object *o = doc ? doc->if_object() : nullptr;
        const json::array *vectors = o && o->if_contains("embeddings") ? o->at("embeddings").if_array() : nullptr;
        if (!vectors) throw api_base_incorrect(response.status, "no embeddings array in the /api/embed response");
        json::array data;
        for (const json::value &v : *vectors)
            data.push_back(json::object{{"object", "embedding"}, {"index", data.size()}, {"embedding", v}});
        const int64_t tokens = get_int(*o, "prompt_eval_count");
        json::object list{{"object", "list"},
                          {"model", config.model},
                          {"data", std::move(data)},
                          {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
        sdk::Usage usage;
        usage.prompt_tokens = tokens;
        usage.completion_tokens = 0;
        response.usage(usage);
        return json::serialize(list);
    }
};

// ------------------------------------------------------------ provider

class OllamaProvider final : public sdk::Provider {
public:
    static const sb_provider_descriptor &descriptor() {
        static const sb_str known[] = {sdk::to_sb("llama3.2"), sdk::to_sb("llama3.1"), sdk::to_sb("qwen2.5"),
                                       sdk::to_sb("mistral"), sdk::to_sb("gemma2")};
        static const sb_provider_descriptor d = [] {
            sdk::DescriptorFields f;
            f.id = "ollama";
            f.display_name = "Ollama";
            f.plugin_version = SWITCHBOARD_OLLAMA_VERSION;
            f.default_model = "llama3.2";
            f.default_api_base = kDefaultBase;
            f.env_api_key = "OLLAMA_API_KEY";
            f.env_model = "OLLAMA_MODEL";
            f.env_api_base = "OLLAMA_API_BASE";
            f.capabilities = SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_MODEL_LISTING;
            f.stream_framing = SB_FRAMING_NDJSON;
            // Ollama itself needs no key; one that is configured goes out as
            // a bearer token (for an Ollama behind an authenticating proxy),
            // written by the host: this plugin never sees it.
            f.credential_header = "authorization";
            f.credential_prefix = "Bearer ";
            return sdk::describe(f, known);
        }();
        return d;
    }

    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override {
        require_base(config);
        sdk::HttpRequest req;
        req.method = "POST";
        req.url = url_for(config.api_base, "/api/chat");
        req.headers.emplace_back("Content-Type", "application/json");
        req.headers.emplace_back("Accept", stream ? "application/x-ndjson" : "application/json");
        req.body = build_chat_body(config, body_json, stream);
        return req;
    }

    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override {
        return parse_chat(config, response);
    }

    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view /*body_json*/) override {
        return std::make_unique<OllamaStream>(config);
    }

    std::optional<sdk::HttpRequest> build_models_request(const sdk::Config &config) override {
        require_base(config);
        sdk::HttpRequest req;
        req.method = "GET";
        req.url = url_for(config.api_base, "/api/tags");
        req.headers.emplace_back("Accept", "application/json");
        return req;
    }

    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override {
        if (response.status < 200 || response.status > 299) throw classify(response.status, response.body, config);
        std::optional<json::value> doc = try_parse(response.body);
        const json::object *o = doc ? doc->if_object() : nullptr;
        const json::array *models = o && o->if_contains("models") ? o->at("models").if_array() : nullptr;
        if (!models) throw api_base_incorrect(response.status, "no models array in the /api/tags response");
        std::vector<sdk::ModelEntry> out;
        for (const json::value &m : *models) {
            const json::object *mo = m.if_object();
            if (!mo) continue;
            std::string_view name = get_string(*mo, "name");
            if (name.empty()) name = get_string(*mo, "model");
            if (!name.empty()) out.push_back({std::string(name), std::string()});
        }
        return out;
    }

    const void *extension(const char *id) override { return sdk::embeddings_extension<OllamaEmbeddings>(id); }
};

}  // namespace ollama

SWITCHBOARD_EXPORT_PROVIDER(ollama::OllamaProvider)
