// Together AI provider plugin. Together speaks the OpenAI chat-completions
// format, but its schema is narrower (string-only system/tool content,
// "stop" only as an array, integer "logprobs", tool calls with an "index",
// no stream_options) and its answers say "eos" where OpenAI says "stop". The
// request is rebuilt from an allow-list of Together's request fields and the
// answers are normalized to the unified shape.
#include "together_lifecycle.hpp"
#include <switchboard/kit/openai_compat.hpp>
#include <switchboard/kit/openai_normalize.hpp>

#include <array>

namespace {

namespace json = boost::json;
namespace kit = switchboard::kit;
namespace sdk = switchboard::sdk;
using switchboard::sdk::to_sb;

// ChatCompletionRequest properties of Together's spec passed through as is;
// everything else is mapped below or dropped.
constexpr std::array<std::string_view, 21> kPassThrough = {
    "model",          "max_tokens",         "temperature",
    "top_p",          "top_k",              "context_length_exceeded_behavior",
    "repetition_penalty", "echo",           "n",
    "min_p",          "presence_penalty",   "frequency_penalty",
    "logit_bias",     "seed",               "function_call",
    "response_format", "compliance",        "chat_template_kwargs",
    "safety_model",   "reasoning_effort",   "reasoning",
};

bool passes_through(std::string_view key) {
    for (std::string_view k : kPassThrough)
        if (k == key) return true;
    return false;
}

json::value text_or_null(const json::value *content) {
    if (!content || content->is_null()) return nullptr;
    return json::string(kit::content_text(*content));
}

json::object user_part(const json::object &part) {
    std::string_view type = kit::get_string(part, "type");
    if (type == "text") return {{"type", "text"}, {"text", kit::get_string(part, "text")}};
    if (type == "image_url") {
        // Together's image part has only "url" ("detail" is OpenAI's).
        const json::value *iu = part.if_contains("image_url");
        std::string_view url = iu && iu->is_string() ? std::string_view(iu->get_string())
                               : iu && iu->is_object() ? kit::get_string(iu->get_object(), "url")
                                                       : std::string_view();
        return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
    }
    return part;  // video_url, audio_url, input_audio: Together takes OpenAI's shapes
}

json::object translate_message(const json::object &m) {
    std::string_view role = kit::get_string(m, "role");
    json::object out;
    const json::value *content = m.if_contains("content");
    if (role == "system" || role == "developer") {
        out["role"] = "system";
        out["content"] = content ? kit::content_text(*content) : std::string();
    } else if (role == "user") {
        out["role"] = "user";
        if (content && content->is_array()) {
            json::array parts;
            for (const json::value &p : content->get_array())
                if (const json::object *po = p.if_object()) parts.push_back(user_part(*po));
            out["content"] = std::move(parts);
        } else {
            out["content"] = content && content->is_string() ? *content : json::value(json::string());
        }
    } else if (role == "assistant") {
        out["role"] = "assistant";
        out["content"] = text_or_null(content);
        if (const json::array *calls = kit::get_array(m, "tool_calls"); calls && !calls->empty()) {
            json::array tc;
            int64_t i = 0;
            for (const json::value &c : *calls) {
                const json::object *co = c.if_object();
                if (!co) continue;
                const json::object *fn = kit::get_object(*co, "function");
                json::object f{{"name", fn ? kit::get_string(*fn, "name") : std::string_view()}};
                const json::value *args = fn ? fn->if_contains("arguments") : nullptr;
                f["arguments"] = args && args->is_string() ? *args
                                 : args && !args->is_null() ? json::value(json::string(json::serialize(*args)))
                                                            : json::value(json::string("{}"));
                tc.push_back(json::object{{"index", i++},
                                          {"id", kit::get_string(*co, "id")},
                                          {"type", "function"},
                                          {"function", std::move(f)}});
            }
            out["tool_calls"] = std::move(tc);
        }
        if (const json::value *fc = m.if_contains("function_call"); fc && fc->is_object()) out["function_call"] = *fc;
    } else if (role == "tool") {
        out["role"] = "tool";
        out["content"] = content ? kit::content_text(*content) : std::string();
        out["tool_call_id"] = kit::get_string(m, "tool_call_id");
    } else if (role == "function") {
        out["role"] = "function";
        out["content"] = content ? kit::content_text(*content) : std::string();
    } else {
        throw sdk::invalid_request("Together AI does not accept messages with role \"" + std::string(role) + "\"");
    }
    if (std::string_view name = kit::get_string(m, "name"); !name.empty()) out["name"] = name;
    return out;
}

json::object translate_tool(const json::object &t) {
    const json::object *fn = kit::get_object(t, "function");
    if (kit::get_string(t, "type") != "function" || !fn)
        throw sdk::invalid_request("Together AI supports only function tools");
    json::object f{{"name", kit::get_string(*fn, "name")}};
    if (const json::value *d = fn->if_contains("description"); d && d->is_string()) f["description"] = *d;
    const json::value *p = fn->if_contains("parameters");
    f["parameters"] = p && p->is_object() ? *p : json::value(json::object{{"type", "object"}, {"properties", json::object()}});
    return {{"type", "function"}, {"function", std::move(f)}};
}

// The unified request rewritten into Together's ChatCompletionRequest.
json::object translate_request(const json::object &in) {
    json::object out;
    for (const auto &kv : in) {
        std::string_view k = kv.key();
        const json::value &v = kv.value();
        if (v.is_null()) continue;
        if (passes_through(k)) {
            out[k] = v;
        } else if (k == "messages") {
            json::array msgs;
            for (const json::value &m : v.get_array()) {
                if (!m.is_object()) throw sdk::invalid_request("every message must be an object");
                msgs.push_back(translate_message(m.get_object()));
            }
            out["messages"] = std::move(msgs);
        } else if (k == "stop") {
            out["stop"] = v.is_string() ? json::value(json::array{v}) : v;
        } else if (k == "tools" && v.is_array()) {
            json::array tools;
            for (const json::value &t : v.get_array())
                if (const json::object *to = t.if_object()) tools.push_back(translate_tool(*to));
            out["tools"] = std::move(tools);
        } else if (k == "tool_choice") {
            if (v.is_object()) {
                // Together's docs and SDK name a function as OpenAI does,
                // {"type":"function","function":{"name"}}; its OpenAPI schema
                // describes a whole tool call instead, which the SDK never sends.
                const json::object *fn = kit::get_object(v.get_object(), "function");
                std::string_view name = fn ? kit::get_string(*fn, "name") : std::string_view();
                if (name.empty()) throw sdk::invalid_request("tool_choice needs function.name");
                out["tool_choice"] = json::object{{"type", "function"}, {"function", {{"name", name}}}};
            } else {
                out["tool_choice"] = v;
            }
        } else if (k == "logprobs") {
            // OpenAI: boolean + top_logprobs; Together: the top-k count itself.
            if (v.is_bool() && v.get_bool()) {
                const json::value *top = in.if_contains("top_logprobs");
                out["logprobs"] = top && top->is_int64() && top->get_int64() > 0 ? top->get_int64() : 1;
            } else if (v.is_int64()) {
                out["logprobs"] = v;
            }
        }
    }
    if (!out.contains("max_tokens"))
        if (const json::value *mct = in.if_contains("max_completion_tokens"); mct && mct->is_number())
            out["max_tokens"] = *mct;
    return out;
}

class TogetherProvider final : public kit::OpenAICompatibleProvider {
public:
    // What the vendor announced of retired and deprecated models.
    const void *extension(const char *id) override {
        return ::switchboard::kit::lifecycle_extension(id, ::sb_together::kModelLifecycle);
    }

