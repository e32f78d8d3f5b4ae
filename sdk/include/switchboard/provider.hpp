// Header-only C++17 helper over provider_abi.h: a plugin author derives from
// switchboard::sdk::Provider, writes a static descriptor, and puts
// SWITCHBOARD_EXPORT_PROVIDER(MyProvider) in one source file. Every exception
// is caught here, at the ABI boundary, and turned into a status plus an error
// report; nothing C++ crosses the boundary.
#ifndef SWITCHBOARD_PROVIDER_HPP
#define SWITCHBOARD_PROVIDER_HPP

#include <switchboard/provider_abi.h>
#include <switchboard/usage_json.hpp>

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::sdk {

constexpr sb_str to_sb(std::string_view s) noexcept { return sb_str{s.data(), s.size()}; }
inline std::string_view to_sv(sb_str s) noexcept {
    return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

// Throw this from any Provider method to report a classified failure.
struct ProviderError : std::exception {
    ProviderError(sb_status status, sb_error_kind kind, std::string message, int32_t http_status = 0)
        : status(status), kind(kind), http_status(http_status), message(std::move(message)) {}
    const char *what() const noexcept override { return message.c_str(); }
    sb_status status;
    sb_error_kind kind;
    int32_t http_status;
    std::string message;
};

inline ProviderError invalid_request(std::string message) {
    return ProviderError(SB_ERR_INVALID_ARGUMENT, SB_ERROR_INVALID_REQUEST, std::move(message));
}
inline ProviderError not_configured(std::string message) {
    return ProviderError(SB_ERR_NOT_CONFIGURED, SB_ERROR_NOT_CONFIGURED, std::move(message));
}
inline ProviderError upstream_error(sb_error_kind kind, int32_t http_status, std::string message) {
    return ProviderError(SB_ERR_UPSTREAM, kind, std::move(message), http_status);
}

// Token counts of one call (ABI v1.2): totals, not deltas; -1
// (SB_USAGE_UNKNOWN) for a count the vendor did not give. cached_tokens is
// the part of prompt_tokens served from the vendor's prompt cache,
// reasoning_tokens the part of completion_tokens spent on reasoning.
struct Usage {
    int64_t prompt_tokens = SB_USAGE_UNKNOWN;
    int64_t completion_tokens = SB_USAGE_UNKNOWN;
    int64_t cached_tokens = SB_USAGE_UNKNOWN;
    int64_t reasoning_tokens = SB_USAGE_UNKNOWN;

    sb_usage abi() const noexcept {
        return sb_usage{sizeof(sb_usage), prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens};
    }
};

namespace detail {

// Until a call (one parse_chat_response, or one stream) reports Usage itself,
// the helper reports what usage_from_json finds in the JSON the Provider
// produced, so a Provider written before v1.2 keeps its counts: at the end of
// each call into the plugin, and only while the call (the stream) has made
// no typed report. A Stream that reports Usage does so no later than in the
// event whose chunk carries it.
struct UsageReport {
    bool typed = false;
    bool found = false;  // scanned counts wait in `scanned`
    sb_usage scanned{};
};

// Sends u to the host's chunk sink; a no-op when the sink predates v1.2.
inline void send_usage(const sb_chunk_sink *sink, const sb_usage &u) {
    if (SB_TABLE_HAS(sink, sb_chunk_sink, usage) && sink->usage) sink->usage(sink->ctx, &u);
}

// Case-insensitive lookup in a header list; empty when absent.
inline std::string_view find_header(const sb_header *headers, size_t count, std::string_view name) {
    for (size_t i = 0; i < count; ++i) {
        std::string_view n = to_sv(headers[i].name);
        if (n.size() != name.size()) continue;
        bool same = true;
        for (size_t k = 0; k < n.size() && same; ++k) {
            char a = n[k], b = name[k];
            if (a >= 'A' && a <= 'Z') a = char(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = char(b - 'A' + 'a');
            same = a == b;
        }
        if (same) return to_sv(headers[i].value);
    }
    return {};
}

}  // namespace detail

// The descriptor's fields by name (sb_provider_descriptor is positional):
//     static constexpr sb_provider_descriptor d = sdk::describe(fields, models);
// Every view must point to static storage (string literals).
struct DescriptorFields {
    std::string_view id;
    std::string_view display_name;
    std::string_view plugin_version = "1.0.0";
    std::string_view default_model;
    std::string_view default_api_base;
    std::string_view env_api_key;
    std::string_view env_model;
    std::string_view env_api_base;
    uint64_t capabilities = 0;  // SB_CAP_* bits
    sb_stream_framing stream_framing = SB_FRAMING_SSE;
    // ABI v1.4: where the host writes the key, e.g. "authorization" with
    // "Bearer ". Set it and the plugin is never given the key (Config's
    // api_key is empty): the host adds the header to every request built.
    std::string_view credential_header;
    std::string_view credential_prefix;
};

// The descriptor for fields and a static list of count chat model ids.
constexpr sb_provider_descriptor describe(const DescriptorFields &f, const sb_str *models = nullptr,
                                          size_t count = 0) noexcept {
    return sb_provider_descriptor{sizeof(sb_provider_descriptor),
                                  to_sb(f.id),
                                  to_sb(f.display_name),
                                  to_sb(f.plugin_version),
                                  to_sb(f.default_model),
                                  to_sb(f.default_api_base),
                                  to_sb(f.env_api_key),
                                  to_sb(f.env_model),
                                  to_sb(f.env_api_base),
                                  f.capabilities,
                                  static_cast<int32_t>(f.stream_framing),
                                  count ? models : nullptr,
                                  count,
                                  to_sb(f.credential_header),
                                  to_sb(f.credential_prefix)};
}

template <size_t N>
constexpr sb_provider_descriptor describe(const DescriptorFields &f,
                                          const sb_str (&models)[N]) noexcept {
    return describe(f, models, N);
}

struct Config {
    std::string_view api_key;
    std::string_view api_base;
    std::string_view model;
};

struct HttpRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct HttpResponse {
    int status = 0;
    const sb_header *headers = nullptr;
    size_t header_count = 0;
    std::string_view body;
    // Where usage() goes: the host's sink, NULL for a host older than v1.2
    // and in parse_models_response.
    const sb_usage_sink *usage_sink = nullptr;
    detail::UsageReport *report = nullptr;

    // From parse_chat_response: the token counts of this response (ABI v1.2;
    // a no-op when the host predates it).
    void usage(const Usage &u) const {
        if (report) report->typed = true;
        if (!usage_sink || !usage_sink->report) return;
        sb_usage abi = u.abi();
        usage_sink->report(usage_sink->ctx, &abi);
    }

    // Case-insensitive lookup; empty when absent.
    std::string_view header(std::string_view name) const {
        return detail::find_header(headers, header_count, name);
    }
};

// A client request sent natively (extension sb.native/1): the client's own
// body, model already replaced, for the plugin to address and authenticate.
struct NativeRequest {
    std::string_view dialect;    // SB_DIALECT_*
    std::string_view operation;  // the client's path below /v1, e.g. "/messages"
    std::string_view body_json;
    const sb_header *headers = nullptr;  // the dialect's client headers (lower-case names)
    size_t header_count = 0;
    bool stream = false;

    // Case-insensitive lookup; empty when absent.
    std::string_view header(std::string_view name) const {
        return detail::find_header(headers, header_count, name);
    }
};

class ChunkWriter {
public:
    explicit ChunkWriter(const sb_chunk_sink *sink, detail::UsageReport *report = nullptr)
        : sink_(sink), report_(report) {}
    void emit(std::string_view json) const {
        sink_->emit(sink_->ctx, json.data(), json.size());
        if (report_ && !report_->typed) {
            sb_usage found = usage_from_json(json);
            if (any_known(found)) {
                report_->scanned = found;
                report_->found = true;
            }
        }
    }
    // The stream's token counts so far (ABI v1.2): call it whenever they
    // change; a count left at -1 keeps what an earlier call reported. A no-op
    // when the host's sink predates v1.2.
    void usage(const Usage &u) const {
        if (report_) report_->typed = true;
        detail::send_usage(sink_, u.abi());
    }

private:
    const sb_chunk_sink *sink_;
    detail::UsageReport *report_;
};

struct ModelEntry {
    std::string id;
    std::string display_name;
};

// State of one streaming response.
class Stream {
public:
    virtual ~Stream() = default;
    // Returns true when the vendor signalled the end of the stream.
    virtual bool on_event(std::string_view event, std::string_view data, const ChunkWriter &out) = 0;
    // Emits the final chunks (usage at least) of a stream that ran to its end.
    virtual void finish(const ChunkWriter &out) = 0;
    // True when the stream reports its token counts with ChunkWriter::usage():
    // its chunks are then never searched for a "usage" member. False (the
    // default) keeps that search, for streams that only write usage in JSON.
    virtual bool reports_usage() const { return false; }
};

class Provider {
public:
    virtual ~Provider() = default;
    // Throw to refuse loading.
    virtual void init(const sb_host_info & /*host*/) {}
    virtual HttpRequest build_chat_request(const Config &config, std::string_view body_json,
                                           bool stream) = 0;
    // Any status: return the unified chat.completion JSON or throw. Report
    // the token counts with response.usage(Usage) (ABI v1.2).
    virtual std::string parse_chat_response(const Config &config, const HttpResponse &response) = 0;
    virtual std::unique_ptr<Stream> open_stream(const Config & /*config*/,
                                                std::string_view /*body_json*/) {
        throw ProviderError(SB_ERR_UNSUPPORTED, SB_ERROR_INVALID_REQUEST,
                            "this provider does not support streaming");
    }
    // std::nullopt when the vendor has no model-list endpoint.
    virtual std::optional<HttpRequest> build_models_request(const Config & /*config*/) {
        return std::nullopt;
    }
    virtual std::vector<ModelEntry> parse_models_response(const Config & /*config*/,
                                                          const HttpResponse & /*response*/) {
        throw ProviderError(SB_ERR_UNSUPPORTED, SB_ERROR_UPSTREAM,
                            "this provider cannot list models");
    }
    // Optional tables by versioned id (provider_abi.h): sb.model_lifecycle/1,
    // sb.embeddings/1 (see embeddings_extension below); nullptr when unknown.
    virtual const void *extension(const char * /*id*/) { return nullptr; }
    // The vendor request for a client request in one of the dialects the
    // plugin declares through native_extension() (sb.native/1). Throw
    // ProviderError(SB_ERR_UNSUPPORTED, ...) for an operation it does not know.
    virtual HttpRequest build_native_request(const Config & /*config*/, const NativeRequest & /*request*/) {
        throw ProviderError(SB_ERR_UNSUPPORTED, SB_ERROR_INVALID_REQUEST,
                            "this provider takes no client dialect natively");
    }
    // Throw to report a problem to `switchboard plugin check` (ABI v1.1).
    virtual void self_check() {}
};

namespace detail {

inline void report(const sb_error_sink *err, sb_error_kind kind, int32_t http_status,
                   std::string_view message) noexcept {
    if (err && err->report) err->report(err->ctx, kind, http_status, to_sb(message));
}

// Runs fn and converts every exception into a status plus an error report.
template <class Fn>
sb_status guarded(const sb_error_sink *err, Fn &&fn) noexcept {
    try {
        return fn();
    } catch (const ProviderError &e) {
        report(err, e.kind, e.http_status, e.message);
        return e.status;
    } catch (const std::bad_alloc &) {
        report(err, SB_ERROR_UPSTREAM, 0, "plugin out of memory");
        return SB_ERR_INTERNAL;
    } catch (const std::exception &e) {
        report(err, SB_ERROR_UPSTREAM, 0, e.what());
        return SB_ERR_INTERNAL;
    } catch (...) {
        report(err, SB_ERROR_UPSTREAM, 0, "unknown plugin failure");
        return SB_ERR_INTERNAL;
    }
}

inline Config to_config(const sb_provider_config *c) {
    return Config{to_sv(c->api_key), to_sv(c->api_base), to_sv(c->model)};
}

inline HttpResponse to_response(const sb_http_response *r, UsageReport *report = nullptr) {
    const sb_usage_sink *sink = SB_TABLE_HAS(r, sb_http_response, usage) ? r->usage : nullptr;
    return HttpResponse{r->status, r->headers, r->header_count, to_sv(r->body), sink, report};
}

// The plugin's descriptor, recorded at entry: where its credential goes.
inline const sb_provider_descriptor *&own_descriptor() noexcept {
    static const sb_provider_descriptor *d = nullptr;
    return d;
}

// A host of ABI v1.4 or later never gives a plugin that declares
// credential_header the key, and writes the header itself; an older host
// gives it the key. Then the helper writes the header the newer host would.
inline void place_credential(const sb_provider_config *config, const sb_http_request_builder *out) {
    const sb_provider_descriptor *d = own_descriptor();
    if (!d || !SB_TABLE_HAS(d, sb_provider_descriptor, credential_prefix)) return;
    if (config->api_key.len == 0 || d->credential_header.len == 0) return;
    std::string value(to_sv(d->credential_prefix));
    value += to_sv(config->api_key);
    out->add_header(out->ctx, d->credential_header, to_sb(value));
}

inline void write_request(const HttpRequest &req, const sb_provider_config *config,
                          const sb_http_request_builder *out) {
    out->set_method(out->ctx, to_sb(req.method));
    out->set_url(out->ctx, to_sb(req.url));
    for (const auto &h : req.headers) out->add_header(out->ctx, to_sb(h.first), to_sb(h.second));
    place_credential(config, out);
    if (!req.body.empty()) out->append_body(out->ctx, req.body.data(), req.body.size());
}

// The counts found in this call's chunks, unless the stream reports its own.
inline void send_scanned_usage(UsageReport &report, const sb_chunk_sink *out) {
    if (!report.typed && report.found) send_usage(out, report.scanned);
    report.found = false;
}

struct StreamBox {
    std::unique_ptr<Stream> impl;
    UsageReport report;
};

template <class P>
struct Adapter {
    static P &instance() {
        static P provider;
        return provider;
    }

    static sb_status init(const sb_host_info *host, const sb_error_sink *err) {
        return guarded(err, [&] {
            instance().init(*host);
            return SB_OK;
        });
    }

    static sb_status build_chat_request(const sb_provider_config *config,
                                        const sb_chat_request *request,
                                        const sb_http_request_builder *out,
                                        const sb_error_sink *err) {
        return guarded(err, [&] {
            HttpRequest req = instance().build_chat_request(
                to_config(config), to_sv(request->body_json), request->stream != 0);
            write_request(req, config, out);
            return SB_OK;
        });
    }

    static sb_status parse_chat_response(const sb_provider_config *config,
                                         const sb_http_response *response, const sb_sink *out,
                                         const sb_error_sink *err) {
        return guarded(err, [&] {
            UsageReport report;
            HttpResponse r = to_response(response, &report);
            std::string json = instance().parse_chat_response(to_config(config), r);
            out->write(out->ctx, json.data(), json.size());
            if (!report.typed) {
                sb_usage found = usage_from_json(json);
                if (any_known(found)) r.usage(Usage{found.prompt_tokens, found.completion_tokens,
                                                    found.cached_tokens, found.reasoning_tokens});
            }
            return SB_OK;
        });
    }

    static sb_status stream_open(const sb_provider_config *config, const sb_chat_request *request,
                                 sb_stream **stream, const sb_error_sink *err) {
        *stream = nullptr;
        return guarded(err, [&] {
            auto box = std::make_unique<StreamBox>();
            box->impl = instance().open_stream(to_config(config), to_sv(request->body_json));
            box->report.typed = box->impl->reports_usage();
            *stream = reinterpret_cast<sb_stream *>(box.release());
            return SB_OK;
        });
    }

    static sb_status stream_event(sb_stream *stream, const sb_stream_event *event,
                                  const sb_chunk_sink *out, const sb_error_sink *err) {
        return guarded(err, [&] {
            auto *box = reinterpret_cast<StreamBox *>(stream);
            bool ended =
                box->impl->on_event(to_sv(event->event), to_sv(event->data), ChunkWriter(out, &box->report));
            send_scanned_usage(box->report, out);
            return ended ? SB_STREAM_END : SB_OK;
        });
    }

    static sb_status stream_close(sb_stream *stream, const sb_chunk_sink *out,
                                  const sb_error_sink *err) {
        std::unique_ptr<StreamBox> box(reinterpret_cast<StreamBox *>(stream));
        if (!box || !out) return SB_OK;
        return guarded(err, [&] {
            box->impl->finish(ChunkWriter(out, &box->report));
            send_scanned_usage(box->report, out);
            return SB_OK;
        });
    }

    static sb_status build_models_request(const sb_provider_config *config,
                                          const sb_http_request_builder *out,
                                          const sb_error_sink *err) {
        return guarded(err, [&] {
            auto req = instance().build_models_request(to_config(config));
            if (!req) {
                report(err, SB_ERROR_UPSTREAM, 0, "this provider cannot list models");
                return SB_ERR_UNSUPPORTED;
            }
            write_request(*req, config, out);
            return SB_OK;
        });
    }

    static sb_status parse_models_response(const sb_provider_config *config,
                                           const sb_http_response *response,
                                           const sb_model_sink *out, const sb_error_sink *err) {
        return guarded(err, [&] {
            for (const auto &m : instance().parse_models_response(to_config(config), to_response(response)))
                out->add(out->ctx, to_sb(m.id), to_sb(m.display_name));
            return SB_OK;
        });
    }

    static const void *get_extension(const char *id) {
        try {
            return instance().extension(id);
        } catch (...) {
            return nullptr;
        }
    }

    static sb_status self_check(const sb_error_sink *err) {
        return guarded(err, [&] {
            instance().self_check();
            return SB_OK;
        });
    }

    static const sb_plugin &table() {
        static const sb_plugin t = {
            sizeof(sb_plugin), SB_ABI_VERSION_MAJOR, SB_ABI_VERSION_MINOR, &P::descriptor(),
            &init, nullptr, &build_chat_request, &parse_chat_response, &stream_open,
            &stream_event, &stream_close, &build_models_request, &parse_models_response,
            &get_extension, &self_check};
        return t;
    }

    static sb_status entry(const sb_host_info *, uint32_t major_min, uint32_t major_max,
                           const sb_plugin **plugin) noexcept {
        if (major_min > SB_ABI_VERSION_MAJOR || major_max < SB_ABI_VERSION_MAJOR) return SB_ERR_VERSION;
        own_descriptor() = &P::descriptor();
        *plugin = &table();
        return SB_OK;
    }
};

template <class P>
struct NativeAdapter {
    static sb_status build(const sb_provider_config *config, const sb_native_request *request,
                           const sb_http_request_builder *out, const sb_error_sink *err) {
        return guarded(err, [&] {
            NativeRequest native{to_sv(request->dialect), to_sv(request->operation), to_sv(request->body_json),
                                 request->headers, request->header_count, request->stream != 0};
            write_request(Adapter<P>::instance().build_native_request(to_config(config), native),
                          config, out);
            return SB_OK;
        });
    }
};

}  // namespace detail

// The sb.native/1 table of ProviderClass for its static dialect ids (return
// it from Provider::extension(SB_EXT_NATIVE)): the host then sends requests
// in those dialects through ProviderClass::build_native_request.
template <class ProviderClass, size_t N>
const sb_native *native_extension(const sb_str (&dialects)[N]) {
    static const sb_native table{sizeof(sb_native), dialects, N,
                                 &detail::NativeAdapter<ProviderClass>::build};
    return &table;
}

// ------------------------------------------------ embeddings (ABI v1.3)
//
// A provider whose vendor embeds offers sb.embeddings/1 (provider_abi.h says
// what the host guarantees and expects): write a class derived from
// Embedder with `static EmbeddingsInfo info()`, and answer the extension
// from Provider::extension():
//     if (auto *e = sdk::embeddings_extension<MyEmbedder>(id)) return e;
// The helper catches every exception at the boundary, as for chat.

// The facts of the table; models points to static storage.
struct EmbeddingsInfo {
    const sb_str *models = nullptr;  // the embedding model ids the plugin knows
    size_t model_count = 0;
    std::string_view default_model;  // for "provider/" without a model; may be empty
    size_t max_batch = 0;            // most inputs per vendor request; 0: no limit known
    uint64_t flags = 0;              // SB_EMBED_* bits
};

class Embedder {
public:
    virtual ~Embedder() = default;
    // One batch: body_json is OpenAI's embeddings request with "input"
    // always an array of input_count entries (provider_abi.h).
    virtual HttpRequest build_embeddings_request(const Config &config, std::string_view body_json,
                                                 size_t input_count) = 0;
    // Any status: the OpenAI-shaped list JSON, or throw. Report the input
    // token count with response.usage(Usage{prompt_tokens, 0}).
    virtual std::string parse_embeddings_response(const Config &config, const HttpResponse &response) = 0;
};

namespace detail {

template <class E>
struct EmbeddingsAdapter {
    static E &instance() {
        static E embedder;
        return embedder;
    }

    static sb_status build(const sb_provider_config *config, const sb_embeddings_request *request,
                           const sb_http_request_builder *out, const sb_error_sink *err) {
        return guarded(err, [&] {
            write_request(instance().build_embeddings_request(
                              to_config(config), to_sv(request->body_json), request->input_count),
                          config, out);
            return SB_OK;
        });
    }

    static sb_status parse(const sb_provider_config *config, const sb_http_response *response, const sb_sink *out,
                           const sb_error_sink *err) {
        return guarded(err, [&] {
            std::string json = instance().parse_embeddings_response(to_config(config), to_response(response));
            out->write(out->ctx, json.data(), json.size());
            return SB_OK;
        });
    }

    static const sb_embeddings &table() {
        static const EmbeddingsInfo info = E::info();
        static const sb_embeddings t = {sizeof(sb_embeddings), info.models,     info.model_count,
                                        to_sb(info.default_model), info.max_batch, info.flags,
                                        &build,                    &parse};
        return t;
    }
};

}  // namespace detail

// For Provider::extension(): E's table when id is sb.embeddings/1, else NULL.
template <class E>
const void *embeddings_extension(const char *id) {
    if (!id || std::strcmp(id, SB_EXT_EMBEDDINGS) != 0) return nullptr;
    return &detail::EmbeddingsAdapter<E>::table();
}

}  // namespace switchboard::sdk

// Defines the plugin's one exported symbol for ProviderClass, which must have
// `static const sb_provider_descriptor &descriptor()`.
#define SWITCHBOARD_EXPORT_PROVIDER(ProviderClass)                                              \
    extern "C" SB_PLUGIN_EXPORT sb_status switchboard_plugin_entry(                             \
        const sb_host_info *host, uint32_t abi_major_min, uint32_t abi_major_max,               \
        const sb_plugin **plugin) {                                                             \
        return ::switchboard::sdk::detail::Adapter<ProviderClass>::entry(host, abi_major_min,   \
                                                                        abi_major_max, plugin); \
    }

#endif  // SWITCHBOARD_PROVIDER_HPP
