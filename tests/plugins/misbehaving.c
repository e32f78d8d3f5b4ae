/*
 * misbehaving: a plain-C99 test plugin, OpenAI-compatible pass-through like
 * c_echo, that misbehaves in build_chat_request when the request carries a
 * magic word (in any message), for the process-isolation tests:
 *   SB_TEST_CRASH  writes through a null pointer (SIGSEGV);
 *   SB_TEST_HANG   loops forever;
 *   SB_TEST_HOG    allocates and touches memory until it gets none, then
 *                  aborts (as a plugin that does not check would crash).
 * Any other request goes out unchanged. Loaded in-process it takes the
 * daemon down with it: the tests load it isolated only.
 */
#include <switchboard/provider_abi.h>

#include "c_plugin_helpers.h"

#include <stdlib.h>
#include <string.h>

static int contains(sb_str text, const char *word) {
    size_t n = strlen(word), i;
    for (i = 0; text.ptr && i + n <= text.len; ++i)
        if (memcmp(text.ptr + i, word, n) == 0) return 1;
    return 0;
}

static void misbehave(sb_str body) {
    if (contains(body, "SB_TEST_CRASH")) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    }
    if (contains(body, "SB_TEST_HANG")) {
        volatile unsigned long spins = 0;
        for (;;) ++spins;
    }
    if (contains(body, "SB_TEST_HOG")) {
        for (;;) {
            char *block = (char *)malloc(1u << 20);
            if (!block) abort();
            memset(block, 1, 1u << 20);
        }
    }
}

static sb_status build_chat_request(const sb_provider_config *config, const sb_chat_request *request,
                                    const sb_http_request_builder *out, const sb_error_sink *err) {
    char url[2048];
    const char path[] = "/chat/completions";
    sb_str u;
    misbehave(request->body_json);
    if (config->api_base.len == 0 || config->api_base.len + sizeof path > sizeof url) {
        report(err, SB_ERROR_NOT_CONFIGURED, 0, "misbehaving provider has no usable API base");
        return SB_ERR_NOT_CONFIGURED;
    }
    memcpy(url, config->api_base.ptr, config->api_base.len);
    memcpy(url + config->api_base.len, path, sizeof path - 1);
    u.ptr = url;
    u.len = config->api_base.len + sizeof path - 1;
    out->set_method(out->ctx, lit("POST"));
    out->set_url(out->ctx, u);
    out->add_header(out->ctx, lit("Content-Type"), lit("application/json"));
    out->append_body(out->ctx, request->body_json.ptr, request->body_json.len);
    return SB_OK;
}

static sb_status parse_chat_response(const sb_provider_config *config, const sb_http_response *response,
                                     const sb_sink *out, const sb_error_sink *err) {
    (void)config;
    if (response->status < 200 || response->status > 299) {
        report(err, SB_ERROR_UPSTREAM, response->status, "misbehaving upstream failed");
        return SB_ERR_UPSTREAM;
    }
    out->write(out->ctx, response->body.ptr, response->body.len);
    return SB_OK;
}

static const sb_provider_descriptor descriptor = {
    sizeof(sb_provider_descriptor), LIT("misbehaving"), LIT("Misbehaving"), LIT("1.0.0"), { NULL, 0 },
    { NULL, 0 }, LIT("MISBEHAVING_API_KEY"), LIT("MISBEHAVING_MODEL"), LIT("MISBEHAVING_API_BASE"),
    0, SB_FRAMING_SSE, NULL, 0, { NULL, 0 }, { NULL, 0 } };

static const sb_plugin table = {
    sizeof(sb_plugin), SB_ABI_VERSION_MAJOR, SB_ABI_VERSION_MINOR, &descriptor, NULL, NULL,
    build_chat_request, parse_chat_response, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

SB_TEST_C_PLUGIN_ENTRY(&table)
