/*
 * usage_echo: a plain C99 test plugin built once against each frozen header
 * (tests/abi/v1_0 ... v1_3) and once against the current one, to prove that plugins of every minor version load into one
 * host, chat (plain and streamed), and get their token counts to it.
 *
 * OpenAI-compatible pass-through: the request body goes out unchanged, a 2xx
 * body comes back unchanged, and each SSE data line is emitted as a chunk.
 * Built against v1.2 or later it also reports typed usage, with counts that
 * differ on purpose from the ones in the JSON it passes through (see
 * TYPED_*), so a test can tell which of the two the host read.
 *
 * Built against v1.3 or later it also offers sb.embeddings/1: the batch goes
 * to {base}/embeddings unchanged and an OpenAI list comes back unchanged, its
 * input tokens reported typed as TYPED_PROMPT. The v1.2 build of the same
 * source has no such table, so the host must answer its embeddings with 400.
 *
 * Keys: every build names a key variable (ABI1x_API_KEY) but needs none.
 * Built against v1.0-1.3 it is given the key and sends it as a bearer token
 * itself, as every plugin did before v1.4. Built against v1.4 or later it
 * declares credential_header "authorization" with "Bearer ", so the host
 * writes the key; it refuses every call that hands it a key anyway (status
 * SB_ERR_INTERNAL, "was given an API key"), so a chat that works with a key
 * configured proves the host never gave it one.
 *
 * USAGE_ECHO_MINOR (set by the build) must match the header's minor: it
 * proves the build picked the header it meant to.
 */
#include <switchboard/provider_abi.h>

#include "../plugins/c_plugin_helpers.h"

#include <stdlib.h>
#include <string.h>

#if !defined(USAGE_ECHO_MINOR) || SB_ABI_VERSION_MINOR != USAGE_ECHO_MINOR
#error "usage_echo built against another ABI header than USAGE_ECHO_MINOR says"
#endif

#if SB_ABI_VERSION_MINOR == 0
#define ECHO_ID "abi10"
#define ECHO_ENV_BASE "ABI10_API_BASE"
#define ECHO_ENV_KEY "ABI10_API_KEY"
#elif SB_ABI_VERSION_MINOR == 1
#define ECHO_ID "abi11"
#define ECHO_ENV_BASE "ABI11_API_BASE"
#define ECHO_ENV_KEY "ABI11_API_KEY"
#elif SB_ABI_VERSION_MINOR == 2
#define ECHO_ID "abi12"
#define ECHO_ENV_BASE "ABI12_API_BASE"
#define ECHO_ENV_KEY "ABI12_API_KEY"
#elif SB_ABI_VERSION_MINOR == 3
#define ECHO_ID "abi13"
#define ECHO_ENV_BASE "ABI13_API_BASE"
#define ECHO_ENV_KEY "ABI13_API_KEY"
#else
#define ECHO_ID "abi14"
#define ECHO_ENV_BASE "ABI14_API_BASE"
#define ECHO_ENV_KEY "ABI14_API_KEY"
#endif


/* The typed counts of a v1.2 build: never what the JSON says. */
#define TYPED_PROMPT 101
#define TYPED_COMPLETION 202
#define TYPED_CACHED 33
#define TYPED_REASONING 44


static int contains(sb_str text, const char *needle) {
    size_t n = strlen(needle), i;
    for (i = 0; i + n <= text.len; ++i)
        if (memcmp(text.ptr + i, needle, n) == 0) return 1;
    return 0;
}

/* SB_OK when this build may hold config's key: only a build older than v1.4
   is ever given one. */
static sb_status check_key(const sb_provider_config *config, const sb_error_sink *err) {
#if SB_ABI_VERSION_MINOR >= 4
    if (config->api_key.len != 0 || config->api_key.ptr != NULL) {
        report(err, SB_ERROR_UPSTREAM, 0, ECHO_ID " was given an API key");
        return SB_ERR_INTERNAL;
    }
#else
    (void)config;
    (void)err;
#endif
    return SB_OK;
}

/* POST {base}{path} with body, as is; before v1.4 with the key as a bearer
   token. */
