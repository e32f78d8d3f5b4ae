/*
 * Switchboard ProviderPlugin ABI, major version 1.
 *
 * A provider plugin is a shared library that exports exactly one symbol,
 * SB_ENTRY_SYMBOL ("switchboard_plugin_entry"), of type sb_entry_fn. Through it
 * the host and the plugin agree on a major ABI version and the plugin hands the
 * host a const table of function pointers (sb_plugin).
 *
 * The plugin never does I/O. It translates:
 *   unified chat request (OpenAI chat-completions JSON) -> vendor HTTP request
 *   vendor HTTP response (any status)   -> unified chat.completion JSON, or a
 *                                           classified error
 *   vendor stream events (de-framed by the host) -> unified chat.completion.chunk
 *                                           JSON objects
 *   model-list request/response          -> model ids
 * The host owns sockets, TLS, pooling, timeouts, retries and cancellation.
 *
 * Rules that hold for every type and function below:
 *
 * Strings   sb_str is a borrowed UTF-8 view {ptr,len}; it is NOT NUL-terminated
 *           unless stated. A view passed into a function is valid only for the
 *           duration of that call; copy what you keep. Views inside the
 *           descriptor are owned by the plugin and stay valid until the library
 *           is unloaded. ptr may be NULL only when len is 0.
 * Output    Everything a function produces goes into host-owned sinks (callbacks
 *           with a ctx pointer). The plugin never returns memory the host must
 *           free, and the host never frees plugin memory. Bytes passed to a sink
 *           are copied by the host before the callback returns.
 * Tables    Every struct that may grow starts with uint32_t struct_size, set by
 *           whoever fills it to sizeof() at its build time. Fields are only ever
 *           appended. A reader checks struct_size before touching a field beyond
 *           the ones of the version it was built against, and accepts a larger
 *           struct_size from a newer peer. Nothing is renamed or reordered.
 * Status    Functions return sb_status (int32_t). SB_OK is 0. Error detail is
 *           reported through the sb_error_sink passed to the call.
 * Threads   Every function pointer below carries one of these tags:
 *             [load-thread]  called on one thread while no other call into the
 *                            plugin is in flight (entry, init, shutdown).
 *             [any-thread]   reentrant: the host may call it from several
 *                            threads at once with different arguments. It
 *                            never blocks (no I/O, no sleeps, no lock held
 *                            across a wait).
 *             [stream]       like [any-thread], but one sb_stream is never
 *                            used by two threads at once; consecutive calls
 *                            on it may come from different threads, so keep
 *                            no thread-local stream state.
 *             [thread-safe]  may be called from any thread at any time.
 *             [call-thread]  a host callback inside a sink or builder: call it
 *                            only on the thread, and during the call, that
 *                            received the sink.
 * Nullness  Every pointer argument and field says whether it may be NULL
 *           ("never NULL", "may be NULL" and when). A pointer not marked
 *           "may be NULL" is never NULL.
 * Failure   No function may let a C++ exception, longjmp or signal cross this
 *           boundary. The C++ helper (provider.hpp) catches at the boundary.
 * Versions  ABI v1.x stays source and binary compatible: minor versions only
 *           append fields to tables, add enum values and add extension ids.
 *           A new major version may change anything; the host negotiates it
 *           through the entry function's range. Structs without struct_size
 *           (sb_str, sb_header, sb_sink) are frozen: they never grow.
 *           v1.1 appended sb_plugin.self_check. v1.2 added sb_usage and
 *           sb_usage_sink and appended sb_chunk_sink.usage and
 *           sb_http_response.usage (typed token counts). v1.3 added the
 *           extension sb.native/1 (client dialects a plugin takes as the
 *           client wrote them) and the extension sb.embeddings/1
 *           (sb_embeddings, sb_embeddings_request).
 * Host      What the host guarantees to build_chat_request, stream_open and
 *           parse_chat_response (checked before the plugin is called, so a
 *           plugin need not re-check it):
 *             - config.model and config.api_base are non-empty;
 *             - config.api_key is non-empty when the descriptor has
 *               SB_CAP_REQUIRES_API_KEY;
 *             - request.body_json is valid JSON: an object whose "messages"
 *               is a non-empty array of objects, each with a string "role";
 *             - its "model" is the vendor model name (config.model);
 *             - "stream" is true when request.stream is nonzero and absent
 *               otherwise; "stream_options" is absent when request.stream is
 *               zero and is the client's own (possibly absent) otherwise, so
 *               a plugin that needs the vendor to send usage asks for it.
 *           build_models_request and parse_models_response get the same
 *           config guarantees.
 *
 * This header compiles as C99 and as C++.
 */
