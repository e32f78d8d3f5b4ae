#include "core/plugin/provider.hpp"

#include "core/errors.hpp"

#include <switchboard/usage_json.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <array>

namespace sb::core {
namespace {

// A plugin may not hand the host more than this from one call.
constexpr std::size_t kMaxPluginOutput = 64u << 20;

std::string to_string(sb_str s) { return s.ptr ? std::string(s.ptr, s.len) : std::string(); }
sb_str to_sb(std::string_view s) { return sb_str{s.data(), s.size()}; }

struct ErrorReport {
    sb_error_kind kind = SB_ERROR_NONE;
    int32_t http_status = 0;
    std::string message;
};

void on_error(void *ctx, sb_error_kind kind, int32_t http_status, sb_str message) {
    auto *e = static_cast<ErrorReport *>(ctx);
    e->kind = kind;
    e->http_status = http_status;
    e->message = to_string(message);
    if (e->message.size() > 4096) e->message.resize(4096);
}

struct BoundedOutput {
    std::string text;
    bool overflow = false;
};

void on_write(void *ctx, const char *bytes, size_t len) {
    auto *out = static_cast<BoundedOutput *>(ctx);
    if (out->overflow || out->text.size() + len > kMaxPluginOutput) {
        out->overflow = true;
        return;
    }
    out->text.append(bytes, len);
}

ErrorCode code_for_kind(sb_error_kind kind) {
    switch (kind) {
        case SB_ERROR_INVALID_REQUEST: return ErrorCode::invalid_request;
        case SB_ERROR_INVALID_API_KEY: return ErrorCode::invalid_api_key;
        case SB_ERROR_RATE_LIMITED: return ErrorCode::rate_limit_exceeded;
        case SB_ERROR_MODEL_NOT_FOUND: return ErrorCode::model_not_found;
        case SB_ERROR_API_BASE_INCORRECT: return ErrorCode::api_base_incorrect;
        case SB_ERROR_NOT_CONFIGURED: return ErrorCode::provider_not_configured;
        case SB_ERROR_PERMISSION_DENIED: return ErrorCode::permission_denied;
        case SB_ERROR_CONTEXT_LENGTH: return ErrorCode::context_length_exceeded;
        case SB_ERROR_CONTENT_FILTER: return ErrorCode::content_filter;
        default: return ErrorCode::upstream_error;
    }
}

// The one place a plugin status becomes a GatewayError.
[[noreturn]] void throw_plugin_error(sb_status status, const ErrorReport &report,
                                     const std::string &provider, std::string_view api_key) {
    std::string message = redact_secret(report.message, api_key);
    ErrorCode code;
    switch (status) {
        case SB_ERR_INVALID_ARGUMENT: code = ErrorCode::invalid_request; break;
        case SB_ERR_NOT_CONFIGURED: code = ErrorCode::provider_not_configured; break;
        case SB_ERR_UNSUPPORTED: code = ErrorCode::invalid_request; break;
        case SB_ERR_UPSTREAM: code = code_for_kind(report.kind); break;
        default:
            code = ErrorCode::upstream_error;
            message = "provider plugin '" + provider + "' failed" +
                      (message.empty() ? std::string() : ": " + message);
    }
    if (message.empty()) message = "provider '" + provider + "' reported an error";
    GatewayError error(code, message, {}, provider);
    error.with_upstream_status(report.http_status);
    throw error;
}

[[noreturn]] void throw_oversized(const std::string &provider) {
    throw GatewayError(ErrorCode::upstream_error,
                       "provider plugin '" + provider + "' produced an oversized result", {},
                       provider);
}

// The config a plugin is given: without the key when it does not see keys.
sb_provider_config to_abi(const EffectiveConfig &c, const ProviderInfo &info) {
    return sb_provider_config{sizeof(sb_provider_config),
                              info.sees_keys ? to_sb(c.api_key) : sb_str{nullptr, 0},
                              to_sb(c.api_base), to_sb(c.model)};
}

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Where a plugin of minor 4 or later wants the key written, checked: a
// lower-case header name, a prefix that cannot break the header.
void read_credential_placement(const sb_plugin &table, ProviderInfo &info) {
    const sb_provider_descriptor &d = *table.descriptor;
    if (table.abi_minor < 4 || !SB_TABLE_HAS(&d, sb_provider_descriptor, credential_prefix)) return;
    if ((d.credential_header.len && !d.credential_header.ptr) ||
        (d.credential_prefix.len && !d.credential_prefix.ptr))
        throw PluginLoadError("descriptor has a string with a null pointer");
    info.credential_header = to_string(d.credential_header);
    info.credential_prefix = to_string(d.credential_prefix);
    if (info.credential_header.size() > 64 ||
        !std::all_of(info.credential_header.begin(), info.credential_header.end(), is_token_char))
        throw PluginLoadError("credential_header must be a lower-case HTTP header name");
    if (info.credential_prefix.size() > 64 ||
        info.credential_prefix.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        throw PluginLoadError(
            "credential_prefix must be at most 64 characters without CR, LF or NUL");
    info.sees_keys = info.credential_header.empty();
}

struct RequestBuilder {
    UpstreamRequest request;
    std::size_t size = 0;
    bool overflow = false;

    // Room for the usual headers and the host's credential at once, not
    // grown one header at a time.
    RequestBuilder() { request.headers.reserve(8); }

    void account(std::size_t n) {
        size += n;
        if (size > kMaxPluginOutput) overflow = true;
    }
    static void set_method(void *ctx, sb_str v) {
        auto *b = static_cast<RequestBuilder *>(ctx);
        b->account(v.len);
        if (!b->overflow) b->request.method = to_string(v);
    }
    static void set_url(void *ctx, sb_str v) {
        auto *b = static_cast<RequestBuilder *>(ctx);
        b->account(v.len);
        if (!b->overflow) b->request.url = to_string(v);
    }
    static void add_header(void *ctx, sb_str name, sb_str value) {
        auto *b = static_cast<RequestBuilder *>(ctx);
        b->account(name.len + value.len);
        if (!b->overflow) b->request.headers.emplace_back(to_string(name), to_string(value));
    }
    static void append_body(void *ctx, const char *bytes, size_t len) {
        auto *b = static_cast<RequestBuilder *>(ctx);
        b->account(len);
        if (!b->overflow) b->request.body.append(bytes, len);
    }
    sb_http_request_builder abi() {
        return sb_http_request_builder{sizeof(sb_http_request_builder), this, &set_method,
                                       &set_url, &add_header, &append_body};
    }
};

// Before ABI v1.2 usage travelled only inside the JSON a plugin produced.
bool reports_typed_usage(const PluginLibrary &library) { return library.table().abi_minor >= 2; }

void take_usage(void *ctx, const sb_usage *usage) {
    if (usage) static_cast<TokenUsage *>(ctx)->update(*usage);
}

// What a plugin of minor 0 or 1 says of usage: the counts in its JSON.
void scan_usage(std::string_view json, TokenUsage &usage) {
    usage.update(switchboard::sdk::usage_from_json(json));
}

// The sb_header views of a header list, for the duration of a call: in
// place for the usual few, one allocation only for a long list.
class HeaderViews {
public:
    explicit HeaderViews(const HeaderList &headers) : size_(headers.size()) {
        if (size_ > inline_.size()) more_.resize(size_);
        sb_header *out = size_ > inline_.size() ? more_.data() : inline_.data();
        data_ = out;
        for (const auto &h : headers) *out++ = sb_header{to_sb(h.first), to_sb(h.second)};
    }
    HeaderViews(const HeaderViews &) = delete;
    HeaderViews &operator=(const HeaderViews &) = delete;

    const sb_header *data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    std::array<sb_header, 24> inline_;
    std::vector<sb_header> more_;
    std::size_t size_;
    const sb_header *data_;
};

// Keeps the sb_header views alive for the duration of a call. usage, when
// given, receives what parse_chat_response reports (ABI v1.2).
struct AbiResponse {
    HeaderViews headers;
    sb_usage_sink usage_sink;
    sb_http_response response;

    explicit AbiResponse(const UpstreamResponse &r, TokenUsage *usage = nullptr)
        : headers(r.headers),
          usage_sink{sizeof(sb_usage_sink), usage, &take_usage},
          response{sizeof(sb_http_response), r.status,     headers.data(), headers.size(),
                   to_sb(r.body),            usage ? &usage_sink : nullptr} {}
};

struct ChunkForwarder {
    const ChunkHandler *handler;
    TokenUsage *usage;
    bool scan_usage;  // a plugin of minor 0 or 1: usage is in the chunks
    std::size_t total = 0;
    bool overflow = false;
    static void emit(void *ctx, const char *json, size_t len) {
        auto *f = static_cast<ChunkForwarder *>(ctx);
        f->total += len;
        if (f->total > kMaxPluginOutput) f->overflow = true;
        if (f->overflow) return;
        std::string_view chunk(json, len);
        if (f->scan_usage) ::sb::core::scan_usage(chunk, *f->usage);
        (*f->handler)(chunk);
    }
    static void report_usage(void *ctx, const sb_usage *usage) {
        take_usage(static_cast<ChunkForwarder *>(ctx)->usage, usage);
    }
    sb_chunk_sink abi() {
        return sb_chunk_sink{sizeof(sb_chunk_sink), this, &emit, &report_usage};
    }
};

// The plugin's sb.native/1 table when it offers a usable one.
const sb_native *read_native(const sb_plugin &table) {
    if (!table.get_extension) return nullptr;
    const auto *native = static_cast<const sb_native *>(table.get_extension(SB_EXT_NATIVE));
    if (!native || !SB_TABLE_HAS(native, sb_native, build_native_request) || !native->build_native_request)
        return nullptr;
    if (native->dialect_count > 0 && !native->dialects) return nullptr;
    return native;
}

// The plugin's sb.embeddings/1 table, when it has a usable one: minor 3 or
// later, a table long enough for both functions, both non-NULL.
const sb_embeddings *read_embeddings(const sb_plugin &table) {
    if (table.abi_minor < 3 || !table.get_extension) return nullptr;
    const auto *e = static_cast<const sb_embeddings *>(table.get_extension(SB_EXT_EMBEDDINGS));
    if (!e || !SB_TABLE_HAS(e, sb_embeddings, parse_embeddings_response)) return nullptr;
    if (!e->build_embeddings_request || !e->parse_embeddings_response) return nullptr;
    return e;
}

EmbeddingSupport describe_embeddings(const sb_embeddings *e) {
    EmbeddingSupport support;
    if (!e) return support;
    support.supported = true;
    for (size_t i = 0; e->models && i < e->model_count; ++i) support.models.push_back(to_string(e->models[i]));
    support.default_model = to_string(e->default_model);
    support.max_batch = e->max_batch;
    support.flags = e->flags;
    return support;
}

// A request a plugin built, checked; for a plugin that does not see keys,
// with the credential header the host writes (and no other of that name).
UpstreamRequest finish_request(RequestBuilder &builder, const ProviderInfo &info,
                               std::string_view api_key) {
    if (builder.overflow) throw_oversized(info.id);
    if (builder.request.url.empty())
        throw GatewayError(ErrorCode::upstream_error,
                           "provider plugin '" + info.id + "' built a request without a URL", {},
                           info.id);
    if (!info.sees_keys) {
        std::erase_if(builder.request.headers, [&](const auto &h) {
            return boost::beast::iequals(h.first, info.credential_header);
        });
        if (!api_key.empty()) {
            std::string value;
            value.reserve(info.credential_prefix.size() + api_key.size());
            value.append(info.credential_prefix).append(api_key);
            builder.request.headers.emplace_back(info.credential_header, std::move(value));
        }
    }
    return std::move(builder.request);
}

// One plugin call that builds a vendor request: its failure thrown, its
// request checked and given its credential.
template <class Call>
UpstreamRequest build_request(const ProviderInfo &info, std::string_view api_key, Call &&call) {
    RequestBuilder builder;
    sb_http_request_builder out = builder.abi();
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    const sb_status st = call(&out, &err);
    if (st != SB_OK) throw_plugin_error(st, report, info.id, api_key);
    return finish_request(builder, info, api_key);
}

}  // namespace

void TokenUsage::update(const sb_usage &report) noexcept {
    auto take = [](std::int64_t count, std::int64_t &into) {
        if (count >= 0) into = count;
    };
    if (SB_TABLE_HAS(&report, sb_usage, prompt_tokens)) take(report.prompt_tokens, prompt_tokens);
    if (SB_TABLE_HAS(&report, sb_usage, completion_tokens)) take(report.completion_tokens, completion_tokens);
    if (SB_TABLE_HAS(&report, sb_usage, cached_tokens)) take(report.cached_tokens, cached_tokens);
    if (SB_TABLE_HAS(&report, sb_usage, reasoning_tokens)) take(report.reasoning_tokens, reasoning_tokens);
}

LoadedProvider::LoadedProvider(std::shared_ptr<PluginLibrary> library) : library_(std::move(library)) {
    const sb_provider_descriptor &d = library_->descriptor();
    info_.id = to_string(d.id);
    info_.display_name = to_string(d.display_name);
    info_.plugin_version = to_string(d.plugin_version);
    info_.default_model = to_string(d.default_model);
    info_.default_api_base = to_string(d.default_api_base);
    info_.env_api_key = to_string(d.env_api_key);
    info_.env_model = to_string(d.env_model);
    info_.env_api_base = to_string(d.env_api_base);
    info_.capabilities = d.capabilities;
    info_.stream_framing = d.stream_framing;
    for (size_t i = 0; i < d.known_model_count; ++i)
        info_.known_models.push_back(to_string(d.known_models[i]));
    info_.lifecycle = ModelLifecycles(read_model_lifecycle(library_->table()));
    embeddings_ = read_embeddings(library_->table());
    info_.embeddings = describe_embeddings(embeddings_);
    read_credential_placement(library_->table(), info_);
    native_ = read_native(library_->table());
    if (native_)
        for (size_t i = 0; i < native_->dialect_count; ++i)
            info_.native_dialects.push_back(to_string(native_->dialects[i]));
}

bool LoadedProvider::speaks_natively(std::string_view dialect) const noexcept {
    for (const auto &d : info_.native_dialects)
        if (d == dialect) return true;
    return false;
}

UpstreamRequest LoadedProvider::build_native_request(const EffectiveConfig &config, const NativeCall &call) const {
    if (!native_ || !speaks_natively(call.dialect))
        throw GatewayError(ErrorCode::invalid_request,
                           "provider '" + info_.id + "' does not take " + std::string(call.dialect) + " natively",
                           {}, info_.id);
    sb_provider_config cfg = to_abi(config, info_);
    const HeaderViews headers(call.headers);
    sb_native_request req{sizeof(sb_native_request), to_sb(call.dialect),  to_sb(call.operation),
                          to_sb(call.body_json),      headers.data(),        headers.size(),
                          call.stream ? 1 : 0};
    return build_request(info_, config.api_key,
                         [&](const sb_http_request_builder *out, const sb_error_sink *err) {
                             return native_->build_native_request(&cfg, &req, out, err);
                         });
}

const sb_embeddings &LoadedProvider::embeddings_table() const {
    if (!embeddings_)
        throw GatewayError(ErrorCode::invalid_request, "model does not support embeddings", "model", info_.id);
    return *embeddings_;
}

UpstreamRequest LoadedProvider::build_embeddings_request(const EffectiveConfig &config, std::string_view body_json,
                                                         std::size_t input_count) const {
    const sb_embeddings &table = embeddings_table();
    sb_provider_config cfg = to_abi(config, info_);
    sb_embeddings_request req{sizeof(sb_embeddings_request), to_sb(body_json), input_count};
    return build_request(info_, config.api_key,
                         [&](const sb_http_request_builder *out, const sb_error_sink *err) {
                             return table.build_embeddings_request(&cfg, &req, out, err);
                         });
}

std::string LoadedProvider::parse_embeddings_response(const EffectiveConfig &config,
                                                      const UpstreamResponse &response, TokenUsage &usage) const {
    const sb_embeddings &table = embeddings_table();
    sb_provider_config cfg = to_abi(config, info_);
    AbiResponse abi(response, &usage);
    BoundedOutput output;
    sb_sink out{&output, &on_write};
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_status st = table.parse_embeddings_response(&cfg, &abi.response, &out, &err);
    if (st != SB_OK) throw_plugin_error(st, report, info_.id, config.api_key);
    if (output.overflow) throw_oversized(info_.id);
    return std::move(output.text);
}

UpstreamRequest LoadedProvider::build_chat_request(const EffectiveConfig &config,
                                             std::string_view body_json, bool stream) const {
    sb_provider_config cfg = to_abi(config, info_);
    sb_chat_request req{sizeof(sb_chat_request), to_sb(body_json), stream ? 1 : 0};
    return build_request(info_, config.api_key,
                         [&](const sb_http_request_builder *out, const sb_error_sink *err) {
                             return library_->table().build_chat_request(&cfg, &req, out, err);
                         });
}

std::string LoadedProvider::parse_chat_response(const EffectiveConfig &config, const UpstreamResponse &response,
                                          TokenUsage *usage) const {
    sb_provider_config cfg = to_abi(config, info_);
    const bool typed = reports_typed_usage(*library_);
    TokenUsage reported;
    AbiResponse abi(response, typed ? &reported : nullptr);
    BoundedOutput output;
    sb_sink out{&output, &on_write};
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_status st = library_->table().parse_chat_response(&cfg, &abi.response, &out, &err);
    if (st != SB_OK) throw_plugin_error(st, report, info_.id, config.api_key);
    if (output.overflow) throw_oversized(info_.id);
    if (!typed) scan_usage(output.text, reported);
    if (usage) *usage = reported;
    return std::move(output.text);
}

std::unique_ptr<ProviderStream> LoadedProvider::open_stream(const EffectiveConfig &config,
                                                      std::string_view body_json) const {
    if (!info_.has(SB_CAP_STREAMING))
        throw GatewayError(ErrorCode::invalid_request,
                           "provider '" + info_.id + "' does not support streaming", "stream",
                           info_.id);
    sb_provider_config cfg = to_abi(config, info_);
    sb_chat_request req{sizeof(sb_chat_request), to_sb(body_json), 1};
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_stream *state = nullptr;
    sb_status st = library_->table().stream_open(&cfg, &req, &state, &err);
    if (st != SB_OK) throw_plugin_error(st, report, info_.id, config.api_key);
    if (!state)
        throw GatewayError(ErrorCode::upstream_error,
                           "provider plugin '" + info_.id + "' opened no stream", {}, info_.id);
    return std::make_unique<ProviderStream>(library_, state, info_.id, config.api_key);
}

std::optional<UpstreamRequest> LoadedProvider::build_models_request(const EffectiveConfig &config) const {
    if (!info_.has(SB_CAP_MODEL_LISTING)) return std::nullopt;
    sb_provider_config cfg = to_abi(config, info_);
    RequestBuilder builder;
    sb_http_request_builder out = builder.abi();
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_status st = library_->table().build_models_request(&cfg, &out, &err);
    if (st == SB_ERR_UNSUPPORTED) return std::nullopt;
    if (st != SB_OK) throw_plugin_error(st, report, info_.id, config.api_key);
    return finish_request(builder, info_, config.api_key);
}

std::vector<std::string> LoadedProvider::parse_models_response(const EffectiveConfig &config,
                                                         const UpstreamResponse &response) const {
    struct Collector {
        std::vector<std::string> ids;
        std::size_t total = 0;
        static void add(void *ctx, sb_str id, sb_str) {
            auto *c = static_cast<Collector *>(ctx);
            c->total += id.len;
            if (c->total <= kMaxPluginOutput && id.len > 0) c->ids.push_back(to_string(id));
        }
    } collector;
    sb_provider_config cfg = to_abi(config, info_);
    AbiResponse abi(response);
    sb_model_sink out{sizeof(sb_model_sink), &collector, &Collector::add};
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_status st = library_->table().parse_models_response(&cfg, &abi.response, &out, &err);
    if (st != SB_OK) throw_plugin_error(st, report, info_.id, config.api_key);
    if (collector.total > kMaxPluginOutput) throw_oversized(info_.id);
    return std::move(collector.ids);
}

std::optional<std::string> LoadedProvider::self_check() const {
    const sb_plugin &t = library_->table();
    if (!SB_TABLE_HAS(&t, sb_plugin, self_check) || !t.self_check) return std::nullopt;
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_status st = t.self_check(&err);
    if (st == SB_OK) return std::string();
    return report.message.empty() ? "self_check failed with status " + std::to_string(st) : report.message;
}

ProviderStream::ProviderStream(std::shared_ptr<PluginLibrary> library, sb_stream *state,
                               std::string provider_id, std::string api_key)
    : library_(std::move(library)),
      state_(state),
      provider_id_(std::move(provider_id)),
      api_key_(std::move(api_key)) {}

ProviderStream::~ProviderStream() {
    if (state_) library_->table().stream_close(state_, nullptr, nullptr);
}

bool ProviderStream::feed(std::string_view event, std::string_view data, const ChunkHandler &on_chunk) {
    sb_stream_event ev{sizeof(sb_stream_event), to_sb(event), to_sb(data)};
    ChunkForwarder forwarder{&on_chunk, &usage_, !reports_typed_usage(*library_)};
    sb_chunk_sink out = forwarder.abi();
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_status st = library_->table().stream_event(state_, &ev, &out, &err);
    if (forwarder.overflow) throw_oversized(provider_id_);
    if (st == SB_STREAM_END) return true;
    if (st != SB_OK) throw_plugin_error(st, report, provider_id_, api_key_);
    return false;
}

void ProviderStream::finish(const ChunkHandler &on_chunk) {
    ChunkForwarder forwarder{&on_chunk, &usage_, !reports_typed_usage(*library_)};
    sb_chunk_sink out = forwarder.abi();
    ErrorReport report;
    sb_error_sink err{sizeof(sb_error_sink), &report, &on_error};
    sb_stream *state = state_;
    state_ = nullptr;
    sb_status st = library_->table().stream_close(state, &out, &err);
    if (forwarder.overflow) throw_oversized(provider_id_);
    if (st != SB_OK) throw_plugin_error(st, report, provider_id_, api_key_);
}

}  // namespace sb::core
