/*
 * c_echo: a test provider plugin in plain C99, using only provider_abi.h.
 * OpenAI-compatible pass-through: the request body goes out unchanged (the
 * host already set the model) and a 2xx body comes back unchanged.
 *
 * Compiled twice: as c_echo.so, and with SB_CECHO_NEWER as newer_minor.so,
 * a plugin that reports ABI minor 7 with a larger table and descriptor.
 */
#include <switchboard/provider_abi.h>

#include "c_plugin_helpers.h"

#include <stdio.h>
#include <string.h>

#if defined(SB_CECHO_OLDER)
#define CECHO_ID "older"
#define CECHO_NAME "Older Minor"
#define CECHO_ENV(x) "OLDER_" x
#define CECHO_MINOR 0
#elif defined(SB_CECHO_NEWER)
#define CECHO_ID "newer"
#define CECHO_NAME "Newer Minor"
#define CECHO_ENV(x) "NEWER_" x
#define CECHO_MINOR 7
#else
#define CECHO_ID "cecho"
#define CECHO_NAME "C Echo"
#define CECHO_ENV(x) "CECHO_" x
#define CECHO_MINOR SB_ABI_VERSION_MINOR
#endif


static int has_base(const sb_provider_config *config, const sb_error_sink *err) {
    if (config->api_base.len == 0) {
        report(err, SB_ERROR_NOT_CONFIGURED, 0,
               CECHO_ID " provider has no API base: set " CECHO_ENV("API_BASE"));
        return 0;
    }
    return 1;
}

/* set_url with {base without trailing slashes}{path} */
static void set_url(const sb_http_request_builder *out, sb_str base, const char *path) {
    char buf[2048];
    size_t n = base.len, plen = strlen(path);
    while (n > 0 && base.ptr[n - 1] == '/') --n;
    if (n + plen >= sizeof buf) { /* too long: send the base alone */
        out->set_url(out->ctx, base);
        return;
    }
    memcpy(buf, base.ptr, n);
    memcpy(buf + n, path, plen);
    {
        sb_str url;
        url.ptr = buf;
        url.len = n + plen;
        out->set_url(out->ctx, url);
    }
}

static void add_auth(const sb_provider_config *config, const sb_http_request_builder *out) {
    char buf[1024];
    const char prefix[] = "Bearer ";
    sb_str v;
    if (config->api_key.len == 0) return;
    if (config->api_key.len + sizeof prefix > sizeof buf) return;
    memcpy(buf, prefix, sizeof prefix - 1);
    memcpy(buf + sizeof prefix - 1, config->api_key.ptr, config->api_key.len);
    v.ptr = buf;
    v.len = sizeof prefix - 1 + config->api_key.len;
    out->add_header(out->ctx, lit("Authorization"), v);
    memset(buf, 0, sizeof buf);
}

static sb_status classify(const sb_http_response *response, const sb_error_sink *err) {
    char msg[64];
    sb_error_kind kind;
    switch (response->status) {
    case 401:
    case 403: kind = SB_ERROR_INVALID_API_KEY; break;
    case 404: kind = SB_ERROR_MODEL_NOT_FOUND; break;
    case 429: kind = SB_ERROR_RATE_LIMITED; break;
    default: kind = SB_ERROR_UPSTREAM; break;
    }
    sprintf(msg, "cecho upstream returned HTTP %d", (int)response->status);
    report(err, kind, response->status, msg);
    return SB_ERR_UPSTREAM;
}

static sb_status build_chat_request(const sb_provider_config *config, const sb_chat_request *request,
                                    const sb_http_request_builder *out, const sb_error_sink *err) {
    if (!has_base(config, err)) return SB_ERR_NOT_CONFIGURED;
    out->set_method(out->ctx, lit("POST"));
    set_url(out, config->api_base, "/chat/completions");
    out->add_header(out->ctx, lit("Content-Type"), lit("application/json"));
    add_auth(config, out);
    if (request->body_json.len) out->append_body(out->ctx, request->body_json.ptr, request->body_json.len);
    return SB_OK;
}

static sb_status parse_chat_response(const sb_provider_config *config, const sb_http_response *response,
                                     const sb_sink *out, const sb_error_sink *err) {
    (void)config;
    if (response->status < 200 || response->status > 299) return classify(response, err);
    out->write(out->ctx, response->body.ptr, response->body.len);
    return SB_OK;
}

