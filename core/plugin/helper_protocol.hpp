#pragma once
// The framed protocol between the daemon and a plugin helper process
// (--plugin-isolation process). It mirrors the ABI calls one to one.
//
// A frame is a 4-byte little-endian payload length and the payload; the
// payload starts with one byte saying what it is. Integers are little-endian,
// a string is a u32 length and its bytes.
//
//   helper -> daemon, once after start: Hello::loaded and a PluginPortrait
//     (the tables' data: descriptor, known models, lifecycle, native
//     dialects, embeddings values), or Hello::failed and the reason.
//   daemon -> helper: one Call frame per ABI call, its arguments after it.
//   helper -> daemon: one reply frame per call: the pieces the plugin's sink
//     callbacks produced, in order, ending with Piece::done and the status.
//
// The daemon trusts nothing it reads: every read is bounded and checked.
#include "core/plugin/model_lifecycle.hpp"

#include <switchboard/provider_abi.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core::helper_protocol {

// The largest frame either side sends or accepts: a plugin's output is
// bounded at 64 MiB by the host, requests are bounded by the server.
inline constexpr std::uint32_t kMaxFrame = 96u << 20;
// The descriptor on fd 3 of a helper.
inline constexpr int kChannelFd = 3;

enum class Hello : std::uint8_t { loaded = 1, failed = 2 };

enum class Call : std::uint8_t {
    build_chat = 1,
    parse_chat,
    stream_open,
    stream_event,
    stream_close,
    build_models,
    parse_models,
    build_native,
    build_embeddings,
    parse_embeddings,
    self_check,
};

enum class Piece : std::uint8_t {
    done = 1,       // i32 status: the last piece of a reply
    set_method,     // str
    set_url,        // str
    add_header,     // str name, str value
    append_body,    // str
    write,          // str (sb_sink)
    chunk,          // str (sb_chunk_sink.emit)
    usage,          // 4 x i64 (SB_USAGE_UNKNOWN where the plugin said nothing)
    model,          // str id, str display name
    error,          // i32 kind, i32 http status, str message
    stream_opened,  // u64: the helper's id of the stream
};

// Bits of PluginPortrait::functions: which optional functions the plugin has.
enum : std::uint32_t {
    kHasStream = 1u << 0,     // stream_open, stream_event, stream_close
    kHasModels = 1u << 1,     // build_models_request, parse_models_response
    kHasSelfCheck = 1u << 2,  // self_check (v1.1)
};

// What the daemon needs of a plugin's tables to stand in for them.
struct PluginPortrait {
    std::uint32_t abi_major = 0;
    std::uint32_t abi_minor = 0;
    std::uint32_t functions = 0;
    std::string id, display_name, plugin_version, default_model, default_api_base;
    std::string env_api_key, env_model, env_api_base;
    std::uint64_t capabilities = 0;
    std::int32_t stream_framing = SB_FRAMING_SSE;
    std::vector<std::string> known_models;
    // ABI 1.4: where the host writes the credential; empty before.
    std::string credential_header, credential_prefix;
    std::vector<ModelLifecycle> lifecycle;
    bool has_native = false;
    bool native_builds = false;  // build_native_request is non-NULL
    std::vector<std::string> native_dialects;
    bool has_embeddings = false;
    bool embeddings_complete = false;  // both functions non-NULL
    std::vector<std::string> embedding_models;
    std::string embedding_default_model;
    std::uint64_t embedding_max_batch = 0;
    std::uint64_t embedding_flags = 0;
};

// A frame the peer sent that does not parse.
class ProtocolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Builds one frame; the length is filled in by frame().
class Writer {
public:
    Writer() : out_(4, '\0') {}
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v);
    void u64(std::uint64_t v);
    void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
    void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
    void str(std::string_view s);
    void str(sb_str s) { str(s.ptr ? std::string_view(s.ptr, s.len) : std::string_view()); }
    void strings(const std::vector<std::string> &list);
    std::size_t size() const noexcept { return out_.size(); }
    // The whole frame, length prefix included.
    std::string frame();

private:
    std::string out_;
};

// Reads one frame's payload; throws ProtocolError past its end.
class Reader {
public:
    explicit Reader(std::string_view payload) : in_(payload) {}
    std::uint8_t u8();
    std::uint32_t u32();
    std::uint64_t u64();
    std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
    std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
    std::string_view str();
    std::vector<std::string> strings();
    bool at_end() const noexcept { return pos_ == in_.size(); }

private:
    std::string_view take(std::size_t n);
    std::string_view in_;
    std::size_t pos_ = 0;
};

// The payload length a frame's 4-byte head announces.
std::uint32_t frame_length(const char (&head)[4]);

void write_portrait(Writer &out, const PluginPortrait &p);
PluginPortrait read_portrait(Reader &in);

// Blocking I/O for the helper (its one descriptor). read_frame returns false
// at the end of the stream; both throw ProtocolError on a broken one.
bool read_frame(int fd, std::string &payload);
void write_all(int fd, std::string_view bytes);

}  // namespace sb::core::helper_protocol
