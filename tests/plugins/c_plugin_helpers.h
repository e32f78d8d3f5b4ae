/*
 * Small helpers the plain-C test plugins share (c_echo.c, tests/abi/usage_echo.c).
 * Include after <switchboard/provider_abi.h>, of whichever version the plugin
 * is built against: they use only what v1.0 already had.
 */
#ifndef SB_TEST_C_PLUGIN_HELPERS_H
#define SB_TEST_C_PLUGIN_HELPERS_H

#include <string.h>

/* An sb_str initializer for a string literal. */
#define LIT(s) { s, sizeof(s) - 1 }

static inline sb_str lit(const char *s) {
    sb_str r;
    r.ptr = s;
    r.len = strlen(s);
    return r;
}

static inline void report(const sb_error_sink *err, sb_error_kind kind, int32_t status, const char *msg) {
    if (err && err->report) err->report(err->ctx, kind, status, lit(msg));
}

/* Defines the entry point, handing out table_ptr for major version
   SB_ABI_VERSION_MAJOR only. */
#define SB_TEST_C_PLUGIN_ENTRY(table_ptr)                                                             \
    SB_PLUGIN_EXPORT sb_status switchboard_plugin_entry(const sb_host_info *host, uint32_t abi_major_min, \
                                                        uint32_t abi_major_max, const sb_plugin **plugin) { \
        (void)host;                                                                                   \
        if (abi_major_min > SB_ABI_VERSION_MAJOR || abi_major_max < SB_ABI_VERSION_MAJOR)             \
            return SB_ERR_VERSION;                                                                    \
        *plugin = (table_ptr);                                                                        \
        return SB_OK;                                                                                 \
    }

#endif
