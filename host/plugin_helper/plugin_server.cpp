#include "host/plugin_helper/plugin_server.hpp"

#include "core/plugin/host_info.hpp"

#include <dlfcn.h>

#include <stdexcept>
#include <vector>

namespace sb::host::plugin_helper {
namespace {

namespace hp = core::helper_protocol;
using hp::Piece;

std::string text(sb_str s) { return s.ptr ? std::string(s.ptr, s.len) : std::string(); }
// Empty is {NULL, 0}, as the daemon hands it: a 1.4 plugin may tell "no key" by the pointer.
sb_str view(std::string_view s) { return s.empty() ? sb_str{nullptr, 0} : sb_str{s.data(), s.size()}; }

// A reply being built from the plugin's sink callbacks. Output past the
// frame limit is dropped and the call then fails as oversized.
struct Reply {
    hp::Writer out;
    bool overflow = false;

    bool room(std::size_t n) {
        if (overflow || out.size() + n + 64 > hp::kMaxFrame) overflow = true;
        return !overflow;
    }
    void piece(Piece p, sb_str a) {
        if (!room(a.len)) return;
        out.u8(static_cast<std::uint8_t>(p));
        out.str(a);
    }
    static Reply &of(void *ctx) { return *static_cast<Reply *>(ctx); }
    static void set_method(void *ctx, sb_str v) { of(ctx).piece(Piece::set_method, v); }
    static void set_url(void *ctx, sb_str v) { of(ctx).piece(Piece::set_url, v); }
    static void add_header(void *ctx, sb_str name, sb_str value) {
        Reply &r = of(ctx);
        if (!r.room(name.len + value.len)) return;
        r.out.u8(static_cast<std::uint8_t>(Piece::add_header));
        r.out.str(name);
        r.out.str(value);
    }
    static void append_body(void *ctx, const char *bytes, size_t len) {
        of(ctx).piece(Piece::append_body, sb_str{bytes, len});
    }
    static void write(void *ctx, const char *bytes, size_t len) { of(ctx).piece(Piece::write, sb_str{bytes, len}); }
    static void emit(void *ctx, const char *json, size_t len) { of(ctx).piece(Piece::chunk, sb_str{json, len}); }
    static void usage(void *ctx, const sb_usage *u) {
        Reply &r = of(ctx);
        if (!u || !r.room(32)) return;
        auto field = [&](bool has, std::int64_t v) { r.out.i64(has ? v : SB_USAGE_UNKNOWN); };
        r.out.u8(static_cast<std::uint8_t>(Piece::usage));
        field(SB_TABLE_HAS(u, sb_usage, prompt_tokens), u->prompt_tokens);
        field(SB_TABLE_HAS(u, sb_usage, completion_tokens), u->completion_tokens);
        field(SB_TABLE_HAS(u, sb_usage, cached_tokens), u->cached_tokens);
        field(SB_TABLE_HAS(u, sb_usage, reasoning_tokens), u->reasoning_tokens);
    }
    static void model(void *ctx, sb_str id, sb_str display) {
        Reply &r = of(ctx);
        if (!r.room(id.len + display.len)) return;
        r.out.u8(static_cast<std::uint8_t>(Piece::model));
        r.out.str(id);
        r.out.str(display);
    }
    static void error(void *ctx, sb_error_kind kind, int32_t status, sb_str message) {
        Reply &r = of(ctx);
        if (!r.room(message.len)) return;
        r.out.u8(static_cast<std::uint8_t>(Piece::error));
        r.out.i32(kind);
        r.out.i32(status);
        r.out.str(message);
    }

    sb_http_request_builder builder() {
        return {sizeof(sb_http_request_builder), this, &set_method, &set_url, &add_header, &append_body};
    }
    sb_sink sink() { return {this, &write}; }
    sb_chunk_sink chunks() { return {sizeof(sb_chunk_sink), this, &emit, &usage}; }
    sb_usage_sink usage_sink() { return {sizeof(sb_usage_sink), this, &usage}; }
    sb_model_sink models() { return {sizeof(sb_model_sink), this, &model}; }
    sb_error_sink errors() { return {sizeof(sb_error_sink), this, &error}; }

    std::string finish(sb_status status) {
        if (overflow) {
            hp::Writer failed;
            failed.u8(static_cast<std::uint8_t>(Piece::error));
            failed.i32(SB_ERROR_UPSTREAM);
            failed.i32(0);
            failed.str(std::string_view("the plugin produced an oversized result"));
            failed.u8(static_cast<std::uint8_t>(Piece::done));
            failed.i32(SB_ERR_INTERNAL);
            return failed.frame();
        }
        out.u8(static_cast<std::uint8_t>(Piece::done));
        out.i32(status);
        return out.frame();
    }
};

// The strings of one config, borrowed from the request frame.
sb_provider_config read_config(hp::Reader &in) {
    sb_provider_config c{sizeof(sb_provider_config), {}, {}, {}};
    c.api_key = view(in.str());
    c.api_base = view(in.str());
    c.model = view(in.str());
    return c;
}

// A vendor response, borrowed from the request frame.
struct Response {
    std::vector<sb_header> headers;
    sb_http_response abi{};

