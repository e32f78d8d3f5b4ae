// Unified chat request -> Anthropic Messages API body. Anthropic rejects
// unknown fields (additionalProperties: false all the way down), so the body
// is built field by field; nothing from the client is copied wholesale.
#include "anthropic.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

namespace switchboard::anthropic {

namespace {

using kit::get_array;
using kit::get_object;
using kit::get_string;

std::optional<double> number(const json::value *v) {
    if (!v) return std::nullopt;
    if (v->is_double()) return v->get_double();
    if (v->is_int64()) return double(v->get_int64());
    if (v->is_uint64()) return double(v->get_uint64());
    return std::nullopt;
}

// Present and non-null; a wrong type is the client's error.
std::optional<int64_t> integer(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX)) return int64_t(v->get_uint64());
    if (v->is_double() && std::trunc(v->get_double()) == v->get_double() &&
        std::fabs(v->get_double()) < 9e15)
        return int64_t(v->get_double());
    throw sdk::invalid_request("\"" + std::string(key) + "\" must be an integer");
}

std::optional<double> optional_number(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    auto n = number(v);
    if (!n) throw sdk::invalid_request("\"" + std::string(key) + "\" must be a number");
    return n;
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    });
}

json::object text_block(std::string_view text, const json::object *part = nullptr) {
    json::object b;
    b["type"] = "text";
    b["text"] = text;
    // Prompt-caching clients mark parts the way Anthropic does; keep it.
    if (part)
        if (const json::object *cc = get_object(*part, "cache_control")) b["cache_control"] = *cc;
    return b;
}

// data:<media type>[;params];base64,<data>
bool split_data_url(std::string_view url, std::string &media_type, std::string &data) {
    if (url.substr(0, 5) != "data:") return false;
    size_t comma = url.find(',');
    if (comma == std::string_view::npos) return false;
    std::string_view meta = url.substr(5, comma - 5);
    size_t semi = meta.find(';');
    media_type = kit::lower(meta.substr(0, semi));
    if (semi == std::string_view::npos || meta.find(";base64") == std::string_view::npos) return false;
    data = std::string(url.substr(comma + 1));
    return true;
}

json::object image_block(const json::object &part) {
    std::string_view url;
    if (const json::value *iu = part.if_contains("image_url")) {
        if (iu->is_string()) url = iu->get_string();
        else if (const json::object *o = iu->if_object()) url = get_string(*o, "url");
    }
    json::object source;
    if (url.substr(0, 5) == "data:") {
        std::string media_type, data;
        if (!split_data_url(url, media_type, data))
            throw sdk::invalid_request("image data URLs must be base64 (data:<type>;base64,...)");
        if (media_type == "image/jpg") media_type = "image/jpeg";
        if (media_type != "image/jpeg" && media_type != "image/png" && media_type != "image/gif" &&
            media_type != "image/webp")
            throw sdk::invalid_request(std::string(kDisplayName) + " accepts image/jpeg, image/png, image/gif and "
                                       "image/webp images, not " + media_type);
        source["type"] = "base64";
        source["media_type"] = media_type;
        source["data"] = data;
    } else if (url.substr(0, 7) == "http://" || url.substr(0, 8) == "https://") {
        source["type"] = "url";
        source["url"] = url;
    } else {
        throw sdk::invalid_request("image_url.url must be a data: URL or an http(s) URL");
    }
    json::object b;
    b["type"] = "image";
    b["source"] = std::move(source);
    if (const json::object *cc = get_object(part, "cache_control")) b["cache_control"] = *cc;
    return b;
}

// OpenAI "file" parts carry PDFs as data URLs; Anthropic calls them documents.
json::object document_block(const json::object &part) {
    const json::object *file = get_object(part, "file");
    std::string_view data_url = file ? get_string(*file, "file_data") : std::string_view();
    std::string media_type, data;
    if (!split_data_url(data_url, media_type, data) || media_type != "application/pdf")
        throw sdk::invalid_request(std::string(kDisplayName) + " accepts file parts only as base64 PDF data "
                                   "(file.file_data = data:application/pdf;base64,...)");
    json::object b;
    b["type"] = "document";
    b["source"] = json::object{{"type", "base64"}, {"media_type", "application/pdf"}, {"data", data}};
    return b;
}