#ifndef SWITCHBOARD_PROVIDER_ABI_H
#define SWITCHBOARD_PROVIDER_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SB_ABI_VERSION_MAJOR 1
#define SB_ABI_VERSION_MINOR 3

/* The only symbol a plugin exports (type sb_entry_fn, at the end). */
#define SB_ENTRY_SYMBOL "switchboard_plugin_entry"

#if defined(_WIN32)
#define SB_PLUGIN_EXPORT __declspec(dllexport)
#else
#define SB_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ------------------------------------------------------------------ basics */

/* Frozen (no struct_size). */
typedef struct sb_str {
    const char *ptr; /* may be NULL only when len is 0 */
    size_t len;
} sb_str;

typedef int32_t sb_status;

enum {
    SB_OK = 0,
    /* The call's input was malformed or unsupported by this provider (for
       example a unified request that is not valid JSON). */
    SB_ERR_INVALID_ARGUMENT = 1,
    /* The provider does not implement this function or feature. */
    SB_ERR_UNSUPPORTED = 2,
    /* The vendor answered with an error, or with a body the plugin could not
       understand; the error sink holds the classification. */
    SB_ERR_UPSTREAM = 3,
    /* The provider lacks configuration it needs (no API base, no model). */
    SB_ERR_NOT_CONFIGURED = 4,
    /* No ABI major version in the host's range is supported (entry only). */
    SB_ERR_VERSION = 5,
    /* A bug or resource failure inside the plugin. */
    SB_ERR_INTERNAL = 6,
    /* stream_event only: the vendor signalled the end of the stream. */
    SB_STREAM_END = 7
};

/* Classification of an error, reported with sb_error_sink.report. The host
   maps these to its public error types and HTTP statuses. */
typedef int32_t sb_error_kind;

enum {
    SB_ERROR_NONE = 0,
    SB_ERROR_INVALID_REQUEST = 1,  /* the client's request was rejected */
    SB_ERROR_INVALID_API_KEY = 2,  /* missing, wrong or revoked credentials */
    SB_ERROR_RATE_LIMITED = 3,     /* 429 or vendor quota errors */
    SB_ERROR_MODEL_NOT_FOUND = 4,  /* unknown model or no access to it */
    SB_ERROR_API_BASE_INCORRECT = 5, /* the base does not serve this API */
    SB_ERROR_UPSTREAM = 6,         /* any other vendor-side failure */
    SB_ERROR_NOT_CONFIGURED = 7,   /* configuration missing (base, model, key) */
    SB_ERROR_PERMISSION_DENIED = 8,/* key valid but not allowed */
    SB_ERROR_CONTEXT_LENGTH = 9,   /* the prompt does not fit the model */
    SB_ERROR_CONTENT_FILTER = 10   /* refused by the vendor's safety system */
};

/* Generic byte sink. write() may be called any number of times; the host
   concatenates the pieces. Owned by the host; valid for the duration of the
   call it is passed to.
   FROZEN: sb_sink has no struct_size, so it can never grow: a field appended
   here would be read past the end of an older host's struct. What a call
   needs to report besides its bytes goes elsewhere: into a table the host
   owns that does have struct_size (v1.2 puts parse_chat_response's usage
   report in sb_http_response.usage), or into an appended function. */