static sb_status stream_open(const sb_provider_config *config, const sb_chat_request *request,
                             sb_stream **stream, const sb_error_sink *err) {
    (void)config;
    (void)request;
    *stream = NULL;
    report(err, SB_ERROR_INVALID_REQUEST, 0, CECHO_ID " does not support streaming");
    return SB_ERR_UNSUPPORTED;
}

static sb_status stream_event(sb_stream *stream, const sb_stream_event *event, const sb_chunk_sink *out,
                              const sb_error_sink *err) {
    (void)stream;
    (void)event;
    (void)out;
    (void)err;
    return SB_ERR_UNSUPPORTED;
}

static sb_status stream_close(sb_stream *stream, const sb_chunk_sink *out, const sb_error_sink *err) {
    (void)stream;
    (void)out;
    (void)err;
    return SB_ERR_UNSUPPORTED;
}

static sb_status build_models_request(const sb_provider_config *config, const sb_http_request_builder *out,
                                      const sb_error_sink *err) {
    if (!has_base(config, err)) return SB_ERR_NOT_CONFIGURED;
    out->set_method(out->ctx, lit("GET"));
    set_url(out, config->api_base, "/models");
    add_auth(config, out);
    return SB_OK;
}

/* Scans for "id" : "<value>" occurrences; no JSON library needed. */
static sb_status parse_models_response(const sb_provider_config *config, const sb_http_response *response,
                                       const sb_model_sink *out, const sb_error_sink *err) {
    const char *p = response->body.ptr;
    const char *end = p + response->body.len;
    (void)config;
    if (response->status < 200 || response->status > 299) return classify(response, err);
    while (p && p + 4 <= end) {
        const char *q;
        sb_str id;
        if (memcmp(p, "\"id\"", 4) != 0) {
            ++p;
            continue;
        }
        q = p + 4;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) ++q;
        if (q >= end || *q != ':') {
            p += 4;
            continue;
        }
        ++q;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')) ++q;
        if (q >= end || *q != '"') {
            p = q;
            continue;
        }
        id.ptr = ++q;
        while (q < end && *q != '"') q += (*q == '\\' && q + 1 < end) ? 2 : 1;
        id.len = (size_t)(q - id.ptr);
        if (q < end) {
            sb_str none = { NULL, 0 };
            out->add(out->ctx, id, none);
        }
        p = q + 1;
    }
    return SB_OK;
}

#ifndef SB_CECHO_OLDER
/* v1.1: nothing to check beyond loading. */
static sb_status self_check(const sb_error_sink *err) {
    (void)err;
    return SB_OK;
}
#endif

#ifdef SB_CECHO_NEWER
/* A descriptor of a future minor version: the v1.0 fields, then more. */
typedef struct newer_descriptor {
    sb_provider_descriptor v1_0;
    sb_str homepage_url;  /* pretend v1.7 field */
    uint64_t more_caps;   /* pretend v1.7 field */
} newer_descriptor;

/* A table of a future minor version: the v1.0 table, then more functions. */
typedef struct newer_plugin {
    sb_plugin v1_0;
    sb_status (*probe)(const sb_provider_config *config, const sb_error_sink *err); /* pretend v1.7 */
    sb_status (*build_embeddings_request)(const sb_provider_config *config, sb_str body_json,
                                          const sb_http_request_builder *out, const sb_error_sink *err);
} newer_plugin;

static sb_status probe(const sb_provider_config *config, const sb_error_sink *err) {
    (void)config;
    (void)err;
    return SB_OK;
}

static sb_status build_embeddings_request(const sb_provider_config *config, sb_str body_json,
                                          const sb_http_request_builder *out, const sb_error_sink *err) {
    (void)config;
    (void)body_json;
    (void)out;
    (void)err;
    return SB_ERR_UNSUPPORTED;
}

static const newer_descriptor descriptor = {
    { sizeof(newer_descriptor), LIT(CECHO_ID), LIT(CECHO_NAME), LIT("1.7.0"), { NULL, 0 }, { NULL, 0 },
      LIT(CECHO_ENV("API_KEY")), LIT(CECHO_ENV("MODEL")), LIT(CECHO_ENV("API_BASE")),
      SB_CAP_MODEL_LISTING, SB_FRAMING_SSE, NULL, 0, { NULL, 0 }, { NULL, 0 } },
    LIT("https://example.invalid/newer"),
    0 };

