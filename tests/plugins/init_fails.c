/* init_fails: a valid plugin whose init refuses to load. */
#include <switchboard/provider_abi.h>

#include <stddef.h>
#include <string.h>

#define LIT(s) { s, sizeof(s) - 1 }

static sb_status init(const sb_host_info *host, const sb_error_sink *err) {
    static const char msg[] = "init refused: missing resource";
    sb_str m;
    (void)host;
    m.ptr = msg;
    m.len = sizeof msg - 1;
    if (err && err->report) err->report(err->ctx, SB_ERROR_NOT_CONFIGURED, 0, m);
    return SB_ERR_NOT_CONFIGURED;
}

static sb_status unsupported_build(const sb_provider_config *c, const sb_chat_request *r,
                                   const sb_http_request_builder *o, const sb_error_sink *e) {
    (void)c; (void)r; (void)o; (void)e;
    return SB_ERR_UNSUPPORTED;
}

static sb_status unsupported_parse(const sb_provider_config *c, const sb_http_response *r,
                                   const sb_sink *o, const sb_error_sink *e) {
    (void)c; (void)r; (void)o; (void)e;
    return SB_ERR_UNSUPPORTED;
}

static sb_status unsupported_open(const sb_provider_config *c, const sb_chat_request *r, sb_stream **s,
                                  const sb_error_sink *e) {
    (void)c; (void)r; (void)e;
    *s = NULL;
    return SB_ERR_UNSUPPORTED;
}

static sb_status unsupported_event(sb_stream *s, const sb_stream_event *ev, const sb_chunk_sink *o,
                                   const sb_error_sink *e) {
    (void)s; (void)ev; (void)o; (void)e;
    return SB_ERR_UNSUPPORTED;
}

static sb_status unsupported_close(sb_stream *s, const sb_chunk_sink *o, const sb_error_sink *e) {
    (void)s; (void)o; (void)e;
    return SB_ERR_UNSUPPORTED;
}

static sb_status unsupported_models(const sb_provider_config *c, const sb_http_request_builder *o,
                                    const sb_error_sink *e) {
    (void)c; (void)o; (void)e;
    return SB_ERR_UNSUPPORTED;
}

static sb_status unsupported_parse_models(const sb_provider_config *c, const sb_http_response *r,
                                          const sb_model_sink *o, const sb_error_sink *e) {
    (void)c; (void)r; (void)o; (void)e;
    return SB_ERR_UNSUPPORTED;
}

static const sb_provider_descriptor descriptor = {
    sizeof(sb_provider_descriptor), LIT("initfails"), LIT("Init Fails"), LIT("1.0.0"),
    { NULL, 0 }, { NULL, 0 }, LIT("INITFAILS_API_KEY"), LIT("INITFAILS_MODEL"), LIT("INITFAILS_API_BASE"),
    0, SB_FRAMING_SSE, NULL, 0, { NULL, 0 }, { NULL, 0 } };

static const sb_plugin table = {
    sizeof(sb_plugin), SB_ABI_VERSION_MAJOR, SB_ABI_VERSION_MINOR, &descriptor, init, NULL,
    unsupported_build, unsupported_parse, unsupported_open, unsupported_event, unsupported_close,
    unsupported_models, unsupported_parse_models, NULL, NULL };

SB_PLUGIN_EXPORT sb_status switchboard_plugin_entry(const sb_host_info *host, uint32_t abi_major_min,
                                                    uint32_t abi_major_max, const sb_plugin **plugin) {
    (void)host;
    if (abi_major_min > SB_ABI_VERSION_MAJOR || abi_major_max < SB_ABI_VERSION_MAJOR) return SB_ERR_VERSION;
    *plugin = &table;
    return SB_OK;
}
