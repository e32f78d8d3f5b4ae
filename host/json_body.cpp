#include "host/json_body.hpp"

#include "core/errors.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>

namespace sb::host {

using core::ErrorCode;
using core::GatewayError;

namespace {

// Counts what parsing a body allocates (its value stack and the document)
// and refuses past a cap: a body of many tiny values ("[0,0,0,...]") needs
// sixteen bytes and more per two bytes of text. Lifted once the document is
// built, so it can be changed freely afterwards. One thread at a time, as
// the document it serves. The cap is shared with the caller:
// make_shared_resource keeps the resource as a member of its own object, out
// of the caller's reach.
class ParseMemory final : public boost::json::memory_resource {
public:
    struct Exhausted {};
    using Cap = std::shared_ptr<std::size_t>;
    explicit ParseMemory(Cap cap) noexcept : cap_(std::move(cap)) {}
    static void lift(std::size_t &cap) noexcept { cap = std::numeric_limits<std::size_t>::max(); }

private:
    void *do_allocate(std::size_t bytes, std::size_t align) override {
        if (bytes > *cap_ - std::min(used_, *cap_)) throw Exhausted{};
        void *p = over_aligned(align) ? ::operator new(bytes, std::align_val_t(align)) : ::operator new(bytes);
        used_ += bytes;
        return p;
    }
    void do_deallocate(void *p, std::size_t bytes, std::size_t align) override {
        used_ -= bytes;
        // Unsized, as clang 14 has no sized delete by default; the same form as the new.
        if (over_aligned(align))
            ::operator delete(p, std::align_val_t(align));
        else
            ::operator delete(p);
    }
    static bool over_aligned(std::size_t align) noexcept { return align > __STDCPP_DEFAULT_NEW_ALIGNMENT__; }
    bool do_is_equal(const memory_resource &other) const noexcept override { return this == &other; }

    Cap cap_;
    std::size_t used_ = 0;
};

// A small body's document in one allocation: a bump arena whose first
// kilobyte sits in the same block as the resource (a chat request of a few
// messages fits), where the default resource would allocate every object,
// array, key and long string (9 allocations for a one-message chat request).
// Nothing is freed before the last value using it goes; a small body's
// document, and what a handler adds to it, stays small.
class SmallBodyMemory final : public boost::json::memory_resource {
private:
    void *do_allocate(std::size_t bytes, std::size_t align) override { return arena_.allocate(bytes, align); }
    void do_deallocate(void *, std::size_t, std::size_t) override {}
    bool do_is_equal(const memory_resource &other) const noexcept override { return this == &other; }

    alignas(std::max_align_t) unsigned char first_[1024];
    boost::json::monotonic_resource arena_{first_, sizeof first_};
};

boost::json::parse_options body_parse_options() {
    boost::json::parse_options options;
    options.max_depth = 64;
    return options;
}

boost::json::object as_object(boost::json::value value) {
    if (!value.is_object()) throw GatewayError(ErrorCode::invalid_request, "request body must be a JSON object");
    return std::move(value.as_object());
}

[[noreturn]] void invalid_json(const boost::json::error_code &ec) {
    throw GatewayError(ErrorCode::invalid_json, "request body is not valid JSON: " + ec.message());
}

}  // namespace

std::size_t json_parse_memory_cap(std::size_t body_bytes) noexcept {
    return kJsonParseMemoryPerByte * body_bytes + kJsonParseMemoryBase;
}

boost::json::object parse_json_object(std::string_view body) {
    if (body.empty()) throw GatewayError(ErrorCode::invalid_json, "request body is empty; expected a JSON object");
    boost::json::error_code ec;
    // A small body cannot take much whatever its shape: parsed as usual.
    if (body.size() < kJsonParseMemoryBase / kJsonSmallBodyRatio) {
        boost::json::value value = boost::json::parse(body, ec, boost::json::make_shared_resource<SmallBodyMemory>(),
                                                      body_parse_options());
        if (ec) invalid_json(ec);
        return as_object(std::move(value));
    }
    const std::size_t cap = json_parse_memory_cap(body.size());
    const auto cap_left = std::make_shared<std::size_t>(cap);
    boost::json::storage_ptr memory = boost::json::make_shared_resource<ParseMemory>(cap_left);
    boost::json::value value;
    try {
        boost::json::parser parser(memory, body_parse_options());  // the value stack, then the document
        parser.reset(memory);
        parser.write(body, ec);
        if (ec) invalid_json(ec);
        value = parser.release();
    } catch (const ParseMemory::Exhausted &) {
        throw GatewayError(ErrorCode::request_too_large,
                           "request body is too complex: parsing it would take more than " +
                               std::to_string(cap >> 20) + " MiB");
    }
    ParseMemory::lift(*cap_left);
    return as_object(std::move(value));
}

void reject_unknown_fields(const boost::json::object &object, std::initializer_list<std::string_view> allowed) {
    for (const auto &entry : object) {
        bool known = false;
        for (auto name : allowed) known = known || entry.key() == name;
        if (!known) {
            std::string key(entry.key());
            if (key.size() > 64) {
                std::size_t cut = 64;  // never split a UTF-8 sequence
                while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) --cut;
                key = key.substr(0, cut) + "...";
            }
            throw GatewayError(ErrorCode::invalid_request, "unknown field '" + key + "'", key);
        }
    }
}

std::optional<std::string> optional_string(const boost::json::object &object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    if (!it->value().is_string())
        throw GatewayError(ErrorCode::invalid_request, "field '" + std::string(key) + "' must be a string",
                           std::string(key));
    return std::string(it->value().get_string());
}

void validate_chat_request(const boost::json::object &body) {
    auto messages = body.find("messages");
    if (messages == body.end())
        throw GatewayError(ErrorCode::invalid_request, "field 'messages' is required", "messages");
    if (!messages->value().is_array() || messages->value().get_array().empty())
        throw GatewayError(ErrorCode::invalid_request, "field 'messages' must be a non-empty array", "messages");
    for (const auto &m : messages->value().get_array()) {
        if (!m.is_object() || !m.get_object().contains("role") || !m.get_object().at("role").is_string())
            throw GatewayError(ErrorCode::invalid_request, "each message must be an object with a string 'role'",
                               "messages");
    }
    if (auto model = body.find("model"); model != body.end() && !model->value().is_string())
        throw GatewayError(ErrorCode::invalid_request, "field 'model' must be a string", "model");
    if (auto stream = body.find("stream"); stream != body.end() && !stream->value().is_bool() &&
                                           !stream->value().is_null())
        throw GatewayError(ErrorCode::invalid_request, "field 'stream' must be a boolean", "stream");
}

}  // namespace sb::host