typedef struct sb_sink {
    void *ctx; /* the host's; pass it back unchanged; may be NULL */
    /* [call-thread] never NULL. bytes may be NULL only when len is 0. */
    void (*write)(void *ctx, const char *bytes, size_t len);
} sb_sink;

/* Where a function reports why it failed. report() may be called at most once
   per call that returns non-SB_OK; message is the vendor's own message where
   there is one (never an API key), http_status the vendor's status or 0. */
typedef struct sb_error_sink {
    uint32_t struct_size;
    void *ctx; /* the host's; pass it back unchanged; may be NULL */
    /* [call-thread] never NULL. */
    void (*report)(void *ctx, sb_error_kind kind, int32_t http_status,
                   sb_str message);
} sb_error_sink;

/* A header of an HTTP message. Frozen (no struct_size). */
typedef struct sb_header {
    sb_str name;
    sb_str value;
} sb_header;

/* ------------------------------------------------------------ descriptor */

/* Capability bits of sb_provider_descriptor.capabilities. */
#define SB_CAP_STREAMING (1ull << 0)
#define SB_CAP_TOOLS (1ull << 1)
#define SB_CAP_VISION (1ull << 2)
#define SB_CAP_MODEL_LISTING (1ull << 3)
/* Requests need an API key; without it the host reports not configured. */
#define SB_CAP_REQUIRES_API_KEY (1ull << 4)

/* How the host splits a streaming response body into events. */
typedef enum sb_stream_framing {
    SB_FRAMING_SSE = 0,   /* text/event-stream: event name + data lines */
    SB_FRAMING_NDJSON = 1 /* one JSON document per line */
} sb_stream_framing;

/* What a provider is. Filled statically by the plugin; every view is owned by
   the plugin and lives until the library is unloaded. Empty views mean "none"
   (for example a custom provider with no default base). */
typedef struct sb_provider_descriptor {
    uint32_t struct_size;
    sb_str id;             /* lower-case [a-z0-9_-], unique among plugins */
    sb_str display_name;   /* for people */
    sb_str plugin_version; /* the plugin's own version, e.g. "1.2.0" */
    sb_str default_model;
    sb_str default_api_base; /* http(s) URL without trailing slash */
    sb_str env_api_key;      /* e.g. "OPENAI_API_KEY" */
    sb_str env_model;        /* e.g. "OPENAI_MODEL" */
    sb_str env_api_base;     /* e.g. "OPENAI_API_BASE" */
    uint64_t capabilities;   /* SB_CAP_* bits */
    int32_t stream_framing;  /* sb_stream_framing */
    /* static list of chat model ids; may be NULL only when
       known_model_count is 0 */
    const sb_str *known_models;
    size_t known_model_count;
} sb_provider_descriptor;

/* -------------------------------------------------------- call arguments */

/* The effective configuration for one call, resolved by the host (runtime
   config over environment over defaults). Views valid for the call only.
   See "Host" at the top for what is guaranteed non-empty. */
typedef struct sb_provider_config {
    uint32_t struct_size;
    sb_str api_key;  /* non-empty with SB_CAP_REQUIRES_API_KEY, else may be empty */
    sb_str api_base; /* non-empty: the configured or default base */
    sb_str model;    /* non-empty: the vendor model name, never "provider/model" */
} sb_provider_config;

/* A unified chat request: OpenAI chat-completions JSON, validated by the host
   (see "Host" at the top). The host has already replaced "model" with the
   vendor model name (also in config.model). */
typedef struct sb_chat_request {
    uint32_t struct_size;
    sb_str body_json; /* never empty */
    int32_t stream;   /* nonzero: build a streaming request */
} sb_chat_request;

/* Filled by the plugin through callbacks; owned by the host. set_method and
   set_url are called once each; add_header and append_body any number of
   times. The url is absolute (http or https). */