static const newer_plugin table = {
    { sizeof(newer_plugin), SB_ABI_VERSION_MAJOR, CECHO_MINOR, &descriptor.v1_0, NULL, NULL,
      build_chat_request, parse_chat_response, stream_open, stream_event, stream_close,
      build_models_request, parse_models_response, NULL, self_check },
    probe,
    build_embeddings_request };
#define CECHO_TABLE (&table.v1_0)
#elif defined(SB_CECHO_OLDER)
/* The v1.0 table layout, as a plugin built against the v1.0 header has it:
   no self_check. The host must not read past its struct_size. */
typedef struct v1_0_plugin {
    uint32_t struct_size;
    uint32_t abi_major;
    uint32_t abi_minor;
    const sb_provider_descriptor *descriptor;
    sb_status (*init)(const sb_host_info *host, const sb_error_sink *err);
    void (*shutdown)(void);
    sb_status (*build_chat_request)(const sb_provider_config *, const sb_chat_request *,
                                    const sb_http_request_builder *, const sb_error_sink *);
    sb_status (*parse_chat_response)(const sb_provider_config *, const sb_http_response *, const sb_sink *,
                                     const sb_error_sink *);
    sb_status (*stream_open)(const sb_provider_config *, const sb_chat_request *, sb_stream **,
                             const sb_error_sink *);
    sb_status (*stream_event)(sb_stream *, const sb_stream_event *, const sb_chunk_sink *, const sb_error_sink *);
    sb_status (*stream_close)(sb_stream *, const sb_chunk_sink *, const sb_error_sink *);
    sb_status (*build_models_request)(const sb_provider_config *, const sb_http_request_builder *,
                                      const sb_error_sink *);
    sb_status (*parse_models_response)(const sb_provider_config *, const sb_http_response *, const sb_model_sink *,
                                       const sb_error_sink *);
    const void *(*get_extension)(const char *id);
} v1_0_plugin;

static const sb_provider_descriptor descriptor = {
    sizeof(sb_provider_descriptor), LIT(CECHO_ID), LIT(CECHO_NAME), LIT("1.0.0"), { NULL, 0 }, { NULL, 0 },
    LIT(CECHO_ENV("API_KEY")), LIT(CECHO_ENV("MODEL")), LIT(CECHO_ENV("API_BASE")),
    SB_CAP_MODEL_LISTING, SB_FRAMING_SSE, NULL, 0, { NULL, 0 }, { NULL, 0 } };

/* Followed by a poison pointer: a host reading self_check past struct_size would call it. */
static const struct {
    v1_0_plugin table;
    void (*poison)(void);
} older = {
    { sizeof(v1_0_plugin), SB_ABI_VERSION_MAJOR, 0, &descriptor, NULL, NULL,
      build_chat_request, parse_chat_response, stream_open, stream_event, stream_close,
      build_models_request, parse_models_response, NULL },
    (void (*)(void))1 };
#define CECHO_TABLE ((const sb_plugin *)&older.table)
#else
static const sb_provider_descriptor descriptor = {
    sizeof(sb_provider_descriptor), LIT(CECHO_ID), LIT(CECHO_NAME), LIT("1.0.0"), { NULL, 0 }, { NULL, 0 },
    LIT(CECHO_ENV("API_KEY")), LIT(CECHO_ENV("MODEL")), LIT(CECHO_ENV("API_BASE")),
    SB_CAP_MODEL_LISTING, SB_FRAMING_SSE, NULL, 0, { NULL, 0 }, { NULL, 0 } };

static const sb_plugin table = {
    sizeof(sb_plugin), SB_ABI_VERSION_MAJOR, CECHO_MINOR, &descriptor, NULL, NULL,
    build_chat_request, parse_chat_response, stream_open, stream_event, stream_close,
    build_models_request, parse_models_response, NULL, self_check };
#define CECHO_TABLE (&table)
#endif

SB_TEST_C_PLUGIN_ENTRY(CECHO_TABLE)
