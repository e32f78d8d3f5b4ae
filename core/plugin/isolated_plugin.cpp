#include "core/plugin/isolated_plugin.hpp"

#include "core/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <utility>

namespace sb::core {
namespace {

namespace hp = helper_protocol;
using hp::Call;
using hp::Piece;

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{30'000};
// Loading a plugin (exec, dlopen, init) may take longer than one call.
constexpr std::chrono::milliseconds kMinLoadTimeout{10'000};
constexpr std::size_t kMaxHelperMessage = 1024;

std::atomic<IsolatedPlugin *> g_slots[kMaxIsolatedPlugins];
std::mutex g_slot_mutex;  // taking and giving back slots

std::mutex g_counts_mutex;
std::map<std::string, HelperCounts> g_counts;

// The forwarding functions of slot S: the ABI gives them no context, the
// slot number is it.
template <int S>
struct Forward {
    static IsolatedPlugin &p() { return *g_slots[S].load(std::memory_order_acquire); }
    static sb_status build_chat(const sb_provider_config *c, const sb_chat_request *r,
                                const sb_http_request_builder *o, const sb_error_sink *e) {
        return p().build_chat(c, r, o, e);
    }
    static sb_status parse_chat(const sb_provider_config *c, const sb_http_response *r, const sb_sink *o,
                                const sb_error_sink *e) {
        return p().parse_chat(c, r, o, e);
    }
    static sb_status stream_open(const sb_provider_config *c, const sb_chat_request *r, sb_stream **s,
                                 const sb_error_sink *e) {
        return p().stream_open(c, r, s, e);
    }
    static sb_status stream_event(sb_stream *s, const sb_stream_event *ev, const sb_chunk_sink *o,
                                  const sb_error_sink *e) {
        return p().stream_event(s, ev, o, e);
    }
    static sb_status stream_close(sb_stream *s, const sb_chunk_sink *o, const sb_error_sink *e) {
        return p().stream_close(s, o, e);
    }
    static sb_status build_models(const sb_provider_config *c, const sb_http_request_builder *o,
                                  const sb_error_sink *e) {
        return p().build_models(c, o, e);
    }
    static sb_status parse_models(const sb_provider_config *c, const sb_http_response *r, const sb_model_sink *o,
                                  const sb_error_sink *e) {
        return p().parse_models(c, r, o, e);
    }
    static const void *extension(const char *id) { return p().extension(id); }
    static sb_status self_check(const sb_error_sink *e) { return p().self_check(e); }
    static sb_status build_native(const sb_provider_config *c, const sb_native_request *r,
                                  const sb_http_request_builder *o, const sb_error_sink *e) {
        return p().build_native(c, r, o, e);
    }
    static sb_status build_embeddings(const sb_provider_config *c, const sb_embeddings_request *r,
                                      const sb_http_request_builder *o, const sb_error_sink *e) {
        return p().build_embeddings(c, r, o, e);
    }
    static sb_status parse_embeddings(const sb_provider_config *c, const sb_http_response *r, const sb_sink *o,
                                      const sb_error_sink *e) {
        return p().parse_embeddings(c, r, o, e);
    }
};

struct SlotFunctions {
    decltype(sb_plugin::build_chat_request) build_chat;
    decltype(sb_plugin::parse_chat_response) parse_chat;
    decltype(sb_plugin::stream_open) stream_open;
    decltype(sb_plugin::stream_event) stream_event;
    decltype(sb_plugin::stream_close) stream_close;
    decltype(sb_plugin::build_models_request) build_models;
    decltype(sb_plugin::parse_models_response) parse_models;
    decltype(sb_plugin::get_extension) extension;
    decltype(sb_plugin::self_check) self_check;
    decltype(sb_native::build_native_request) build_native;
    decltype(sb_embeddings::build_embeddings_request) build_embeddings;
    decltype(sb_embeddings::parse_embeddings_response) parse_embeddings;
};

template <std::size_t... S>
constexpr std::array<SlotFunctions, sizeof...(S)> slot_functions(std::index_sequence<S...>) {
    return {SlotFunctions{&Forward<S>::build_chat, &Forward<S>::parse_chat, &Forward<S>::stream_open,
                          &Forward<S>::stream_event, &Forward<S>::stream_close, &Forward<S>::build_models,
                          &Forward<S>::parse_models, &Forward<S>::extension, &Forward<S>::self_check,
                          &Forward<S>::build_native, &Forward<S>::build_embeddings,
                          &Forward<S>::parse_embeddings}...};
}

constexpr auto kSlotFunctions = slot_functions(std::make_index_sequence<kMaxIsolatedPlugins>{});

sb_str to_sb(std::string_view s) { return sb_str{s.data(), s.size()}; }

hp::Writer call_frame(Call call) {
    hp::Writer w;
    w.u8(static_cast<std::uint8_t>(call));
    return w;
}

void put_config(hp::Writer &w, const sb_provider_config *c) {
    w.str(c->api_key);
    w.str(c->api_base);
    w.str(c->model);
}

void put_response(hp::Writer &w, const sb_http_response *r) {
    w.i32(r->status);
    w.u32(static_cast<std::uint32_t>(r->header_count));
    for (size_t i = 0; i < r->header_count; ++i) {
        w.str(r->headers[i].name);
        w.str(r->headers[i].value);
    }
    w.str(r->body);
}

const sb_usage_sink *usage_of(const sb_http_response *r) {
    return SB_TABLE_HAS(r, sb_http_response, usage) ? r->usage : nullptr;
}

std::string bounded(std::string_view text) {
    return std::string(text.substr(0, std::min(text.size(), kMaxHelperMessage)));
}

}  // namespace

struct IsolatedPlugin::RemoteStream {
    std::uint64_t generation;  // the helper that holds it
    std::uint64_t id;          // the helper's name for it
};

std::map<std::string, HelperCounts> plugin_helper_counts() {
    std::lock_guard lock(g_counts_mutex);
    return g_counts;
}

IsolatedPlugin::IsolatedPlugin(std::filesystem::path plugin_file, HelperSettings settings)
    : file_(std::move(plugin_file)), settings_(std::move(settings)) {
    if (::access(settings_.executable.c_str(), X_OK) != 0)
        throw std::runtime_error("the plugin helper " + settings_.executable.string() +
                                 " is missing or not executable (it is installed beside the daemon)");
    {
        std::lock_guard lock(g_slot_mutex);
        for (int i = 0; i < kMaxIsolatedPlugins && slot_ < 0; ++i)
            if (!g_slots[i].load()) {
                slot_ = i;
                g_slots[i].store(this, std::memory_order_release);
            }
    }
    if (slot_ < 0)
        throw std::runtime_error("too many isolated plugins: at most " + std::to_string(kMaxIsolatedPlugins) +
                                 " run in helper processes at once");
    try {
        helper_ = start_helper(portrait_);
    } catch (...) {
        g_slots[slot_].store(nullptr);
        throw;
    }
    generation_ = 1;
    build_tables();
}

IsolatedPlugin::~IsolatedPlugin() {
    {
        std::lock_guard lock(mutex_);
        helper_.reset();
    }
    std::lock_guard lock(g_slot_mutex);
    g_slots[slot_].store(nullptr);
}

std::uint64_t IsolatedPlugin::restarts() const { return restarts_.load(); }

std::unique_ptr<HelperProcess> IsolatedPlugin::start_helper(hp::PluginPortrait &portrait) const {
    auto helper = std::make_unique<HelperProcess>(settings_, file_);
    std::string hello;
    try {
        hello = helper->receive(Clock::now() + std::max(settings_.call_timeout, kMinLoadTimeout));
    } catch (const HelperFailure &f) {
        throw std::runtime_error(std::string(f.what()) + " while loading the plugin");
    }
    hp::Reader in(hello);
    switch (static_cast<hp::Hello>(in.u8())) {
    case hp::Hello::loaded: portrait = hp::read_portrait(in); return helper;
    case hp::Hello::failed: throw std::runtime_error(bounded(in.str()));
    default: throw std::runtime_error("the plugin helper sent a malformed greeting");
    }
}

void IsolatedPlugin::build_tables() {
    const hp::PluginPortrait &p = portrait_;
    const SlotFunctions &f = kSlotFunctions[static_cast<std::size_t>(slot_)];
    auto keep = [this](const std::string &s) {
        strings_.push_back(s);
        return to_sb(strings_.back());
    };
    auto keep_all = [&](const std::vector<std::string> &list, std::vector<sb_str> &into) {
        for (const auto &s : list) into.push_back(keep(s));
    };
    sb_provider_descriptor &d = descriptor_;
    d.struct_size = sizeof(sb_provider_descriptor);
    d.id = keep(p.id);
    d.display_name = keep(p.display_name);
    d.plugin_version = keep(p.plugin_version);
    d.default_model = keep(p.default_model);
    d.default_api_base = keep(p.default_api_base);
    d.env_api_key = keep(p.env_api_key);
    d.env_model = keep(p.env_model);
    d.env_api_base = keep(p.env_api_base);
    d.capabilities = p.capabilities;
    d.stream_framing = p.stream_framing;
    keep_all(p.known_models, known_models_);
    d.known_models = known_models_.data();
    d.known_model_count = known_models_.size();
#if SB_ABI_VERSION_MINOR >= 4
    d.credential_header = keep(p.credential_header);
    d.credential_prefix = keep(p.credential_prefix);
#endif
    for (const auto &m : p.lifecycle)
        lifecycle_entries_.push_back(sb_model_lifecycle_entry{sizeof(sb_model_lifecycle_entry), keep(m.model),
                                                              keep(m.deprecated_on), keep(m.retired_on),
                                                              keep(m.successor), keep(m.source)});
    lifecycle_ = sb_model_lifecycle{sizeof(sb_model_lifecycle), lifecycle_entries_.data(), lifecycle_entries_.size(),
                                    sizeof(sb_model_lifecycle_entry)};
    keep_all(p.native_dialects, dialects_);
    native_ = sb_native{sizeof(sb_native), dialects_.data(), dialects_.size(),
                        p.native_builds ? f.build_native : nullptr};
    keep_all(p.embedding_models, embedding_models_);
    embeddings_ = sb_embeddings{sizeof(sb_embeddings),
                                embedding_models_.data(),
                                embedding_models_.size(),
                                keep(p.embedding_default_model),
                                static_cast<size_t>(p.embedding_max_batch),
                                p.embedding_flags,
                                p.embeddings_complete ? f.build_embeddings : nullptr,
                                p.embeddings_complete ? f.parse_embeddings : nullptr};
    sb_plugin &t = table_;
    t.struct_size = sizeof(sb_plugin);
    t.abi_major = p.abi_major;
    t.abi_minor = p.abi_minor;
    t.descriptor = &descriptor_;
    t.build_chat_request = f.build_chat;
    t.parse_chat_response = f.parse_chat;
    if (p.functions & hp::kHasStream) {
        t.stream_open = f.stream_open;
        t.stream_event = f.stream_event;
        t.stream_close = f.stream_close;
    }
    if (p.functions & hp::kHasModels) {
        t.build_models_request = f.build_models;
        t.parse_models_response = f.parse_models;
    }
    t.get_extension = f.extension;
    if (p.functions & hp::kHasSelfCheck) t.self_check = f.self_check;
}

const void *IsolatedPlugin::extension(const char *id) const {
    if (std::strcmp(id, SB_EXT_MODEL_LIFECYCLE) == 0) return lifecycle_entries_.empty() ? nullptr : &lifecycle_;
    if (std::strcmp(id, SB_EXT_NATIVE) == 0) return portrait_.has_native ? &native_ : nullptr;
    if (std::strcmp(id, SB_EXT_EMBEDDINGS) == 0) return portrait_.has_embeddings ? &embeddings_ : nullptr;
    return nullptr;
}

HelperProcess *IsolatedPlugin::running_helper(std::string &why) {
    if (helper_) return helper_.get();
    const auto now = Clock::now();
    if (now < next_start_) {
        why = "its helper process is restarting after a failure (" + last_failure_ + ")";
        return nullptr;
    }
    try {
        hp::PluginPortrait portrait;
        auto helper = start_helper(portrait);
        if (portrait.id != portrait_.id || portrait.abi_major != portrait_.abi_major)
            throw std::runtime_error("the restarted helper serves another provider ('" + bounded(portrait.id) + "')");
        helper_ = std::move(helper);
    } catch (const std::exception &e) {
        last_failure_ = bounded(e.what());
        next_start_ = now + backoff_;
        log_event(LogLevel::error, "plugin_helper_start_failed",
                  {{"provider", portrait_.id},
                   {"reason", last_failure_},
                   {"retry_in_ms", std::to_string(backoff_.count())}});
        backoff_ = std::min(backoff_ * 2, kMaxBackoff);
        why = "its helper process could not be started again: " + last_failure_;
        return nullptr;
    }
    ++generation_;
    const std::uint64_t restarts = ++restarts_;
    {
        std::lock_guard lock(g_counts_mutex);
        ++g_counts[portrait_.id].restarts;
    }
    log_event(LogLevel::warn, "plugin_helper_restarted",
              {{"provider", portrait_.id},
               {"pid", std::to_string(helper_->pid())},
               {"restarts", std::to_string(restarts)}});
    return helper_.get();
}

std::string IsolatedPlugin::fail_helper(const HelperFailure &failure, const char *call) {
    std::string what = failure.what();
    if (failure.kind() == HelperFailure::Kind::timed_out)
        what += " (deadline " + std::to_string(settings_.call_timeout.count()) + " ms); it was killed";
    helper_.reset();  // kills what is left and reaps it
    last_failure_ = what;
    next_start_ = Clock::now() + backoff_;
    {
        std::lock_guard lock(g_counts_mutex);
        ++g_counts[portrait_.id].failures[std::string(failure_kind_name(failure.kind()))];
    }
    log_event(LogLevel::error, "plugin_helper_failed",
              {{"provider", portrait_.id},
               {"call", call},
               {"kind", failure_kind_name(failure.kind())},
               {"reason", what},
               {"restart_in_ms", std::to_string(backoff_.count())}});
    std::string message = what + " in " + call + "; it is restarted on a later call (after " +
                          std::to_string(backoff_.count()) + " ms)";
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return message;
}

sb_status IsolatedPlugin::forward(std::string frame, const Sinks &sinks, const sb_error_sink *err,
                                  std::uint64_t generation, const char *call) {
    auto fail = [err](const std::string &why) {
        if (err) err->report(err->ctx, SB_ERROR_UPSTREAM, 0, to_sb(why));
        return static_cast<sb_status>(SB_ERR_INTERNAL);
    };
    try {
        if (frame.size() > hp::kMaxFrame) return fail("the request is too large to hand to its helper process");
        const auto deadline = Clock::now() + settings_.call_timeout;
        std::unique_lock lock(mutex_, std::defer_lock);
        if (!lock.try_lock_until(deadline))
            return fail("its helper process is still busy with earlier calls past the deadline");
        if (generation != 0 && (!helper_ || generation != generation_))
            return fail("its helper process stopped since the stream began (" + last_failure_ + ")");
        std::string why;
        HelperProcess *helper = running_helper(why);
        if (!helper) return fail(why);
        if (sinks.generation) *sinks.generation = generation_;
        try {
            helper->send(frame, deadline);
            const std::string reply = helper->receive(deadline);
            const sb_status status = replay(reply, sinks, err);
            backoff_ = kFirstBackoff;
            return status;
        } catch (const HelperFailure &f) {
            return fail(fail_helper(f, call));
        } catch (const hp::ProtocolError &e) {
            return fail(fail_helper(HelperFailure(HelperFailure::Kind::protocol,
                                                  std::string("its helper process sent a malformed reply: ") +
                                                      e.what()),
                                    call));
        }
    } catch (const std::exception &e) {
        return fail(std::string("forwarding to its helper process failed: ") + e.what());
    }
}

sb_status IsolatedPlugin::replay(const std::string &reply, const Sinks &s, const sb_error_sink *err) const {
    hp::Reader in(reply);
    for (;;) {
        switch (static_cast<Piece>(in.u8())) {
        case Piece::done: {
            const sb_status status = in.i32();
            if (!in.at_end()) throw hp::ProtocolError("bytes after the end of a reply");
            return status;
        }
        case Piece::set_method: {
            sb_str v = to_sb(in.str());
            if (s.builder) s.builder->set_method(s.builder->ctx, v);
            break;
        }
        case Piece::set_url: {
            sb_str v = to_sb(in.str());
            if (s.builder) s.builder->set_url(s.builder->ctx, v);
            break;
        }
        case Piece::add_header: {
            sb_str name = to_sb(in.str());
            sb_str value = to_sb(in.str());
            if (s.builder) s.builder->add_header(s.builder->ctx, name, value);
            break;
        }
        case Piece::append_body: {
            std::string_view v = in.str();
            if (s.builder) s.builder->append_body(s.builder->ctx, v.data(), v.size());
            break;
        }
        case Piece::write: {
            std::string_view v = in.str();
            if (s.sink) s.sink->write(s.sink->ctx, v.data(), v.size());
            break;
        }
        case Piece::chunk: {
            std::string_view v = in.str();
            if (s.chunks && !v.empty()) s.chunks->emit(s.chunks->ctx, v.data(), v.size());
            break;
        }
        case Piece::usage: {
            sb_usage u{sizeof(sb_usage), in.i64(), in.i64(), in.i64(), in.i64()};
            if (s.chunks && SB_TABLE_HAS(s.chunks, sb_chunk_sink, usage) && s.chunks->usage)
                s.chunks->usage(s.chunks->ctx, &u);
            else if (s.usage)
                s.usage->report(s.usage->ctx, &u);
            break;
        }
        case Piece::model: {
            sb_str id = to_sb(in.str());
            sb_str display = to_sb(in.str());
            if (s.models) s.models->add(s.models->ctx, id, display);
            break;
        }
        case Piece::error: {
            const sb_error_kind kind = in.i32();
            const std::int32_t status = in.i32();
            sb_str message = to_sb(in.str());
            if (err) err->report(err->ctx, kind, status, message);
            break;
        }
        case Piece::stream_opened: {
            const std::uint64_t id = in.u64();
            if (s.opened_stream) *s.opened_stream = id;
            break;
        }
        default: throw hp::ProtocolError("unknown reply piece");
        }
    }
}

sb_status IsolatedPlugin::build_chat(const sb_provider_config *config, const sb_chat_request *request,
                                     const sb_http_request_builder *out, const sb_error_sink *err) {
    hp::Writer w = call_frame(Call::build_chat);
    put_config(w, config);
    w.str(request->body_json);
    w.i32(request->stream);
    return forward(w.frame(), Sinks{.builder = out}, err, 0, "build_chat_request");
}

sb_status IsolatedPlugin::parse_chat(const sb_provider_config *config, const sb_http_response *response,
                                     const sb_sink *out, const sb_error_sink *err) {
    hp::Writer w = call_frame(Call::parse_chat);
    put_config(w, config);
    const sb_usage_sink *usage = usage_of(response);
    w.u8(usage != nullptr);
    put_response(w, response);
    return forward(w.frame(), Sinks{.sink = out, .usage = usage}, err, 0, "parse_chat_response");
}

sb_status IsolatedPlugin::stream_open(const sb_provider_config *config, const sb_chat_request *request,
                                      sb_stream **stream, const sb_error_sink *err) {
    *stream = nullptr;
    hp::Writer w = call_frame(Call::stream_open);
    put_config(w, config);
    w.str(request->body_json);
    w.i32(request->stream);
    std::uint64_t id = 0, generation = 0;
    const sb_status st =
        forward(w.frame(), Sinks{.opened_stream = &id, .generation = &generation}, err, 0, "stream_open");
    if (st != SB_OK) return st;
    if (id == 0) {
        static constexpr std::string_view why = "its helper process opened no stream";
        if (err) err->report(err->ctx, SB_ERROR_UPSTREAM, 0, to_sb(why));
        return SB_ERR_INTERNAL;
    }
    *stream = reinterpret_cast<sb_stream *>(new RemoteStream{generation, id});
    return SB_OK;
}

sb_status IsolatedPlugin::stream_event(sb_stream *stream, const sb_stream_event *event, const sb_chunk_sink *out,
                                       const sb_error_sink *err) {
    const auto *remote = reinterpret_cast<const RemoteStream *>(stream);
    hp::Writer w = call_frame(Call::stream_event);
    w.u64(remote->id);
    w.str(event->event);
    w.str(event->data);
    return forward(w.frame(), Sinks{.chunks = out}, err, remote->generation, "stream_event");
}

sb_status IsolatedPlugin::stream_close(sb_stream *stream, const sb_chunk_sink *out, const sb_error_sink *err) {
    std::unique_ptr<RemoteStream> remote(reinterpret_cast<RemoteStream *>(stream));
    hp::Writer w = call_frame(Call::stream_close);
    w.u64(remote->id);
    w.u8(out != nullptr);
    return forward(w.frame(), Sinks{.chunks = out}, out ? err : nullptr, remote->generation, "stream_close");
}

sb_status IsolatedPlugin::build_models(const sb_provider_config *config, const sb_http_request_builder *out,
                                       const sb_error_sink *err) {
    hp::Writer w = call_frame(Call::build_models);
    put_config(w, config);
    return forward(w.frame(), Sinks{.builder = out}, err, 0, "build_models_request");
}

sb_status IsolatedPlugin::parse_models(const sb_provider_config *config, const sb_http_response *response,
                                       const sb_model_sink *out, const sb_error_sink *err) {
    hp::Writer w = call_frame(Call::parse_models);
    put_config(w, config);
    put_response(w, response);
    return forward(w.frame(), Sinks{.models = out}, err, 0, "parse_models_response");
}

sb_status IsolatedPlugin::self_check(const sb_error_sink *err) {
    return forward(call_frame(Call::self_check).frame(), Sinks{}, err, 0, "self_check");
}

sb_status IsolatedPlugin::build_native(const sb_provider_config *config, const sb_native_request *request,
                                       const sb_http_request_builder *out, const sb_error_sink *err) {
    hp::Writer w = call_frame(Call::build_native);
    put_config(w, config);
    w.str(request->dialect);
    w.str(request->operation);
    w.str(request->body_json);
    w.u32(static_cast<std::uint32_t>(request->header_count));
    for (size_t i = 0; i < request->header_count; ++i) {
        w.str(request->headers[i].name);
        w.str(request->headers[i].value);
    }
    w.i32(request->stream);
    return forward(w.frame(), Sinks{.builder = out}, err, 0, "build_native_request");
}

sb_status IsolatedPlugin::build_embeddings(const sb_provider_config *config, const sb_embeddings_request *request,
                                           const sb_http_request_builder *out, const sb_error_sink *err) {
    hp::Writer w = call_frame(Call::build_embeddings);
    put_config(w, config);
    w.str(request->body_json);
    w.u64(request->input_count);
    return forward(w.frame(), Sinks{.builder = out}, err, 0, "build_embeddings_request");
}

sb_status IsolatedPlugin::parse_embeddings(const sb_provider_config *config, const sb_http_response *response,
                                           const sb_sink *out, const sb_error_sink *err) {
    hp::Writer w = call_frame(Call::parse_embeddings);
    put_config(w, config);
    put_response(w, response);
    return forward(w.frame(), Sinks{.sink = out, .usage = usage_of(response)}, err, 0,
                   "parse_embeddings_response");
}

}  // namespace sb::core