// User (and tool result) content: string or parts -> content blocks.
json::array content_blocks(const json::value *content, bool allow_files, std::string_view role) {
    json::array blocks;
    if (!content || content->is_null()) return blocks;
    if (content->is_string()) {
        if (!content->get_string().empty()) blocks.push_back(text_block(content->get_string()));
        return blocks;
    }
    const json::array *parts = content->if_array();
    if (!parts) throw sdk::invalid_request("message content must be a string or an array of parts");
    for (const json::value &pv : *parts) {
        const json::object *part = pv.if_object();
        if (!part) throw sdk::invalid_request("content parts must be objects");
        std::string_view type = get_string(*part, "type");
        if (type == "text" || type == "refusal") {
            std::string_view text = get_string(*part, type == "text" ? "text" : "refusal");
            // Anthropic rejects empty text blocks.
            if (!text.empty()) blocks.push_back(text_block(text, part));
        } else if (type == "image_url" && (role == "user" || role == "tool")) {
            blocks.push_back(image_block(*part));
        } else if (type == "file" && allow_files) {
            blocks.push_back(document_block(*part));
        } else {
            throw sdk::invalid_request("content part type \"" + std::string(type) +
                                       "\" is not supported by " + std::string(kDisplayName) + " in " + std::string(role) +
                                       " messages");
        }
    }
    return blocks;
}

json::object tool_use_block(const json::object &call) {
    const json::object *fn = get_object(call, "function");
    std::string_view id = get_string(call, "id");
    std::string_view name = fn ? get_string(*fn, "name") : std::string_view();
    if (id.empty() || name.empty())
        throw sdk::invalid_request("assistant tool_calls need an id and a function name");
    std::string_view args = fn ? get_string(*fn, "arguments") : std::string_view();
    json::object input;
    if (!is_blank(args)) {
        bool ok = false;
        json::value parsed = kit::try_parse(args, ok);
        if (!ok || !parsed.is_object())
            throw sdk::invalid_request("tool call " + std::string(id) +
                                       ": function.arguments must be a JSON object text, which " +
                                       std::string(kDisplayName) + " needs as the tool_use input");
        input = std::move(parsed.get_object());
    }
    json::object b;
    b["type"] = "tool_use";
    b["id"] = id;
    b["name"] = name;
    b["input"] = std::move(input);
    return b;
}

json::object tool_result_block(const json::object &msg) {
    std::string_view id = get_string(msg, "tool_call_id");
    if (id.empty()) throw sdk::invalid_request("tool messages need a tool_call_id");
    json::object b;
    b["type"] = "tool_result";
    b["tool_use_id"] = id;
    const json::value *content = msg.if_contains("content");
    if (content && content->is_string()) {
        if (!content->get_string().empty()) b["content"] = content->get_string();
    } else {
        json::array blocks = content_blocks(content, false, "tool");
        if (!blocks.empty()) b["content"] = std::move(blocks);
    }
    return b;
}

std::string joined_text(const json::array &blocks, std::string_view separator) {
    std::string text;
    for (const json::value &b : blocks) {
        if (!text.empty()) text += separator;
        text += get_string(b.as_object(), "text");
    }
    return text;
}

// A message-level cache_control (the form some OpenAI clients use for string
// content) marks the message's last block, which is what Anthropic caches up to.
void apply_message_cache_control(const json::object &msg, json::array &blocks) {
    const json::object *cc = get_object(msg, "cache_control");
    if (cc && !blocks.empty()) blocks.back().as_object()["cache_control"] = *cc;
}

// Assistant thinking_blocks, as this plugin returned them, back to the
// signed blocks Anthropic needs to continue a tool loop with thinking.
json::array thinking_blocks(const json::object &msg) {
    json::array out;
    const json::array *in = get_array(msg, "thinking_blocks");
    if (!in) return out;
    for (const json::value &bv : *in) {
        const json::object *b = bv.if_object();
        std::string_view type = b ? get_string(*b, "type") : std::string_view();
        if (type == "thinking") {
            out.push_back(json::object{{"type", "thinking"},
                                       {"thinking", get_string(*b, "thinking")},
                                       {"signature", get_string(*b, "signature")}});
        } else if (type == "redacted_thinking") {
            out.push_back(json::object{{"type", "redacted_thinking"}, {"data", get_string(*b, "data")}});
        } else {
            throw sdk::invalid_request("thinking_blocks entries must be {\"type\":\"thinking\","
                                       "\"thinking\",\"signature\"} or {\"type\":\"redacted_thinking\",\"data\"}");
        }
    }
    return out;
}