typedef struct sb_http_request_builder {
    uint32_t struct_size;
    void *ctx; /* the host's; pass it back unchanged; may be NULL */
    /* [call-thread] each never NULL. bytes may be NULL only when len is 0. */
    void (*set_method)(void *ctx, sb_str method);
    void (*set_url)(void *ctx, sb_str url);
    void (*add_header)(void *ctx, sb_str name, sb_str value);
    void (*append_body)(void *ctx, const char *bytes, size_t len);
} sb_http_request_builder;

/* Token counts of one chat call (v1.2). Every count is a total for the whole
   call so far (not a delta) or SB_USAGE_UNKNOWN. cached_tokens is the part
   of prompt_tokens the vendor served from its prompt cache; reasoning_tokens
   the part of completion_tokens spent on hidden reasoning. Filled by the
   plugin on its stack, struct_size = sizeof(sb_usage) at its build time;
   the host copies it before the callback returns. */
#define SB_USAGE_UNKNOWN (-1)

typedef struct sb_usage {
    uint32_t struct_size;
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t cached_tokens;
    int64_t reasoning_tokens;
} sb_usage;

/* Where parse_chat_response reports the usage of a whole response (v1.2).
   Owned by the host; valid for the call only. */
typedef struct sb_usage_sink {
    uint32_t struct_size;
    void *ctx; /* the host's; pass it back unchanged; may be NULL */
    /* [call-thread] never NULL. Pass a non-NULL usage. Call at most once;
       a count left SB_USAGE_UNKNOWN stays unknown. */
    void (*report)(void *ctx, const sb_usage *usage);
} sb_usage_sink;

/* A whole vendor HTTP response, any status. Views valid for the call only. */
typedef struct sb_http_response {
    uint32_t struct_size;
    int32_t status;
    /* names as received; compare case-insensitively. May be NULL only when
       header_count is 0. */
    const sb_header *headers;
    size_t header_count;
    sb_str body;

    /* ---- appended in v1.2: read only when SB_TABLE_HAS covers it ---- */

    /* Where parse_chat_response reports token counts. Non-NULL in
       parse_chat_response from a v1.2 host (whatever the status) and in
       sb_embeddings.parse_embeddings_response; NULL in
       parse_models_response. sb_sink, parse_chat_response's output, is
       frozen, so the report travels with the response the host hands in. */
    const sb_usage_sink *usage;
} sb_http_response;

/* One de-framed stream event. For SSE, event is the "event:" field (empty if
   none) and data the joined "data:" lines; for NDJSON, event is empty and data
   is one line. The host handles SSE comments and the "[DONE]" sentinel is
   passed through as data so the plugin can see it. Views valid for the call
   only. */
typedef struct sb_stream_event {
    uint32_t struct_size;
    sb_str event;
    sb_str data;
} sb_stream_event;

/* Receives unified chat.completion.chunk objects, one JSON object per emit()
   call. Owned by the host; valid for the call only. */
typedef struct sb_chunk_sink {
    uint32_t struct_size;
    void *ctx; /* the host's; pass it back unchanged; may be NULL */
    /* [call-thread] never NULL. Pass a non-NULL json with len > 0. */
    void (*emit)(void *ctx, const char *json, size_t len);

    /* ---- appended in v1.2: read only when SB_TABLE_HAS covers it ---- */

    /* [call-thread] Reports the stream's token counts so far: call it
       whenever they change (for example once from the vendor's usage event).
       A count >= 0 replaces the host's; SB_USAGE_UNKNOWN keeps what an
       earlier call reported. Pass a non-NULL usage. Never NULL when struct_size
       covers it; check SB_TABLE_HAS(sink, sb_chunk_sink, usage) before the
       call, as an older host's sink ends before it. From a v1.2 plugin the
       host reads token counts only from here, never from the chunks. */
    void (*usage)(void *ctx, const sb_usage *usage);
} sb_chunk_sink;