static sb_status post_to(const sb_provider_config *config, const char *path, sb_str body,
                         const sb_http_request_builder *out, const sb_error_sink *err) {
    char url[1024];
    size_t path_len = strlen(path);
    sb_str u;
    if (check_key(config, err) != SB_OK) return SB_ERR_INTERNAL;
    if (config->api_base.len + path_len + 1 > sizeof url) {
        report(err, SB_ERROR_INVALID_REQUEST, 0, "API base too long");
        return SB_ERR_INVALID_ARGUMENT;
    }
    memcpy(url, config->api_base.ptr, config->api_base.len);
    memcpy(url + config->api_base.len, path, path_len);
    u.ptr = url;
    u.len = config->api_base.len + path_len;
    out->set_method(out->ctx, lit("POST"));
    out->set_url(out->ctx, u);
    out->add_header(out->ctx, lit("Content-Type"), lit("application/json"));
#if SB_ABI_VERSION_MINOR >= 4
    /* A header of the declared name (in another case): the host must drop
       it and write only its own. */
    out->add_header(out->ctx, lit("AUTHORIZATION"), lit("Bearer written-by-the-plugin"));
#else
    if (config->api_key.len > 0) {
        char bearer[1024];
        sb_str b;
        if (config->api_key.len + 7 > sizeof bearer) {
            report(err, SB_ERROR_INVALID_REQUEST, 0, "API key too long");
            return SB_ERR_INVALID_ARGUMENT;
        }
        memcpy(bearer, "Bearer ", 7);
        memcpy(bearer + 7, config->api_key.ptr, config->api_key.len);
        b.ptr = bearer;
        b.len = 7 + config->api_key.len;
        out->add_header(out->ctx, lit("Authorization"), b);
    }
#endif
    out->append_body(out->ctx, body.ptr, body.len);
    return SB_OK;
}

static sb_status build_chat_request(const sb_provider_config *config, const sb_chat_request *request,
                                    const sb_http_request_builder *out, const sb_error_sink *err) {
    return post_to(config, "/chat/completions", request->body_json, out, err);
}

#if SB_ABI_VERSION_MINOR >= 2
static sb_usage typed_usage(int64_t prompt, int64_t completion, int64_t cached, int64_t reasoning) {
    sb_usage u;
    u.struct_size = sizeof(sb_usage);
    u.prompt_tokens = prompt;
    u.completion_tokens = completion;
    u.cached_tokens = cached;
    u.reasoning_tokens = reasoning;
    return u;
}

/* Prompt tokens first (as a vendor's stream start gives them), the rest
   with the usage chunk: the host must keep the first when the second leaves
   it unknown. */
static void report_stream_usage(const sb_chunk_sink *out, int with_rest) {
    sb_usage u = with_rest ? typed_usage(SB_USAGE_UNKNOWN, TYPED_COMPLETION, TYPED_CACHED, TYPED_REASONING)
                           : typed_usage(TYPED_PROMPT, SB_USAGE_UNKNOWN, SB_USAGE_UNKNOWN, SB_USAGE_UNKNOWN);
    if (SB_TABLE_HAS(out, sb_chunk_sink, usage) && out->usage) out->usage(out->ctx, &u);
}
#endif

static sb_status parse_chat_response(const sb_provider_config *config, const sb_http_response *response,
                                     const sb_sink *out, const sb_error_sink *err) {
    if (check_key(config, err) != SB_OK) return SB_ERR_INTERNAL;
    if (response->status < 200 || response->status > 299) {
        report(err, SB_ERROR_UPSTREAM, response->status, ECHO_ID " upstream failed");
        return SB_ERR_UPSTREAM;
    }
    out->write(out->ctx, response->body.ptr, response->body.len);
#if SB_ABI_VERSION_MINOR >= 2
    if (SB_TABLE_HAS(response, sb_http_response, usage) && response->usage) {
        sb_usage u = typed_usage(TYPED_PROMPT, TYPED_COMPLETION, TYPED_CACHED, TYPED_REASONING);
        response->usage->report(response->usage->ctx, &u);
    }
#endif
    return SB_OK;
}

struct sb_stream {
    int events;
};

