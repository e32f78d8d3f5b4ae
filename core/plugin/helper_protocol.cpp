#include "core/plugin/helper_protocol.hpp"

#include <cerrno>
#include <unistd.h>

namespace sb::core::helper_protocol {
namespace {

// Lists in a portrait are never longer than this (a plugin lists a few
// dozen models).
constexpr std::uint32_t kMaxListItems = 1u << 16;

template <class T>
void put_little_endian(std::string &out, T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <class T>
T get_little_endian(std::string_view bytes) {
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= T(static_cast<unsigned char>(bytes[i])) << (8 * i);
    return v;
}

}  // namespace

std::uint32_t frame_length(const char (&head)[4]) {
    return get_little_endian<std::uint32_t>(std::string_view(head, 4));
}

void Writer::u32(std::uint32_t v) { put_little_endian(out_, v); }

void Writer::u64(std::uint64_t v) { put_little_endian(out_, v); }

void Writer::str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
}

void Writer::strings(const std::vector<std::string> &list) {
    u32(static_cast<std::uint32_t>(list.size()));
    for (const auto &s : list) str(s);
}

std::string Writer::frame() {
    std::string head;
    put_little_endian(head, static_cast<std::uint32_t>(out_.size() - 4));
    out_.replace(0, 4, head);
    return std::move(out_);
}

std::string_view Reader::take(std::size_t n) {
    if (n > in_.size() - pos_) throw ProtocolError("truncated frame");
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
}

std::uint8_t Reader::u8() { return static_cast<std::uint8_t>(take(1)[0]); }

std::uint32_t Reader::u32() { return get_little_endian<std::uint32_t>(take(4)); }

std::uint64_t Reader::u64() { return get_little_endian<std::uint64_t>(take(8)); }

std::string_view Reader::str() { return take(u32()); }

std::vector<std::string> Reader::strings() {
    const std::uint32_t n = u32();
    if (n > kMaxListItems) throw ProtocolError("list too long");
    std::vector<std::string> list;
    list.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) list.emplace_back(str());
    return list;
}

void write_portrait(Writer &out, const PluginPortrait &p) {
    out.u32(p.abi_major);
    out.u32(p.abi_minor);
    out.u32(p.functions);
    for (const std::string *s : {&p.id, &p.display_name, &p.plugin_version, &p.default_model, &p.default_api_base,
                                 &p.env_api_key, &p.env_model, &p.env_api_base})
        out.str(*s);
    out.u64(p.capabilities);
    out.i32(p.stream_framing);
    out.strings(p.known_models);
    out.str(p.credential_header);
    out.str(p.credential_prefix);
    out.u32(static_cast<std::uint32_t>(p.lifecycle.size()));
    for (const auto &m : p.lifecycle)
        for (const std::string *s : {&m.model, &m.deprecated_on, &m.retired_on, &m.successor, &m.source})
            out.str(*s);
    out.u8(p.has_native);
    out.u8(p.native_builds);
    out.strings(p.native_dialects);
    out.u8(p.has_embeddings);
    out.u8(p.embeddings_complete);
    out.strings(p.embedding_models);
    out.str(p.embedding_default_model);
    out.u64(p.embedding_max_batch);
    out.u64(p.embedding_flags);
}

PluginPortrait read_portrait(Reader &in) {
    PluginPortrait p;
    p.abi_major = in.u32();
    p.abi_minor = in.u32();
    p.functions = in.u32();
    for (std::string *s : {&p.id, &p.display_name, &p.plugin_version, &p.default_model, &p.default_api_base,
                           &p.env_api_key, &p.env_model, &p.env_api_base})
        *s = in.str();
    p.capabilities = in.u64();
    p.stream_framing = in.i32();
    p.known_models = in.strings();
    p.credential_header = in.str();
    p.credential_prefix = in.str();
    const std::uint32_t entries = in.u32();
    if (entries > kMaxListItems) throw ProtocolError("list too long");
    for (std::uint32_t i = 0; i < entries; ++i) {
        ModelLifecycle m;
        for (std::string *s : {&m.model, &m.deprecated_on, &m.retired_on, &m.successor, &m.source}) *s = in.str();
        p.lifecycle.push_back(std::move(m));
    }
    p.has_native = in.u8() != 0;
    p.native_builds = in.u8() != 0;
    p.native_dialects = in.strings();
    p.has_embeddings = in.u8() != 0;
    p.embeddings_complete = in.u8() != 0;
    p.embedding_models = in.strings();
    p.embedding_default_model = in.str();
    p.embedding_max_batch = in.u64();
    p.embedding_flags = in.u64();
    return p;
}

namespace {

// Reads exactly n bytes; false at the end of the stream before the first.
bool read_exact(int fd, char *into, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::read(fd, into + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw ProtocolError("read failed");
        if (r == 0) {
            if (got == 0) return false;
            throw ProtocolError("truncated frame");
        }
        got += static_cast<std::size_t>(r);
    }
    return true;
}

}  // namespace

bool read_frame(int fd, std::string &payload) {
    char head[4];
    if (!read_exact(fd, head, 4)) return false;
    const std::uint32_t n = frame_length(head);
    if (n > kMaxFrame) throw ProtocolError("frame too large");
    payload.resize(n);
    if (n > 0 && !read_exact(fd, payload.data(), n)) throw ProtocolError("truncated frame");
    return true;
}

void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t w = ::write(fd, bytes.data(), bytes.size());
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw ProtocolError("write failed");
        bytes.remove_prefix(static_cast<std::size_t>(w));
    }
}

}  // namespace sb::core::helper_protocol