/* Receives model ids, one per add() call. Owned by the host; valid for the
   call only. */
typedef struct sb_model_sink {
    uint32_t struct_size;
    void *ctx; /* the host's; pass it back unchanged; may be NULL */
    /* [call-thread] never NULL. display_name may be empty. */
    void (*add)(void *ctx, sb_str model_id, sb_str display_name);
} sb_model_sink;

/* Per-stream state, opaque to the host, owned by the plugin from
   stream_open until stream_close. */
typedef struct sb_stream sb_stream;

/* ------------------------------------------------------------ host info */

/* What the host tells the plugin at entry. Owned by the host; valid until
   the plugin is unloaded. */
typedef struct sb_host_info {
    uint32_t struct_size;
    uint32_t abi_minor; /* the host's minor version of the negotiated major */
    sb_str host_name;   /* "switchboard" */
    sb_str host_version;
    /* [thread-safe] Never NULL. Host extensions by versioned id; returns a
       const table starting with struct_size, valid until unload, or NULL
       when the host has no such extension. id is NUL-terminated, never NULL.
       This host defines no extension yet: every id returns NULL. */
    const void *(*get_host_extension)(const char *id);
} sb_host_info;

/* --------------------------------------------------------- plugin table */

typedef struct sb_plugin {
    uint32_t struct_size;
    uint32_t abi_major; /* the major version this table implements */
    uint32_t abi_minor; /* the plugin's minor version within it */
    const sb_provider_descriptor *descriptor; /* never NULL; static */

    /* Unless stated otherwise, every argument of the functions below is
       non-NULL and valid for the call only. */

    /* [load-thread] May be NULL. Called once after entry, before any other
       function. Non-SB_OK refuses the plugin; the error sink says why. host
       stays valid until unload. */
    sb_status (*init)(const sb_host_info *host, const sb_error_sink *err);

    /* [load-thread] May be NULL. Called once before unload, after every
       other call has returned and every stream has been closed. */
    void (*shutdown)(void);

    /* [any-thread] Never NULL. Builds the vendor HTTP request for a unified
       chat request, streaming or not (see "Host" at the top for what config
       and request are guaranteed to hold). */
    sb_status (*build_chat_request)(const sb_provider_config *config,
                                    const sb_chat_request *request,
                                    const sb_http_request_builder *out,
                                    const sb_error_sink *err);

    /* [any-thread] Never NULL. Turns a whole vendor response of any status
       into one unified chat.completion JSON object written to out (SB_OK),
       or a classified error (SB_ERR_UPSTREAM). Also called for a streaming
       request whose status was not 2xx, to classify the error. A v1.2
       plugin reports the token counts through response->usage when
       SB_TABLE_HAS(response, sb_http_response, usage) and it is non-NULL;
       the host then ignores the JSON's "usage" for counting. */
    sb_status (*parse_chat_response)(const sb_provider_config *config,
                                     const sb_http_response *response,
                                     const sb_sink *out,
                                     const sb_error_sink *err);

    /* [any-thread] NULL only without SB_CAP_STREAMING. Starts translating
       one streaming response whose status was 2xx. *stream receives
       plugin-owned state (non-NULL on SB_OK), or NULL on failure; stream
       itself is never NULL. */
    sb_status (*stream_open)(const sb_provider_config *config,
                             const sb_chat_request *request,
                             sb_stream **stream, const sb_error_sink *err);

    /* [stream] NULL only without SB_CAP_STREAMING. Feeds one de-framed
       event. Emits zero or more chunks and, from v1.2, reports usage through
       out->usage. Returns SB_OK to continue, SB_STREAM_END when the vendor
       signalled the end, or SB_ERR_UPSTREAM for a mid-stream vendor error
       (the host then shows an error event and closes the stream). */
    sb_status (*stream_event)(sb_stream *stream, const sb_stream_event *event,
                              const sb_chunk_sink *out,
                              const sb_error_sink *err);

    /* [stream] NULL only without SB_CAP_STREAMING. Called exactly once for
       every stream_open that returned SB_OK. Ends a stream and frees its
       state. out MAY BE NULL, and err may be NULL whenever out is (the host
       passes both NULL when it abandons a stream): when out is non-NULL
       the stream ran to its end and the plugin emits any final chunks (the
       client always gets one usage chunk, so the plugin emits one here
       unless the stream already carried it, and reports its final usage).
       When out is NULL the stream was abandoned (client gone, error,
       timeout): nothing is emitted and nothing reported, and the return
       value is ignored. The stream pointer is invalid afterwards. */
    sb_status (*stream_close)(sb_stream *stream, const sb_chunk_sink *out,
                              const sb_error_sink *err);

    /* [any-thread] NULL only without SB_CAP_MODEL_LISTING. Builds the
       request that lists the vendor's models. SB_ERR_UNSUPPORTED when the
       vendor has no such endpoint. */
    sb_status (*build_models_request)(const sb_provider_config *config,
                                      const sb_http_request_builder *out,
                                      const sb_error_sink *err);

    /* [any-thread] NULL only without SB_CAP_MODEL_LISTING. Parses the
       model-list response (any status) into model ids; response->usage is
       NULL here. */
    sb_status (*parse_models_response)(const sb_provider_config *config,
                                       const sb_http_response *response,
                                       const sb_model_sink *out,
                                       const sb_error_sink *err);

    /* [thread-safe] May be NULL. Optional features by versioned id
       ("sb.model_lifecycle/1", "sb.embeddings/1" from v1.3; third parties
       use reverse DNS). id is
       NUL-terminated, never NULL. Returns a const table valid until unload,
       or NULL when unknown. */
    const void *(*get_extension)(const char *id);

    /* ---- appended in v1.1: read only when struct_size covers it ---- */

    /* [any-thread] May be NULL. The plugin's own health checks, run by
       `switchboard plugin check` (never on the request path). SB_OK when
       healthy; otherwise the error sink says what is wrong. */
    sb_status (*self_check)(const sb_error_sink *err);
} sb_plugin;