    TogetherProvider()
        : OpenAICompatibleProvider({.id = "together",
                                    .display_name = "Together AI",
                                    .env_api_key = "TOGETHER_API_KEY",
                                    .env_model = "TOGETHER_MODEL",
                                    .env_api_base = "TOGETHER_API_BASE",
                                    .requires_api_key = true,
                                    // Together's stream ends with a usage chunk
                                    // on its own; it has no stream_options.
                                    .stream_include_usage = false}) {}

    sdk::HttpRequest build_chat_request(const sdk::Config &config, std::string_view body_json,
                                        bool stream) override {
        json::object body = translate_request(kit::parse_chat_request(body_json));
        return compat_.build_chat_request(config, json::serialize(body), stream);
    }

    std::string parse_chat_response(const sdk::Config &config, const sdk::HttpResponse &response) override {
        compat_.parse_chat_response(config, response);  // classifies errors, checks the shape
        bool ok = false;
        json::value v = kit::try_parse(response.body, ok);
        kit::normalize_chat_completion(v.as_object(), response.status, "Together AI");
        return json::serialize(v);
    }

    std::unique_ptr<sdk::Stream> open_stream(const sdk::Config &config, std::string_view) override {
        return std::make_unique<kit::NormalizingStream>("Together AI", std::string(config.model),
                                                        std::string(config.api_key));
    }