    Response(hp::Reader &in, const sb_usage_sink *usage) {
        const std::int32_t status = in.i32();
        const std::uint32_t n = in.u32();
        for (std::uint32_t i = 0; i < n; ++i) {
            sb_header h{};
            h.name = view(in.str());
            h.value = view(in.str());
            headers.push_back(h);
        }
        const sb_str body = view(in.str());
        abi = sb_http_response{sizeof(sb_http_response), status, headers.data(), headers.size(), body, usage};
    }
};

std::vector<std::string> view_list(const sb_str *items, size_t count) {
    std::vector<std::string> out;
    for (size_t i = 0; items && i < count; ++i) out.push_back(text(items[i]));
    return out;
}

}  // namespace

PluginServer::PluginServer(void *library) {
    auto entry = reinterpret_cast<sb_entry_fn>(::dlsym(library, SB_ENTRY_SYMBOL));
    if (!entry) throw std::runtime_error(std::string("missing entry symbol ") + SB_ENTRY_SYMBOL);
    const sb_host_info &host = core::plugin_host_info();
    // The daemon checks the version range again on what this reports.
    if (entry(&host, 1, 1, &table_) != SB_OK || !table_)
        throw std::runtime_error("entry function failed or implements no ABI major version in the host's range 1..1");
    const sb_plugin &t = *table_;
    if (t.struct_size < offsetof(sb_plugin, get_extension) + sizeof(void *) || !t.descriptor)
        throw std::runtime_error("plugin table is too small for ABI v1 or has no descriptor");
    if (t.init) {
        std::string why;
        sb_error_sink sink{sizeof(sb_error_sink), &why, [](void *ctx, sb_error_kind, int32_t, sb_str m) {
                               *static_cast<std::string *>(ctx) = text(m);
                           }};
        const sb_status st = t.init(&host, &sink);
        if (st != SB_OK) throw std::runtime_error("init failed: " + (why.empty() ? "status " + std::to_string(st) : why));
    }
    const sb_provider_descriptor &d = *t.descriptor;
    hp::PluginPortrait &p = portrait_;
    p.abi_major = t.abi_major;
    p.abi_minor = t.abi_minor;
    if (t.stream_open && t.stream_event && t.stream_close) p.functions |= hp::kHasStream;
    if (t.build_models_request && t.parse_models_response) p.functions |= hp::kHasModels;
    if (SB_TABLE_HAS(&t, sb_plugin, self_check) && t.self_check) p.functions |= hp::kHasSelfCheck;
    p.id = text(d.id);
    p.display_name = text(d.display_name);
    p.plugin_version = text(d.plugin_version);
    p.default_model = text(d.default_model);
    p.default_api_base = text(d.default_api_base);
    p.env_api_key = text(d.env_api_key);
    p.env_model = text(d.env_model);
    p.env_api_base = text(d.env_api_base);
    p.capabilities = d.capabilities;
    p.stream_framing = d.stream_framing;
    p.known_models = view_list(d.known_models, d.known_model_count);
#if SB_ABI_VERSION_MINOR >= 4
    if (SB_TABLE_HAS(&d, sb_provider_descriptor, credential_prefix)) {
        p.credential_header = text(d.credential_header);
        p.credential_prefix = text(d.credential_prefix);
    }
#endif
    p.lifecycle = core::read_model_lifecycle(t);
    if (t.get_extension) {
        native_ = static_cast<const sb_native *>(t.get_extension(SB_EXT_NATIVE));
        if (native_ && SB_TABLE_HAS(native_, sb_native, build_native_request)) {
            p.has_native = true;
            p.native_builds = native_->build_native_request != nullptr;
            p.native_dialects = view_list(native_->dialects, native_->dialect_count);
        } else {
            native_ = nullptr;
        }
        if (t.abi_minor >= 3)
            embeddings_ = static_cast<const sb_embeddings *>(t.get_extension(SB_EXT_EMBEDDINGS));
        if (embeddings_ && SB_TABLE_HAS(embeddings_, sb_embeddings, parse_embeddings_response)) {
            p.has_embeddings = true;
            p.embeddings_complete = embeddings_->build_embeddings_request && embeddings_->parse_embeddings_response;
            p.embedding_models = view_list(embeddings_->models, embeddings_->model_count);
            p.embedding_default_model = text(embeddings_->default_model);
            p.embedding_max_batch = embeddings_->max_batch;
            p.embedding_flags = embeddings_->flags;
        } else {
            embeddings_ = nullptr;
        }
    }
}

PluginServer::~PluginServer() {
    for (auto &[id, state] : streams_) table_->stream_close(state, nullptr, nullptr);
    if (table_->shutdown) table_->shutdown();
}

void PluginServer::serve(int fd) {
    std::string payload;
    while (hp::read_frame(fd, payload)) hp::write_all(fd, answer(payload));
}

std::string PluginServer::answer(std::string_view payload) {
    hp::Reader in(payload);
    Reply reply;
    sb_error_sink err = reply.errors();
    const sb_plugin &t = *table_;
    sb_status status = SB_ERR_UNSUPPORTED;
    switch (static_cast<hp::Call>(in.u8())) {
    case hp::Call::build_chat: {
        sb_provider_config config = read_config(in);
        sb_chat_request request{sizeof(sb_chat_request), view(in.str()), in.i32()};
        sb_http_request_builder out = reply.builder();
        status = t.build_chat_request(&config, &request, &out, &err);
        break;
    }
    case hp::Call::parse_chat: {
        sb_provider_config config = read_config(in);
        const bool typed = in.u8() != 0;
        sb_usage_sink usage = reply.usage_sink();
        Response response(in, typed ? &usage : nullptr);
        sb_sink out = reply.sink();
        status = t.parse_chat_response(&config, &response.abi, &out, &err);
        break;
    }
    case hp::Call::stream_open: {
        if (!t.stream_open) break;
        sb_provider_config config = read_config(in);
        sb_chat_request request{sizeof(sb_chat_request), view(in.str()), in.i32()};
        sb_stream *state = nullptr;
        status = t.stream_open(&config, &request, &state, &err);
        if (status == SB_OK && state) {
            const std::uint64_t id = next_stream_++;
            streams_[id] = state;
            reply.out.u8(static_cast<std::uint8_t>(Piece::stream_opened));
            reply.out.u64(id);
        }
        break;
    }
    case hp::Call::stream_event: {
        auto it = streams_.find(in.u64());
        if (it == streams_.end() || !t.stream_event) {
            status = SB_ERR_INTERNAL;
            break;
        }
        sb_stream_event event{sizeof(sb_stream_event), view(in.str()), view(in.str())};
        sb_chunk_sink out = reply.chunks();
        status = t.stream_event(it->second, &event, &out, &err);
        break;
    }
    case hp::Call::stream_close: {
        auto it = streams_.find(in.u64());
        const bool finished = in.u8() != 0;
        if (it == streams_.end() || !t.stream_close) {
            status = SB_ERR_INTERNAL;
            break;
        }
        sb_stream *state = it->second;
        streams_.erase(it);
        sb_chunk_sink out = reply.chunks();
        status = finished ? t.stream_close(state, &out, &err) : t.stream_close(state, nullptr, nullptr);
        break;
    }
    case hp::Call::build_models: {
        if (!t.build_models_request) break;
        sb_provider_config config = read_config(in);
        sb_http_request_builder out = reply.builder();
        status = t.build_models_request(&config, &out, &err);
        break;
    }
    case hp::Call::parse_models: {
        if (!t.parse_models_response) break;
        sb_provider_config config = read_config(in);
        Response response(in, nullptr);
        sb_model_sink out = reply.models();
        status = t.parse_models_response(&config, &response.abi, &out, &err);
        break;
    }
    case hp::Call::build_native: {
        if (!native_ || !native_->build_native_request) break;
        sb_provider_config config = read_config(in);
        sb_native_request request{};
        request.struct_size = sizeof(sb_native_request);
        request.dialect = view(in.str());
        request.operation = view(in.str());
        request.body_json = view(in.str());
        std::vector<sb_header> headers(in.u32());
        for (auto &h : headers) {
            h.name = view(in.str());
            h.value = view(in.str());
        }
        request.headers = headers.data();
        request.header_count = headers.size();
        request.stream = in.i32();
        sb_http_request_builder out = reply.builder();
        status = native_->build_native_request(&config, &request, &out, &err);
        break;
    }
    case hp::Call::build_embeddings: {
        if (!embeddings_ || !embeddings_->build_embeddings_request) break;
        sb_provider_config config = read_config(in);
        sb_embeddings_request request{sizeof(sb_embeddings_request), view(in.str()), 0};
        request.input_count = static_cast<size_t>(in.u64());
        sb_http_request_builder out = reply.builder();
        status = embeddings_->build_embeddings_request(&config, &request, &out, &err);
        break;
    }
    case hp::Call::parse_embeddings: {
        if (!embeddings_ || !embeddings_->parse_embeddings_response) break;
        sb_provider_config config = read_config(in);
        sb_usage_sink usage = reply.usage_sink();
        Response response(in, &usage);
        sb_sink out = reply.sink();
        status = embeddings_->parse_embeddings_response(&config, &response.abi, &out, &err);
        break;
    }
    case hp::Call::self_check: {
        if (!(portrait_.functions & hp::kHasSelfCheck)) break;
        status = t.self_check(&err);
        break;
    }
    default:
        throw hp::ProtocolError("unknown call");
    }
    return reply.finish(status);
}

}  // namespace sb::host::plugin_helper