/* ------------------------------------- extension: sb.model_lifecycle/1 */

/* What a plugin knows of the models its vendor has deprecated or retired,
   from the vendor's own deprecation notices. Returned by
   get_extension(SB_EXT_MODEL_LIFECYCLE) as a const sb_model_lifecycle *,
   static and valid until unload; the host reads it once at load.
   The host, not the plugin, turns dates into a status against today's date:
   retired from `retired_on`, deprecated from `deprecated_on`. */
#define SB_EXT_MODEL_LIFECYCLE "sb.model_lifecycle/1"

typedef struct sb_model_lifecycle_entry {
    uint32_t struct_size;
    sb_str model;         /* the vendor's model id, as sent in requests */
    sb_str deprecated_on; /* "YYYY-MM-DD" (UTC) the vendor deprecated it; empty: not announced */
    sb_str retired_on;    /* "YYYY-MM-DD" (UTC) from which requests fail; empty: not announced */
    sb_str successor;     /* the vendor's recommended replacement; may be empty */
    sb_str source;        /* the URL of the vendor's notice */
} sb_model_lifecycle_entry;

typedef struct sb_model_lifecycle {
    uint32_t struct_size;
    /* static; may be NULL only when entry_count is 0 */
    const sb_model_lifecycle_entry *entries;
    size_t entry_count;
    /* sizeof one entry as the plugin built it: the host steps through
       `entries` by it and reads each entry by its struct_size. */
    size_t entry_size;
} sb_model_lifecycle;

/* ------------------------------------------------- extension: sb.native/1 */

