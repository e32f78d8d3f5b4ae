/* wrong_major: implements only ABI major 2. The host's v1 range is refused
   with SB_ERR_VERSION; a range including 2 gets a table with abi_major=2. */
#include <switchboard/provider_abi.h>

#include <stddef.h>

#define LIT(s) { s, sizeof(s) - 1 }

static const sb_provider_descriptor descriptor = {
    sizeof(sb_provider_descriptor), LIT("wrongmajor"), LIT("Wrong Major"), LIT("2.0.0"),
    { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 }, 0, SB_FRAMING_SSE, NULL, 0, { NULL, 0 }, { NULL, 0 } };

static const sb_plugin table = {
    sizeof(sb_plugin), 2, 0, &descriptor, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

SB_PLUGIN_EXPORT sb_status switchboard_plugin_entry(const sb_host_info *host, uint32_t abi_major_min,
                                                    uint32_t abi_major_max, const sb_plugin **plugin) {
    (void)host;
    if (abi_major_min > 2 || abi_major_max < 2) return SB_ERR_VERSION;
    *plugin = &table;
    return SB_OK;
}