// response_format: a json_schema goes to output_config.format on the models
// with structured outputs (the schema is then enforced). json_object, and
// json_schema on older models (which 400 on output_config), become an
// instruction in the system prompt, which every Claude model follows.
struct ResponseFormat {
    std::string instruction;
    const json::value *schema = nullptr;  // for output_config.format
};

ResponseFormat response_format(const json::object &unified, const ModelTraits &traits) {
    const json::value *rf = unified.if_contains("response_format");
    if (!rf || rf->is_null()) return {};
    const json::object *o = rf->if_object();
    std::string_view type = o ? get_string(*o, "type") : std::string_view();
    const std::string base =
        "Respond only with a single valid JSON object, with no text before or after it and no "
        "code fences.";
    if (type == "text") return {};
    if (type == "json_object") return {base};
    if (type == "json_schema") {
        const json::object *js = get_object(*o, "json_schema");
        const json::value *schema = js ? js->if_contains("schema") : nullptr;
        if (!schema || !schema->is_object()) return {base};
        if (traits.structured_outputs) return {{}, schema};
        return {base + " The JSON object must conform to this JSON Schema: " + kit::to_json(*schema)};
    }
    throw sdk::invalid_request("response_format.type must be text, json_object or json_schema");
}

struct Turn {
    std::string role;
    json::array blocks;
};

// system collects the system and developer messages that open the
// conversation (one block array per message) for the top-level "system".
json::array build_messages(const json::array &in, std::vector<json::array> &system) {
    std::vector<Turn> turns;
    // Anthropic needs strictly alternating roles, so adjacent turns of the same
    // role (tool results then a user message, split user messages) merge.
    auto add = [&](std::string_view role, json::array blocks) {
        if (blocks.empty()) return;
        if (!turns.empty() && turns.back().role == role) {
            for (auto &b : blocks) turns.back().blocks.push_back(std::move(b));
        } else {
            turns.push_back(Turn{std::string(role), std::move(blocks)});
        }
    };
    for (const json::value &mv : in) {
        const json::object *m = &mv.as_object();  // the host checked each is an object
        std::string_view role = get_string(*m, "role");
        const json::value *content = m->if_contains("content");
        if (role == "system" || role == "developer") {
            // Text parts only; each keeps its cache_control.
            json::array blocks = content_blocks(content, false, role);
            apply_message_cache_control(*m, blocks);
            if (turns.empty()) {
                if (!blocks.empty()) system.push_back(std::move(blocks));
            } else if (!blocks.empty()) {
                // Later in the conversation it is an instruction given at that
                // point: it stays there, as a marked user turn, rather than
                // moving to the top-level system prompt ahead of everything.
                add("user", json::array{text_block("<system>\n" + joined_text(blocks, "\n") +
                                                   "\n</system>")});
            }
        } else if (role == "user") {
            json::array blocks = content_blocks(content, true, "user");
            apply_message_cache_control(*m, blocks);
            add("user", std::move(blocks));
        } else if (role == "assistant") {
            // Thinking comes first in an assistant turn, as Anthropic sent it.
            json::array blocks = thinking_blocks(*m);
            for (auto &b : content_blocks(content, false, "assistant")) blocks.push_back(std::move(b));
            if (const json::array *calls = get_array(*m, "tool_calls"))
                for (const json::value &cv : *calls)
                    if (const json::object *call = cv.if_object()) blocks.push_back(tool_use_block(*call));
            apply_message_cache_control(*m, blocks);
            add("assistant", std::move(blocks));
        } else if (role == "tool") {
            json::array blocks;
            blocks.push_back(tool_result_block(*m));
            apply_message_cache_control(*m, blocks);
            add("user", std::move(blocks));
        } else {
            throw sdk::invalid_request("message role \"" + std::string(role) +
                                       "\" is not supported by " + std::string(kDisplayName) + " (use system, user, "
                                       "assistant or tool)");
        }
    }
    json::array out;
    for (Turn &t : turns) {
        json::object msg;
        msg["role"] = t.role;
        // A lone plain text block reads better (and is smaller) as a string.
        if (t.blocks.size() == 1) {
            const json::object &b = t.blocks[0].as_object();
            if (get_string(b, "type") == "text" && b.size() == 2) {
                msg["content"] = b.at("text");
                out.push_back(std::move(msg));
                continue;
            }
        }
        msg["content"] = std::move(t.blocks);
        out.push_back(std::move(msg));
    }
    return out;
}