    // GET /models answers a bare array of every model Together hosts
    // (chat, image, embedding, ...); only chat models can serve this API.
    std::vector<sdk::ModelEntry> parse_models_response(const sdk::Config &config,
                                                       const sdk::HttpResponse &response) override {
        if (!kit::is_2xx(response.status))
            return compat_.parse_models_response(config, response);  // throws the classified error
        bool ok = false;
        json::value v = kit::try_parse(response.body, ok);
        if (!ok) throw kit::api_base_incorrect(response.status, "model list is not JSON");
        const json::array *list = v.if_array();
        if (!list)
            if (const json::object *o = v.if_object()) list = kit::get_array(*o, "data");
        if (!list) throw kit::api_base_incorrect(response.status, "model list is not an array");
        std::vector<sdk::ModelEntry> out;
        for (const json::value &m : *list) {
            const json::object *mo = m.if_object();
            if (!mo) continue;
            std::string_view id = kit::get_string(*mo, "id");
            const json::value *type = mo->if_contains("type");
            if (id.empty() || (type && type->is_string() && type->get_string() != "chat")) continue;
            out.push_back({std::string(id), std::string(kit::get_string(*mo, "display_name"))});
        }
        return out;
    }

    static const sb_provider_descriptor &descriptor() {
        static const sb_str models[] = {
            to_sb("meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"),
            to_sb("meta-llama/Llama-3.3-70B-Instruct-Turbo"),
            to_sb("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
            to_sb("meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"),
            to_sb("meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo"),
            to_sb("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"),
            to_sb("meta-llama/Llama-4-Scout-17B-16E-Instruct"),
            to_sb("meta-llama/Llama-Vision-Free"),
            to_sb("deepseek-ai/DeepSeek-V3"),
            to_sb("deepseek-ai/DeepSeek-R1"),
            to_sb("Qwen/Qwen2.5-72B-Instruct-Turbo"),
            to_sb("Qwen/Qwen2.5-7B-Instruct-Turbo"),
            to_sb("Qwen/Qwen2.5-Coder-32B-Instruct"),
            to_sb("mistralai/Mixtral-8x7B-Instruct-v0.1"),
            to_sb("mistralai/Mistral-7B-Instruct-v0.3"),
            to_sb("google/gemma-2-27b-it"),
        };
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor),
            to_sb("together"),
            to_sb("Together AI"),
            to_sb("1.0.0"),
            to_sb("meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"),
            to_sb("https://api.together.xyz/v1"),
            to_sb("TOGETHER_API_KEY"),
            to_sb("TOGETHER_MODEL"),
            to_sb("TOGETHER_API_BASE"),
            SB_CAP_STREAMING | SB_CAP_TOOLS | SB_CAP_VISION | SB_CAP_MODEL_LISTING |
                SB_CAP_REQUIRES_API_KEY,
            SB_FRAMING_SSE,
            models,
            sizeof(models) / sizeof(models[0]),
        };
        return d;
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(TogetherProvider)
