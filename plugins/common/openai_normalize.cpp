#include <switchboard/kit/openai_normalize.hpp>

namespace switchboard::kit {

namespace {

int64_t as_int(const json::value *v, int64_t fallback) { return json_count(v, fallback); }

void normalize_finish(json::object &choice, std::string_view provider_name, int http_status) {
    json::value *fr = choice.if_contains("finish_reason");
    if (fr && fr->is_string()) {
        if (is_error_finish(fr->get_string())) throw failed_generation(provider_name, fr->get_string(), http_status);
        *fr = json::string(openai_finish_reason(fr->get_string()));
    } else {
        choice["finish_reason"] = nullptr;
    }
}

// Appends the thinking text of a content part array to reasoning (the
// message's or the delta's "reasoning_content").
void add_reasoning(json::object &target, const json::value &content) {
    std::string thinking = reasoning_text(content);
    if (thinking.empty()) return;
    json::value &r = target["reasoning_content"];
    if (r.is_string()) r.get_string().append(thinking);
    else r = json::string(thinking);
}

}  // namespace

void normalize_usage(json::object &usage) {
    int64_t p = as_int(usage.if_contains("prompt_tokens"), 0);
    int64_t c = as_int(usage.if_contains("completion_tokens"), 0);
    usage["prompt_tokens"] = p;
    usage["completion_tokens"] = c;
    if (!usage.contains("total_tokens")) usage["total_tokens"] = p + c;
    // Cached prompt tokens under vendor names (Mistral's num_cached_tokens,
    // Together's cached_tokens) move to OpenAI's place for them.
    for (std::string_view key : {"num_cached_tokens", "cached_tokens"}) {
        const json::value *n = usage.if_contains(key);
        if (!n || !n->is_number()) continue;
        int64_t cached = as_int(n, 0);
        usage.erase(key);
        json::value &details = usage["prompt_tokens_details"];
        if (!details.is_object()) details = json::object();
        if (!details.get_object().contains("cached_tokens")) details.get_object()["cached_tokens"] = cached;
    }
}

bool is_one_of(std::string_view key, std::span<const std::string_view> names) {
    for (std::string_view n : names)
        if (n == key) return true;
    return false;
}

json::object function_tool(const json::object &tool, std::string_view provider_name, bool keep_strict) {
    const json::object *fn = get_object(tool, "function");
    if (get_string(tool, "type") != "function" || !fn)
        throw sdk::invalid_request(std::string(provider_name) + " supports only function tools");
    json::object f{{"name", get_string(*fn, "name")}};
    if (const json::value *d = fn->if_contains("description"); d && d->is_string()) f["description"] = *d;
    const json::object *p = get_object(*fn, "parameters");
    f["parameters"] = p ? json::value(*p) : json::value(json::object{{"type", "object"}, {"properties", json::object()}});
    if (const json::value *s = fn->if_contains("strict"); keep_strict && s && s->is_bool()) f["strict"] = *s;
    return {{"type", "function"}, {"function", std::move(f)}};
}

json::array function_tools(const json::value &tools, std::string_view provider_name, bool keep_strict) {
    json::array out;
    if (const json::array *a = tools.if_array())
        for (const json::value &t : *a)
            if (const json::object *to = t.if_object()) out.push_back(function_tool(*to, provider_name, keep_strict));
    return out;
}

void completion_limit_as_max_tokens(const json::object &unified, json::object &vendor) {
    if (vendor.contains("max_tokens")) return;
    if (const json::value *mct = unified.if_contains("max_completion_tokens"); mct && mct->is_number())
        vendor["max_tokens"] = *mct;
}

bool is_error_finish(std::string_view r) { return r == "error"; }

std::string_view openai_finish_reason(std::string_view r) {
    if (r == "stop" || r == "length" || r == "tool_calls" || r == "content_filter") return r;
    if (r == "model_length" || r == "max_tokens") return "length";
    if (r == "function_call" || r == "tool_use") return "tool_calls";
    return "stop";  // eos, end_turn, stop_sequence, vendor novelties ("error": is_error_finish)
}

std::string content_text(const json::value &content) {
    if (content.is_string()) return std::string(content.get_string());
    std::string text;
    if (const json::array *parts = content.if_array())
        for (const json::value &p : *parts)
            if (const json::object *po = p.if_object(); po && get_string(*po, "type") == "text")
                text += get_string(*po, "text");
    return text;
}

std::string reasoning_text(const json::value &content) {
    std::string text;
    const json::array *parts = content.if_array();
    if (!parts) return text;
    for (const json::value &p : *parts) {
        const json::object *po = p.if_object();
        if (!po || get_string(*po, "type") != "thinking") continue;
        if (const json::value *t = po->if_contains("thinking")) {
            if (t->is_string()) text += t->get_string();
            else text += content_text(*t);
        }
    }
    return text;
}

void normalize_tool_call(json::object &call) {
    if (!call.contains("type")) call["type"] = "function";
    if (json::value *fn = call.if_contains("function"); fn && fn->is_object()) {
        json::value *args = fn->get_object().if_contains("arguments");
        if (args && !args->is_string() && !args->is_null()) *args = json::string(json::serialize(*args));
    }
}

void normalize_chat_completion(json::object &completion, int http_status, std::string_view provider_name) {
    if (!completion.contains("choices") || !completion.at("choices").is_array())
        throw api_base_incorrect(http_status, "no \"choices\" array");
    completion["object"] = "chat.completion";
    // Looked up after the insert above, which may move the object's storage.
    json::value *choices = completion.if_contains("choices");
    for (json::value &c : choices->get_array()) {
        json::object *co = c.if_object();
        if (!co) continue;
        normalize_finish(*co, provider_name, http_status);
        json::value *msg = co->if_contains("message");
        if (!msg || !msg->is_object()) continue;
        json::object &m = msg->get_object();
        if (json::value *content = m.if_contains("content"); content && content->is_array()) {
            json::value parts = std::move(*content);
            m["content"] = json::string(content_text(parts));
            add_reasoning(m, parts);
        }
        if (json::value *r = m.if_contains("reasoning"); r && r->is_string()) {
            // Together's name for it; OpenAI-compatible clients read reasoning_content.
            json::string text = std::move(r->get_string());
            m.erase("reasoning");
            if (!m.contains("reasoning_content")) m["reasoning_content"] = std::move(text);
        }
        if (!m.contains("content")) m["content"] = nullptr;
        json::value *calls = m.if_contains("tool_calls");
        if (calls && calls->is_array() && !calls->get_array().empty()) {
            for (json::value &call : calls->get_array())
                if (json::object *o = call.if_object()) normalize_tool_call(*o);
        } else if (calls) {
            m.erase("tool_calls");  // null / [] confuse clients that test presence
        }
    }
    if (json::value *u = completion.if_contains("usage"); u && u->is_object()) normalize_usage(u->get_object());
}

void NormalizingStream::on_chunk(json::object &vendor_chunk, std::string_view /*as_received*/,
                                 const sdk::ChunkWriter &out) {
    json::object *o = &vendor_chunk;
    json::value usage = nullptr;
    if (json::value *u = o->if_contains("usage"); u && u->is_object()) {
        normalize_usage(u->get_object());
        usage = std::move(*u);
    }
    o->erase("usage");

    json::array choices;
    if (json::array *in = get_array(*o, "choices") ? &(*o)["choices"].get_array() : nullptr) {
        int64_t pos = 0;
        for (json::value &c : *in) {
            json::object *co = c.if_object();
            if (!co) continue;
            int64_t index = as_int(co->if_contains("index"), pos++);
            json::object choice;
            choice["index"] = index;
            json::object delta;
            if (json::value *d = co->if_contains("delta"); d && d->is_object()) {
                for (auto &kv : d->get_object()) {
                    std::string_view k = kv.key();
                    if (k == "content") {
                        if (kv.value().is_array()) {
                            // Mistral streams thinking as content parts.
                            if (std::string text = content_text(kv.value()); !text.empty()) delta["content"] = text;
                            add_reasoning(delta, kv.value());
                        } else {
                            delta["content"] = kv.value();
                        }
                    } else if (k == "tool_calls") {
                        if (!kv.value().is_array() || kv.value().get_array().empty()) continue;
                        json::array calls;
                        auto &ids = tool_index_[index];
                        for (json::value &tc : kv.value().get_array()) {
                            json::object *t = tc.if_object();
                            if (!t) continue;
                            std::string id(get_string(*t, "id"));
                            int64_t ti;
                            if (const json::value *iv = t->if_contains("index"); iv && iv->is_number()) {
                                ti = as_int(iv, 0);
                                if (!id.empty()) ids.emplace(id, ti);
                            } else if (!id.empty()) {
                                // Vendors without "index" (Mistral) send each call
                                // whole or keyed by id: number them by first sight.
                                auto it = ids.find(id);
                                ti = it != ids.end() ? it->second
                                                     : ids.emplace(id, static_cast<int64_t>(ids.size())).first->second;
                            } else {
                                ti = last_tool_index_.count(index) ? last_tool_index_[index] : 0;
                            }
                            last_tool_index_[index] = ti;
                            json::object call;
                            call["index"] = ti;
                            if (!id.empty()) {
                                call["id"] = id;
                                call["type"] = "function";
                            }
                            if (json::value *fn = t->if_contains("function"); fn && fn->is_object()) {
                                json::object f;
                                for (auto &fkv : fn->get_object()) {
                                    if (fkv.key() == "arguments" && !fkv.value().is_string() && !fkv.value().is_null())
                                        f["arguments"] = json::serialize(fkv.value());
                                    else if (!fkv.value().is_null())
                                        f[fkv.key()] = fkv.value();
                                }
                                call["function"] = std::move(f);
                            }
                            calls.push_back(std::move(call));
                        }
                        delta["tool_calls"] = std::move(calls);
                    } else if (k == "reasoning" || k == "reasoning_content") {
                        if (kv.value().is_string()) {
                            json::value &r = delta["reasoning_content"];
                            if (r.is_string()) r.get_string().append(kv.value().get_string());
                            else r = kv.value();
                        }
                    } else if (k == "role" || k == "refusal") {
                        if (!kv.value().is_null()) delta[k] = kv.value();
                    }
                }
            }
            choice["delta"] = std::move(delta);
            if (json::value *lp = co->if_contains("logprobs"); lp && !lp->is_null()) choice["logprobs"] = *lp;
            else choice["logprobs"] = nullptr;
            json::value *fr = co->if_contains("finish_reason");
            if (fr && fr->is_string() && is_error_finish(fr->get_string()))
                throw failed_generation(provider_name(), fr->get_string(), 0);
            choice["finish_reason"] = fr && fr->is_string() ? json::value(json::string(openai_finish_reason(fr->get_string())))
                                                            : json::value(nullptr);
            choices.push_back(std::move(choice));
        }
    }

    if (!choices.empty()) {
        json::object chunk = header().chunk();
        if (const json::value *fp = o->if_contains("system_fingerprint"); fp && fp->is_string())
            chunk["system_fingerprint"] = *fp;
        chunk["choices"] = std::move(choices);
        emit_chunk(out, chunk);
    }
    if (usage.is_object()) emit_usage(out, std::move(usage));
}

}  // namespace switchboard::kit
