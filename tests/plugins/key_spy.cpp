// key_spy: a test plugin that stands in front of another one and records
// every API key the host hands to it. At entry it loads the plugin file named
// by SB_KEY_SPY_TARGET, presents that plugin's own table, descriptor and
// extensions to the host, and wraps every function that receives an
// sb_provider_config (build_chat_request, parse_chat_response, stream_open,
// build_models_request, parse_models_response, sb.native/1's
// build_native_request, sb.embeddings/1's two functions): each call is
// counted and a non-empty api_key remembered before the call goes through.
// The host reads the record through the extension "sb.test.key_spy/1".
//
// It proves what a plugin is given, whatever the plugin itself does with it:
// tests/unit/plugin_keys_test.cpp puts it in front of every in-tree plugin.
#include <switchboard/provider_abi.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

// What the spy answers for "sb.test.key_spy/1".
struct sb_test_key_spy {
    uint32_t struct_size;
    // Calls that received a config so far.
    size_t (*calls)(void);
    // The keys received so far, one per line, copied into buf (at most cap
    // bytes); returns their total length.
    size_t (*keys)(char *buf, size_t cap);
};

namespace {

const sb_plugin *target = nullptr;
sb_plugin table{};
sb_native native{};
sb_embeddings embeddings{};

std::mutex record_mutex;
size_t call_count = 0;
std::string keys_seen;

void record(const sb_provider_config *config) {
    std::lock_guard lock(record_mutex);
    ++call_count;
    if (config->api_key.len > 0) {
        keys_seen.append(config->api_key.ptr, config->api_key.len);
        keys_seen += '\n';
    }
}

size_t calls() {
    std::lock_guard lock(record_mutex);
    return call_count;
}

size_t keys(char *buf, size_t cap) {
    std::lock_guard lock(record_mutex);
    std::memcpy(buf, keys_seen.data(), std::min(cap, keys_seen.size()));
    return keys_seen.size();
}

const sb_test_key_spy spy{sizeof(sb_test_key_spy), &calls, &keys};

sb_status build_chat_request(const sb_provider_config *config, const sb_chat_request *request,
                             const sb_http_request_builder *out, const sb_error_sink *err) {
    record(config);
    return target->build_chat_request(config, request, out, err);
}

sb_status parse_chat_response(const sb_provider_config *config, const sb_http_response *response,
                              const sb_sink *out, const sb_error_sink *err) {
    record(config);
    return target->parse_chat_response(config, response, out, err);
}

sb_status stream_open(const sb_provider_config *config, const sb_chat_request *request,
                      sb_stream **stream, const sb_error_sink *err) {
    record(config);
    return target->stream_open(config, request, stream, err);
}

sb_status build_models_request(const sb_provider_config *config, const sb_http_request_builder *out,
                               const sb_error_sink *err) {
    record(config);
    return target->build_models_request(config, out, err);
}

sb_status parse_models_response(const sb_provider_config *config, const sb_http_response *response,
                                const sb_model_sink *out, const sb_error_sink *err) {
    record(config);
    return target->parse_models_response(config, response, out, err);
}

const sb_native *target_native = nullptr;
const sb_embeddings *target_embeddings = nullptr;

sb_status build_native_request(const sb_provider_config *config, const sb_native_request *request,
                               const sb_http_request_builder *out, const sb_error_sink *err) {
    record(config);
    return target_native->build_native_request(config, request, out, err);
}

sb_status build_embeddings_request(const sb_provider_config *config,
                                   const sb_embeddings_request *request,
                                   const sb_http_request_builder *out, const sb_error_sink *err) {
    record(config);
    return target_embeddings->build_embeddings_request(config, request, out, err);
}

sb_status parse_embeddings_response(const sb_provider_config *config,
                                    const sb_http_response *response, const sb_sink *out,
                                    const sb_error_sink *err) {
    record(config);
    return target_embeddings->parse_embeddings_response(config, response, out, err);
}

// A copy of the target's table t (as long as both know it), with the
// functions that take a config wrapped.
template <class Table>
Table *copy_of(const void *t, Table &into) {
    const auto *from = static_cast<const Table *>(t);
    const size_t n = std::min<size_t>(from->struct_size, sizeof(Table));
    std::memcpy(&into, from, n);
    into.struct_size = static_cast<uint32_t>(n);
    return &into;
}

const void *get_extension(const char *id) {
    if (std::strcmp(id, "sb.test.key_spy/1") == 0) return &spy;
    const void *t = target->get_extension ? target->get_extension(id) : nullptr;
    if (!t) return nullptr;
    if (std::strcmp(id, SB_EXT_NATIVE) == 0) {
        target_native = static_cast<const sb_native *>(t);
        sb_native *n = copy_of(t, native);
        if (SB_TABLE_HAS(n, sb_native, build_native_request) && n->build_native_request)
            n->build_native_request = &build_native_request;
        return n;
    }
    if (std::strcmp(id, SB_EXT_EMBEDDINGS) == 0) {
        target_embeddings = static_cast<const sb_embeddings *>(t);
        sb_embeddings *e = copy_of(t, embeddings);
        if (SB_TABLE_HAS(e, sb_embeddings, parse_embeddings_response)) {
            if (e->build_embeddings_request)
                e->build_embeddings_request = &build_embeddings_request;
            if (e->parse_embeddings_response)
                e->parse_embeddings_response = &parse_embeddings_response;
        }
        return e;
    }
    return t;
}

}  // namespace

extern "C" SB_PLUGIN_EXPORT sb_status switchboard_plugin_entry(const sb_host_info *host,
                                                               uint32_t abi_major_min,
                                                               uint32_t abi_major_max,
                                                               const sb_plugin **plugin) {
    const char *file = std::getenv("SB_KEY_SPY_TARGET");
    if (!file) return SB_ERR_INTERNAL;
    void *library = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!library) return SB_ERR_INTERNAL;
    auto entry = reinterpret_cast<sb_entry_fn>(dlsym(library, SB_ENTRY_SYMBOL));
    if (!entry) return SB_ERR_INTERNAL;
    const sb_status st = entry(host, abi_major_min, abi_major_max, &target);
    if (st != SB_OK || !target) return st != SB_OK ? st : SB_ERR_INTERNAL;
    copy_of(target, table);
    table.build_chat_request = &build_chat_request;
    table.parse_chat_response = &parse_chat_response;
    if (table.stream_open) table.stream_open = &stream_open;
    if (table.build_models_request) table.build_models_request = &build_models_request;
    if (table.parse_models_response) table.parse_models_response = &parse_models_response;
    table.get_extension = &get_extension;
    *plugin = &table;
    return SB_OK;
}
