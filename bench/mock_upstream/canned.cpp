#include "canned.hpp"

#include <cstdio>

namespace sb::mock {

namespace {

constexpr unsigned kPromptTokens = 10;
constexpr std::string_view kModel = "mock-model";

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string status_line(int status) {
    switch (status) {
    case 200: return "HTTP/1.1 200 OK\r\n";
    case 400: return "HTTP/1.1 400 Bad Request\r\n";
    case 404: return "HTTP/1.1 404 Not Found\r\n";
    case 413: return "HTTP/1.1 413 Content Too Large\r\n";
    case 429: return "HTTP/1.1 429 Too Many Requests\r\n";
    case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\n";
    default: return "HTTP/1.1 500 Internal Server Error\r\n";
    }
}

CannedReply render_reply(int status, std::string_view content_type, std::string_view body,
                         std::string_view extra_headers = {}) {
    std::string head = status_line(status);
    head += "Content-Type: ";
    head += content_type;
    head += "\r\n";
    head += extra_headers;
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    CannedReply reply;
    reply.keep_alive = head + "\r\n" + std::string(body);
    reply.close = head + "Connection: close\r\n\r\n" + std::string(body);
    return reply;
}

CannedReply render_json(int status, std::string_view body, std::string_view extra_headers = {}) {
    return render_reply(status, "application/json", body, extra_headers);
}

CannedReply render_stream_head() {
    const std::string head = status_line(200) +
                             "Content-Type: text/event-stream\r\n"
                             "Cache-Control: no-cache\r\n"
                             "Transfer-Encoding: chunked\r\n";
    return {head + "\r\n", head + "Connection: close\r\n\r\n"};
}

// One SSE event framed as one HTTP chunk.
std::string as_chunk(std::string_view event) {
    char size[32];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", event.size());
    std::string out(size, static_cast<std::size_t>(n));
    out += event;
    out += "\r\n";
    return out;
}

std::string data_event(std::string_view json) { return as_chunk("data: " + std::string(json) + "\n\n"); }

std::string named_event(std::string_view name, std::string_view json) {
    return as_chunk("event: " + std::string(name) + "\ndata: " + std::string(json) + "\n\n");
}

constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Text of one content chunk: a repeated " tok" cut to the requested size, so
// it never needs JSON escaping.
std::string chunk_text(unsigned bytes) {
    constexpr std::string_view pattern = " tok";
    std::string text;
    text.reserve(bytes);
    for (unsigned i = 0; i < bytes; ++i) text += pattern[i % pattern.size()];
    return text;
}

struct Texts {
    std::string chunk;  // one stream content chunk
    std::string whole;  // the non-streaming answer: all chunks joined
    unsigned output_tokens;
};

Dialect render_openai(const Texts &t) {
    const std::string id = "\"id\":\"chatcmpl-mock\",\"created\":1770000000,\"model\":\"" + std::string(kModel) + "\"";
    const std::string usage = "{\"prompt_tokens\":" + std::to_string(kPromptTokens) +
                              ",\"completion_tokens\":" + std::to_string(t.output_tokens) +
                              ",\"total_tokens\":" + std::to_string(kPromptTokens + t.output_tokens) + "}";
    Dialect d;
    d.reply = render_json(200, "{" + id + ",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                                          "{\"role\":\"assistant\",\"content\":\"" +
                                   t.whole + "\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":" +
                                   usage + "}");
    const std::string chunk_prefix = "{" + id + ",\"object\":\"chat.completion.chunk\",\"choices\":";
    d.stream.head = render_stream_head();
    d.stream.prologue = data_event(chunk_prefix +
                                   "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                                   "\"logprobs\":null,\"finish_reason\":null}]}");
    d.stream.content = data_event(chunk_prefix + "[{\"index\":0,\"delta\":{\"content\":\"" + t.chunk +
                                  "\"},\"logprobs\":null,\"finish_reason\":null}]}");
    const std::string closing =
        data_event(chunk_prefix + "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}") +
        data_event(chunk_prefix + "[],\"usage\":" + usage + "}") + data_event("[DONE]") + std::string(kLastChunk);
    d.stream.last = d.stream.content + closing;
    d.stream.empty_end = closing;
    return d;
}

Dialect render_anthropic(const Texts &t) {
    const std::string out_tokens = std::to_string(t.output_tokens);
    Dialect d;
    d.reply = render_json(200, "{\"id\":\"msg_mock\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" +
                                   std::string(kModel) + "\",\"content\":[{\"type\":\"text\",\"text\":\"" + t.whole +
                                   "\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{"
                                   "\"input_tokens\":" +
                                   std::to_string(kPromptTokens) + ",\"output_tokens\":" + out_tokens + "}}");
    d.stream.head = render_stream_head();
    d.stream.prologue =
        named_event("message_start",
                    "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock\",\"type\":\"message\","
                    "\"role\":\"assistant\",\"model\":\"" +
                        std::string(kModel) +
                        "\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{"
                        "\"input_tokens\":" +
                        std::to_string(kPromptTokens) + ",\"output_tokens\":1}}}") +
        named_event("content_block_start",
                    "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
    d.stream.content = named_event("content_block_delta",
                                   "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                                   "\"text\":\"" +
                                       t.chunk + "\"}}");
    const std::string closing =
        named_event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
        named_event("message_delta",
                    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                    "\"usage\":{\"output_tokens\":" +
                        out_tokens + "}}") +
        named_event("message_stop", "{\"type\":\"message_stop\"}") + std::string(kLastChunk);
    d.stream.last = d.stream.content + closing;
    d.stream.empty_end = closing;
    return d;
}

std::string gemini_response(std::string_view text, bool finished, unsigned output_tokens) {
    std::string json = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"" + std::string(text) +
                       "\"}],\"role\":\"model\"},";
    if (finished) json += "\"finishReason\":\"STOP\",";
    json += "\"index\":0}]";
    if (finished)
        json += ",\"usageMetadata\":{\"promptTokenCount\":" + std::to_string(kPromptTokens) +
                ",\"candidatesTokenCount\":" + std::to_string(output_tokens) +
                ",\"totalTokenCount\":" + std::to_string(kPromptTokens + output_tokens) + "}";
    json += ",\"modelVersion\":\"" + std::string(kModel) + "\",\"responseId\":\"mock\"}";
    return json;
}

// Gemini frames events with CRLF, like Google's servers.
std::string gemini_event(std::string_view json) { return as_chunk("data: " + std::string(json) + "\r\n\r\n"); }

Dialect render_gemini(const Texts &t) {
    Dialect d;
    d.reply = render_json(200, gemini_response(t.whole, true, t.output_tokens));
    d.stream.head = render_stream_head();
    d.stream.content = gemini_event(gemini_response(t.chunk, false, t.output_tokens));
    // The last chunk carries finishReason and usage, as Gemini sends them.
    d.stream.last = gemini_event(gemini_response(t.chunk, true, t.output_tokens)) + std::string(kLastChunk);
    d.stream.empty_end = gemini_event(gemini_response("", true, 0)) + std::string(kLastChunk);
    return d;
}

Dialect render_cohere(const Texts &t) {
    const std::string usage = "{\"billed_units\":{\"input_tokens\":" + std::to_string(kPromptTokens) +
                              ",\"output_tokens\":" + std::to_string(t.output_tokens) +
                              "},\"tokens\":{\"input_tokens\":" + std::to_string(kPromptTokens) +
                              ",\"output_tokens\":" + std::to_string(t.output_tokens) + "}}";
    Dialect d;
    d.reply = render_json(200, "{\"id\":\"mock-cohere\",\"message\":{\"role\":\"assistant\",\"content\":[{\"type\":"
                               "\"text\",\"text\":\"" +
                                   t.whole + "\"}]},\"finish_reason\":\"COMPLETE\",\"usage\":" + usage + "}");
    d.stream.head = render_stream_head();
    d.stream.prologue =
        named_event("message-start",
                    "{\"id\":\"mock-cohere\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":"
                    "\"assistant\",\"content\":[],\"tool_plan\":\"\",\"tool_calls\":[],\"citations\":[]}}}") +
        named_event("content-start",
                    "{\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"type\":\"text\","
                    "\"text\":\"\"}}}}");
    d.stream.content = named_event("content-delta",
                                   "{\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{"
                                   "\"text\":\"" +
                                       t.chunk + "\"}}}}");
    const std::string closing =
        named_event("content-end", "{\"type\":\"content-end\",\"index\":0}") +
        named_event("message-end",
                    "{\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":" + usage + "}}") +
        std::string(kLastChunk);
    d.stream.last = d.stream.content + closing;
    d.stream.empty_end = closing;
    return d;
}

// One list that every plugin's model parser accepts: OpenAI and Anthropic read
// "data", Gemini and Cohere read "models".
std::string models_body() {
    std::string data, models;
    for (std::string_view id : {"mock-model", "mock-model-large"}) {
        if (!data.empty()) data += ",", models += ",";
        data += "{\"id\":\"" + std::string(id) + "\",\"object\":\"model\",\"type\":\"model\",\"created\":1770000000,"
                "\"owned_by\":\"mock\",\"display_name\":\"" + std::string(id) + "\"}";
        models += "{\"name\":\"" + std::string(id) + "\",\"displayName\":\"" + std::string(id) +
                  "\",\"supportedGenerationMethods\":[\"generateContent\",\"streamGenerateContent\"],"
                  "\"endpoints\":[\"chat\"]}";
    }
    return "{\"object\":\"list\",\"data\":[" + data + "],\"has_more\":false,\"models\":[" + models + "]}";
}

std::string openai_error(std::string_view message, std::string_view type, std::string_view code) {
    return "{\"error\":{\"message\":\"" + std::string(message) + "\",\"type\":\"" + std::string(type) +
           "\",\"param\":null,\"code\":" + std::string(code) + "}}";
}

}  // namespace

CannedResponses render_responses(const Options &options) {
    Texts texts;
    texts.chunk = chunk_text(options.chunk_bytes);
    for (unsigned i = 0; i < options.chunks; ++i) texts.whole += texts.chunk;
    texts.output_tokens = options.chunks;

    CannedResponses r;
    r.openai = render_openai(texts);
    r.anthropic = render_anthropic(texts);
    r.gemini = render_gemini(texts);
    r.cohere = render_cohere(texts);
    // Without spacing a stream is written in one go, so render it whole once.
    if (options.chunk_interval_us == 0) {
        for (CannedStream *s : {&r.openai.stream, &r.anthropic.stream, &r.gemini.stream, &r.cohere.stream}) {
            s->whole = s->prologue;
            if (options.chunks == 0) {
                s->whole += s->empty_end;
                continue;
            }
            for (unsigned i = 1; i < options.chunks; ++i) s->whole += s->content;
            s->whole += s->last;
        }
    }
    r.models = render_json(200, models_body());
    r.health = render_reply(200, "text/plain", "ok");
    r.not_found = render_json(404, openai_error("mock: no such route", "invalid_request_error", "null"));
    r.server_error = render_json(500, openai_error("The server had an error while processing your request.",
                                                   "server_error", "null"));
    r.rate_limited = render_json(429, openai_error("mock: rate limit reached", "requests", "\"rate_limit_exceeded\""),
                                 "Retry-After: 0\r\n");
    r.head_too_large = render_json(431, openai_error("mock: request head too large", "invalid_request_error", "null"));
    r.body_too_large = render_json(413, openai_error("mock: request body too large", "invalid_request_error", "null"));
    r.bad_request = render_json(400, openai_error("mock: malformed request", "invalid_request_error", "null"));
    r.continue_100 = "HTTP/1.1 100 Continue\r\n\r\n";
    return r;
}

Route route_request(std::string_view method, std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    if (method == "GET") {
        if (ends_with(path, "/healthz")) return Route::health;
        if (ends_with(path, "/models")) return Route::models;
        return Route::not_found;
    }
    if (method != "POST") return Route::not_found;
    if (ends_with(path, "/chat/completions")) return Route::openai;
    if (ends_with(path, ":streamGenerateContent")) return Route::gemini_stream;
    if (ends_with(path, ":generateContent")) return Route::gemini;
    if (ends_with(path, "/messages")) return Route::anthropic;
    if (ends_with(path, "/chat")) return Route::cohere;
    return Route::not_found;
}

}  // namespace sb::mock