json::array build_tools(const json::array &in, bool strict_ok) {
    json::array out;
    for (const json::value &tv : in) {
        const json::object *t = tv.if_object();
        if (!t) throw sdk::invalid_request("tools must be objects");
        std::string_view type = get_string(*t, "type");
        const json::object *fn = get_object(*t, "function");
        if ((!type.empty() && type != "function") || !fn)
            throw sdk::invalid_request(std::string(kDisplayName) + " supports only function tools");
        std::string_view name = get_string(*fn, "name");
        if (name.empty()) throw sdk::invalid_request("every tool needs a function name");
        json::object tool;
        tool["name"] = name;
        if (auto d = get_string(*fn, "description"); !d.empty()) tool["description"] = d;
        json::object schema;
        if (const json::object *p = get_object(*fn, "parameters")) schema = *p;
        // input_schema must be an object schema; OpenAI allows leaving it out.
        if (!schema.contains("type")) schema["type"] = "object";
        if (get_string(schema, "type") == "object" && !schema.contains("properties"))
            schema["properties"] = json::object();
        tool["input_schema"] = std::move(schema);
        // strict (structured outputs) exists on the models that have them;
        // older ones refuse the field.
        if (const json::value *st = fn->if_contains("strict"); st && st->is_bool() && strict_ok)
            tool["strict"] = st->get_bool();
        // cache_control on the tool (or its function) marks a cache breakpoint.
        const json::object *cc = get_object(*t, "cache_control");
        if (!cc) cc = get_object(*fn, "cache_control");
        if (cc) tool["cache_control"] = *cc;
        out.push_back(std::move(tool));
    }
    return out;
}

json::object build_tool_choice(const json::value *choice) {
    if (!choice || choice->is_null()) return json::object{{"type", "auto"}};
    if (choice->is_string()) {
        std::string_view s = choice->get_string();
        if (s == "auto") return json::object{{"type", "auto"}};
        if (s == "none") return json::object{{"type", "none"}};
        if (s == "required") return json::object{{"type", "any"}};
    } else if (const json::object *o = choice->if_object()) {
        const json::object *fn = get_object(*o, "function");
        std::string_view name = fn ? get_string(*fn, "name") : std::string_view();
        if (get_string(*o, "type") == "function" && !name.empty())
            return json::object{{"type", "tool"}, {"name", name}};
    }
    throw sdk::invalid_request(
        "tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}");
}

}  // namespace