/* Client dialects the plugin takes natively: a request the client wrote in
   its vendor's own API goes to the vendor as written (only the model and the
   credentials replaced), and the vendor's answer, status, body and stream
   bytes, goes back to the client unchanged. Nothing is lost in between:
   prompt caching, signed thinking and block types newer than the host pass
   through. The host still owns the I/O, retries, limits and accounting; the
   plugin only builds the vendor request. Returned by
   get_extension(SB_EXT_NATIVE) as a const sb_native *, static and valid
   until unload; the host reads it once at load. */
#define SB_EXT_NATIVE "sb.native/1"

/* The dialect ids the host knows (the client API it serves, by path). */
#define SB_DIALECT_ANTHROPIC_MESSAGES "anthropic.messages" /* POST /v1/messages[/count_tokens] */
#define SB_DIALECT_OPENAI_RESPONSES "openai.responses"     /* POST /v1/responses */

/* One client request to send natively. Views valid for the call only. */
typedef struct sb_native_request {
    uint32_t struct_size;
    sb_str dialect;   /* one of the plugin's sb_native.dialects */
    /* The client's operation: its path below /v1 ("/messages",
       "/messages/count_tokens", "/responses"). A plugin refuses one it does
       not know with SB_ERR_UNSUPPORTED (the host then answers 501 or
       translates). */
    sb_str operation;
    /* The client's JSON body with "model" replaced by config.model; otherwise
       as the client sent it. Never empty. */
    sb_str body_json;
    /* The client's headers of the dialect the vendor may need
       ("anthropic-version", "anthropic-beta", "openai-beta"), names
       lower-case; never auth or hop-by-hop headers. May be NULL only when
       header_count is 0. */
    const sb_header *headers;
    size_t header_count;
    int32_t stream; /* nonzero: the client asked for a stream */
} sb_native_request;

typedef struct sb_native {
    uint32_t struct_size;
    /* static dialect ids (SB_DIALECT_*); may be NULL only when dialect_count
       is 0 */
    const sb_str *dialects;
    size_t dialect_count;
    /* [any-thread] never NULL. Builds the vendor request for request (the
       same config guarantees as build_chat_request). The host sends it and
       relays the answer as received. */
    sb_status (*build_native_request)(const sb_provider_config *config,
                                      const sb_native_request *request,
                                      const sb_http_request_builder *out,
                                      const sb_error_sink *err);
} sb_native;

/* ------------------------------------------ extension: sb.embeddings/1 */

/* Embeddings (v1.3): the plugin translates OpenAI embeddings requests to its
   vendor and the vendor's answers back. Returned by
   get_extension(SB_EXT_EMBEDDINGS) as a const sb_embeddings *, static and
   valid until unload; the host reads the table once at load and only from a
   plugin whose sb_plugin.abi_minor is 3 or more (an older plugin, or one
   that returns NULL, "does not support embeddings": the host answers 400).
   The host, not the plugin, splits a client's inputs into batches of at most
   max_batch, joins the answers in order, and encodes the vectors
   (encoding_format "float" or "base64"); the plugin always produces floats.

   What the host guarantees to build_embeddings_request (checked before the
   call, so a plugin need not re-check it):
     - config as for build_chat_request: model and api_base non-empty, api_key
       non-empty with SB_CAP_REQUIRES_API_KEY; config.model is the vendor's
       embedding model name, never "provider/model";
     - request.body_json is a JSON object in OpenAI's embeddings shape:
       "model" (config.model); "input", ALWAYS an array, of request.input_count
       (1..max_batch, or any count >= 1 when max_batch is 0) non-empty strings,
       or of non-empty arrays of non-negative integer token ids (only to a
       plugin with SB_EMBED_TOKEN_INPUT); "dimensions", a positive integer,
       only to a plugin with SB_EMBED_DIMENSIONS; "user" when the client sent
       one; and every other member of the client's request as it came
       (provider-specific fields, e.g. Cohere's "input_type"). Never
       "encoding_format": the host encodes.
   What the plugin produces in parse_embeddings_response, for a 2xx answer:
   one JSON object in OpenAI's shape,
     {"object":"list","model":"<vendor model>",
      "data":[{"object":"embedding","index":<i>,"embedding":[<number>,...]},...],
      "usage":{"prompt_tokens":<n>,"total_tokens":<n>}}
   with exactly one entry per input, index i (0-based) naming the input
   within this batch, and the vector as JSON numbers (float32 precision is
   enough); "usage" may be absent when the vendor gives no count. The input
   token count is reported typed through response->usage (prompt_tokens;
   completion_tokens 0), which is non-NULL in parse_embeddings_response: the
   host reads counts only from there, never from the JSON. Any other status
   is a classified error (SB_ERR_UPSTREAM), as for parse_chat_response. */