static sb_status stream_open(const sb_provider_config *config, const sb_chat_request *request,
                             sb_stream **stream, const sb_error_sink *err) {
    (void)request;
    *stream = NULL;
    if (check_key(config, err) != SB_OK) return SB_ERR_INTERNAL;
    *stream = (sb_stream *)calloc(1, sizeof(sb_stream));
    if (!*stream) {
        report(err, SB_ERROR_UPSTREAM, 0, "out of memory");
        return SB_ERR_INTERNAL;
    }
    return SB_OK;
}

static sb_status stream_event(sb_stream *stream, const sb_stream_event *event, const sb_chunk_sink *out,
                              const sb_error_sink *err) {
    static const char done[] = "[DONE]";
    (void)err;
    if (event->data.len == sizeof done - 1 && memcmp(event->data.ptr, done, sizeof done - 1) == 0)
        return SB_STREAM_END;
    if (event->data.len == 0) return SB_OK;
#if SB_ABI_VERSION_MINOR >= 2
    if (stream->events == 0) report_stream_usage(out, 0);
#endif
    ++stream->events;
    out->emit(out->ctx, event->data.ptr, event->data.len);
#if SB_ABI_VERSION_MINOR >= 2
    if (contains(event->data, "\"usage\"")) report_stream_usage(out, 1);
#else
    (void)contains;
#endif
    return SB_OK;
}

static sb_status stream_close(sb_stream *stream, const sb_chunk_sink *out, const sb_error_sink *err) {
    (void)out;
    (void)err;
    free(stream);
    return SB_OK;
}

#if SB_ABI_VERSION_MINOR >= 3
static sb_status build_embeddings_request(const sb_provider_config *config, const sb_embeddings_request *request,
                                          const sb_http_request_builder *out, const sb_error_sink *err) {
    return post_to(config, "/embeddings", request->body_json, out, err);
}

static sb_status parse_embeddings_response(const sb_provider_config *config, const sb_http_response *response,
                                           const sb_sink *out, const sb_error_sink *err) {
    sb_usage u;
    if (check_key(config, err) != SB_OK) return SB_ERR_INTERNAL;
    if (response->status < 200 || response->status > 299) {
        report(err, SB_ERROR_UPSTREAM, response->status, ECHO_ID " upstream failed");
        return SB_ERR_UPSTREAM;
    }
    out->write(out->ctx, response->body.ptr, response->body.len);
    u = typed_usage(TYPED_PROMPT, 0, SB_USAGE_UNKNOWN, SB_USAGE_UNKNOWN);
    response->usage->report(response->usage->ctx, &u);
    return SB_OK;
}

static const sb_embeddings embeddings = {
    sizeof(sb_embeddings), NULL, 0, LIT("echo-embed"), 2, 0, build_embeddings_request, parse_embeddings_response };

static const void *get_extension(const char *id) {
    return strcmp(id, SB_EXT_EMBEDDINGS) == 0 ? &embeddings : NULL;
}
#define ECHO_GET_EXTENSION get_extension
#else
#define ECHO_GET_EXTENSION NULL
#endif

static const sb_provider_descriptor descriptor = {
    sizeof(sb_provider_descriptor), LIT(ECHO_ID), LIT("Usage echo " ECHO_ID), LIT("1.0.0"), LIT("echo-model"),
    { NULL, 0 }, LIT(ECHO_ENV_KEY), { NULL, 0 }, LIT(ECHO_ENV_BASE), SB_CAP_STREAMING, SB_FRAMING_SSE, NULL, 0
#if SB_ABI_VERSION_MINOR >= 4
    , LIT("authorization"), LIT("Bearer ")
#endif
};

static const sb_plugin table = {
    sizeof(sb_plugin), SB_ABI_VERSION_MAJOR, SB_ABI_VERSION_MINOR, &descriptor, NULL, NULL,
    build_chat_request, parse_chat_response, stream_open, stream_event, stream_close, NULL, NULL, ECHO_GET_EXTENSION
#if SB_ABI_VERSION_MINOR >= 1
    , NULL /* self_check */
#endif
};

SB_TEST_C_PLUGIN_ENTRY(&table)