json::object translate_request(const json::object &unified, std::string_view model, bool stream) {
    const ModelTraits traits = model_traits(model);
    json::object out;
    out["model"] = model;

    std::vector<json::array> system;
    json::array messages = build_messages(kit::messages(unified), system);
    ResponseFormat rf = response_format(unified, traits);
    if (!rf.instruction.empty()) system.push_back(json::array{text_block(rf.instruction)});

    int64_t max_tokens = kDefaultMaxTokens;
    bool max_tokens_given = true;
    if (auto m = integer(unified, "max_completion_tokens")) max_tokens = *m;
    else if (auto m2 = integer(unified, "max_tokens")) max_tokens = *m2;
    else max_tokens_given = false;
    if (max_tokens < 1) throw sdk::invalid_request("max_tokens must be at least 1");
    const bool thinking = apply_thinking(unified, traits, max_tokens_given, max_tokens, out);
    out["max_tokens"] = max_tokens;
    out["messages"] = std::move(messages);

    if (!system.empty()) {
        bool cached = false;
        for (const auto &blocks : system)
            for (const auto &b : blocks) cached = cached || b.as_object().contains("cache_control");
        if (cached) {
            // A cache breakpoint needs the block form.
            json::array flat;
            for (auto &blocks : system)
                for (auto &b : blocks) flat.push_back(std::move(b));
            out["system"] = std::move(flat);
        } else {
            std::string joined;
            for (const auto &blocks : system) {
                if (!joined.empty()) joined += "\n\n";
                joined += joined_text(blocks, "\n");
            }
            out["system"] = joined;
        }
    }
    if (rf.schema) {
        json::value &oc = out["output_config"];
        if (!oc.is_object()) oc.emplace_object();
        oc.as_object()["format"] = json::object{{"type", "json_schema"}, {"schema", *rf.schema}};
    }
    if (const json::object *cc = get_object(unified, "cache_control")) out["cache_control"] = *cc;

    if (auto n = integer(unified, "n"); n && *n != 1)
        throw sdk::invalid_request(std::string(kDisplayName) + " returns a single choice: n must be 1");

    // OpenAI's range is 0..2, Anthropic's 0..1 (it 400s above): clamp rather
    // than fail a request most clients send with OpenAI habits. Current
    // models refuse temperature and top_p together: temperature wins. With
    // thinking on, Anthropic refuses any sampling setting but its defaults,
    // so none is sent.
    auto temperature = optional_number(unified, "temperature");
    auto top_p = optional_number(unified, "top_p");
    auto top_k = integer(unified, "top_k");
    if (!thinking) {
        if (temperature) out["temperature"] = std::clamp(*temperature, 0.0, 1.0);
        else if (top_p) out["top_p"] = *top_p;
        if (top_k) out["top_k"] = *top_k;
    }

    if (const json::value *stop = unified.if_contains("stop"); stop && !stop->is_null()) {
        json::array seqs;
        // Anthropic refuses whitespace-only stop sequences.
        auto add = [&](const json::value &s) {
            if (!s.is_string()) throw sdk::invalid_request("\"stop\" must be a string or an array of strings");
            if (!is_blank(s.get_string())) seqs.push_back(s);
        };
        if (const json::array *a = stop->if_array()) for (const auto &s : *a) add(s);
        else add(*stop);
        if (!seqs.empty()) out["stop_sequences"] = std::move(seqs);
    }

    if (auto user = get_string(unified, "user"); !user.empty())
        out["metadata"] = json::object{{"user_id", user}};

    const json::array *tools = get_array(unified, "tools");
    if (tools && !tools->empty()) {
        out["tools"] = build_tools(*tools, traits.structured_outputs);
        const json::value *choice = unified.if_contains("tool_choice");
        const json::value *parallel = unified.if_contains("parallel_tool_calls");
        bool no_parallel = parallel && parallel->is_bool() && !parallel->get_bool();
        if ((choice && !choice->is_null()) || no_parallel) {
            json::object tc = build_tool_choice(choice);
            std::string_view forced = get_string(tc, "type");
            if (thinking && (forced == "any" || forced == "tool"))
                throw sdk::invalid_request(
                    "tool_choice \"required\" or a named function cannot be combined with thinking "
                    "(reasoning_effort or thinking) on " + std::string(kDisplayName) + ": use tool_choice \"auto\" or turn "
                    "thinking off");
            if (no_parallel && get_string(tc, "type") != "none") tc["disable_parallel_tool_use"] = true;
            out["tool_choice"] = std::move(tc);
        }
    }
    // tool_choice without tools is meaningless and Anthropic rejects it: dropped.

    if (stream) out["stream"] = true;
    return out;
}

void add_version(sdk::HttpRequest &req, std::string_view version) {
    req.headers.emplace_back("anthropic-version", std::string(version.empty() ? kApiVersion : version));
}

sdk::HttpRequest Provider::build_chat_request(const sdk::Config &config, std::string_view body_json, bool stream) {
    json::object unified = kit::unified_request(body_json);
    sdk::HttpRequest req;
    req.method = "POST";
    req.url = kit::join_url(config.api_base, "messages");
    kit::add_json_headers(req, stream);
    add_version(req);
    req.body = kit::to_json(translate_request(unified, config.model, stream));
    return req;
}

std::optional<sdk::HttpRequest> Provider::build_models_request(const sdk::Config &config) {
    sdk::HttpRequest req;
    req.method = "GET";
    // One page of up to 1000 covers every model Anthropic offers.
    req.url = kit::join_url(config.api_base, "models") + "?limit=1000";
    req.headers.emplace_back("Accept", "application/json");
    add_version(req);
    return req;
}

}  // namespace switchboard::anthropic