#define SB_EXT_EMBEDDINGS "sb.embeddings/1"

/* Bits of sb_embeddings.flags. Unknown bits are ignored. */
/* "input" may hold arrays of token ids (the vendor takes them). */
#define SB_EMBED_TOKEN_INPUT (1ull << 0)
/* "dimensions" is honoured (the vendor shortens vectors on request). */
#define SB_EMBED_DIMENSIONS (1ull << 1)

/* One batch to embed. Filled by the host; views valid for the call only. */
typedef struct sb_embeddings_request {
    uint32_t struct_size;
    sb_str body_json;   /* never empty; see the guarantees above */
    size_t input_count; /* entries in body_json's "input", >= 1 */
} sb_embeddings_request;

typedef struct sb_embeddings {
    uint32_t struct_size;
    /* The embedding model ids the plugin knows (static; may be NULL only
       when model_count is 0). The host lists them in /v1/models and the
       provider list; a client may still name any other model. */
    const sb_str *models;
    size_t model_count;
    /* The model used when a client names the provider without a model
       ("cohere/"); may be empty (then the client must name one). */
    sb_str default_model;
    /* The most inputs the vendor takes in one request; 0: no limit known.
       The host never sends more in one call. */
    size_t max_batch;
    uint64_t flags; /* SB_EMBED_* bits */

    /* [any-thread] Never NULL. Builds the vendor request for one batch, as
       build_chat_request does (set_method and set_url once each, headers and
       body any number of times, the key only where the vendor wants it).
       SB_ERR_INVALID_ARGUMENT (kind INVALID_REQUEST) for a request the
       vendor cannot take, with a message naming the field. */
    sb_status (*build_embeddings_request)(const sb_provider_config *config,
                                          const sb_embeddings_request *request,
                                          const sb_http_request_builder *out,
                                          const sb_error_sink *err);

    /* [any-thread] Never NULL. Turns a whole vendor response of any status
       into the OpenAI-shaped list above, written to out (SB_OK), or a
       classified error (SB_ERR_UPSTREAM). Reports the input token count
       through response->usage (non-NULL here). */
    sb_status (*parse_embeddings_response)(const sb_provider_config *config,
                                           const sb_http_response *response,
                                           const sb_sink *out,
                                           const sb_error_sink *err);
} sb_embeddings;

/* Whether a table of the given struct_size includes field (for reading
   fields appended after v1.0). table must be non-NULL. */
#define SB_TABLE_HAS(table, type, field) \
    ((table)->struct_size >= offsetof(type, field) + sizeof((table)->field))

/* [load-thread] The entry point. The host passes the inclusive range of
   major versions it speaks; the plugin picks the highest one it implements
   within it, stores its table (static storage, valid until unload) in
   *plugin and returns SB_OK, or returns SB_ERR_VERSION. Called once per
   load. host and plugin are never NULL; host stays valid until unload. */
typedef sb_status (*sb_entry_fn)(const sb_host_info *host,
                                 uint32_t abi_major_min, uint32_t abi_major_max,
                                 const sb_plugin **plugin);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SWITCHBOARD_PROVIDER_ABI_H */
