// Translation helpers shared by every in-tree provider plugin.
//
// Linked statically into each plugin (never exported): Boost.JSON is compiled
// once, header-only, inside this library (json_impl.cpp) and the plugin's
// version script keeps all of it local. Plugins link against sdk/ and this kit
// only, never against core/ or host/.
#ifndef SWITCHBOARD_KIT_KIT_HPP
#define SWITCHBOARD_KIT_KIT_HPP

#include <switchboard/kit/text.hpp>
#include <switchboard/provider.hpp>

#include <boost/json.hpp>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::kit {

namespace sdk = ::switchboard::sdk;
namespace json = ::boost::json;

// ------------------------------------------------------------------ JSON

// Scratch memory for the JSON one call parses, edits and drops: strings,
// arrays and objects are carved out of a stack buffer (spilling to the heap
// only past it) instead of one allocation each. Nothing stored on it may
// outlive the call; copy into default storage what a stream must keep
// (copying or moving a json::value keeps its source's storage).
class CallArena {
public:
    CallArena() : resource_(buffer_, sizeof buffer_) {}
    CallArena(const CallArena &) = delete;
    CallArena &operator=(const CallArena &) = delete;
    json::storage_ptr storage() noexcept { return &resource_; }

private:
    unsigned char buffer_[8192];
    json::monotonic_resource resource_;
};

// The unified chat request the host hands a plugin, parsed once. The host
// has validated it (a JSON object with a non-empty "messages" array of
// objects with a string "role"), so nothing of that is checked again; only a
// number out of range (1e999, which Boost.JSON reads as an infinity and no
// vendor could be sent) is refused with sdk::invalid_request.
json::object unified_request(std::string_view body_json, json::storage_ptr storage = {});
// Its "messages" array (a host that broke its promise gets an exception, for
// the sdk's firewall, never undefined behaviour).
inline const json::array &messages(const json::object &unified) { return unified.at("messages").as_array(); }

// Parses any JSON text; returns a null value (and sets ok=false) on failure,
// never throws on bad input.
json::value try_parse(std::string_view text, bool &ok, json::storage_ptr storage = {});

// Serializes compactly.
std::string to_json(const json::value &v);

// Typed member lookups that tolerate wrong types: the fallback (or nullptr)
// when the member is absent or of another type.
std::string_view get_string(const json::object &o, std::string_view key, std::string_view fallback = {});
// An integer member (int64, or uint64 that fits); doubles are not integers.
std::int64_t get_int(const json::object &o, std::string_view key, std::int64_t fallback = 0);
// Any number, as a double.
std::optional<double> get_number(const json::object &o, std::string_view key);
// A count (tokens, offsets) when the member is a number, as json_count reads it.
std::optional<std::int64_t> get_count(const json::object &o, std::string_view key);
bool get_bool(const json::object &o, std::string_view key, bool fallback = false);
const json::object *get_object(const json::object &o, std::string_view key);
const json::array *get_array(const json::object &o, std::string_view key);

// -------------------------------------------------------------- output

// Every stream chunk a plugin produces goes out through here, and every
// non-streamed chat.completion is serialised here: the one place that sees
// each chunk's and completion's "usage". as_received, when given, is the
// vendor's own text of the same chunk or completion (a pass-through), sent
// as it came instead of being serialised again.
void emit_chunk(const sdk::ChunkWriter &out, const json::object &chunk, std::string_view as_received = {});
// The one way a chat.completion leaves a plugin; its "usage" is reported
// typed to the host (ABI 1.2) as well.
std::string completion_json(const sdk::HttpResponse &response, const json::object &completion,
                            std::string_view as_received = {});
// The same for a completion passed through as it came, its usage read by a
// scan instead of from a tree (completion_scan.hpp).
std::string completion_json(const sdk::HttpResponse &response, const std::optional<sdk::Usage> &usage,
                            std::string_view as_received);
// The unified "usage" object of a chunk or completion as the ABI's typed
// report; nullopt when it has none.
std::optional<sdk::Usage> usage_of_unified(const json::object &chunk_or_completion);

// A count or timestamp from vendor JSON (tokens, created, index): integers
// and doubles alike, clamped to [0, 10^15] so casts and sums of a few of
// them can never overflow. fallback when absent or not a number.
std::int64_t json_count(const json::value *v, std::int64_t fallback);

// The id, model and creation time every chunk of a stream carries: the
// vendor's, taken from the first chunk that has each, the asked model until
// then.
struct ChunkHeader {
    std::string id;
    std::string model;         // the asked one
    std::string vendor_model;  // the one the vendor named
    std::int64_t created = 0;

    void learn(const json::object &vendor_chunk);
    // {"id","object":"chat.completion.chunk","created","model"}.
    json::object chunk() const;
    // A chunk of one choice: {"index","delta","finish_reason"} (null when
    // the choice goes on).
    json::object delta_chunk(json::object delta, json::value finish_reason = nullptr, std::int64_t index = 0) const;
    // The usage chunk: "choices":[] and usage (zero counts when null).
    json::object usage_chunk(json::value usage = nullptr) const;
};

// The "created" of a completion or chunk made now (Unix seconds).
inline std::int64_t created_now() { return std::int64_t(std::time(nullptr)); }

// ------------------------------------------------------------------- HTTP

// base + "/" + path with the base's trailing slashes and the path's leading
// slashes trimmed: join_url("https://x/v1//", "/models") == "https://x/v1/models".
std::string join_url(std::string_view base, std::string_view path);

// Adds Content-Type/Accept for a JSON (or SSE when stream) exchange.
void add_json_headers(sdk::HttpRequest &req, bool stream);

inline bool is_2xx(int status) { return status >= 200 && status < 300; }

// Replaces every occurrence of secret in text with "***" (no-op if empty).
std::string redact(std::string text, std::string_view secret);

// --------------------------------------------------------------- errors

struct ClassifiedError {
    sb_error_kind kind = SB_ERROR_UPSTREAM;
    int status = 0;
    std::string message;
};

// What a vendor error body says, for the common shapes:
// {"error":{"message","type","code"}}, {"error":"text"}, {"message":...},
// [{"error":{...}}] (Gemini arrays). Fields are empty when absent.
struct VendorError {
    bool is_json = false;   // the body parsed as JSON
    bool has_error = false; // an error object/message was found
    std::string message;
    std::string type;
    std::string code;  // "code" (string or number rendered) or "status"
};
VendorError read_vendor_error(std::string_view body);
// Same, from an already-parsed "error" member value (object or string).
VendorError read_error_value(const json::value &error);

// Classifies a non-2xx vendor answer (status + body) into an sb_error_kind and
// a message: the vendor's own message when there is one, otherwise a generic
// one naming the provider. api_key is redacted from the message.
//   3xx                                        -> API_BASE_INCORRECT
//   401, code invalid_api_key, 403 that names the key or says nothing
//                                              -> INVALID_API_KEY
//   403 otherwise (region block, missing scope) -> PERMISSION_DENIED
//   429                                        -> RATE_LIMITED
//   code model_not_found / model_not_available (any status),
//   404 that mentions the model                -> MODEL_NOT_FOUND
//   404 otherwise, non-JSON (HTML) 404/405     -> API_BASE_INCORRECT
//   400 context length                         -> CONTEXT_LENGTH
//   other 4xx                                  -> INVALID_REQUEST
//   5xx and anything else                      -> UPSTREAM
ClassifiedError classify_http_error(int status, std::string_view body,
                                    std::string_view provider_name,
                                    std::string_view model = {},
                                    std::string_view api_key = {});

// Classifies an error object received inside a 2xx answer or a stream (no
// meaningful HTTP status): uses code/type/message.
ClassifiedError classify_error_value(const json::value &error, std::string_view provider_name,
                                     std::string_view model = {},
                                     std::string_view api_key = {});

// The ProviderError (SB_ERR_UPSTREAM) for a classified error.
sdk::ProviderError to_provider_error(const ClassifiedError &e);

// The SB_ERROR_UPSTREAM error for a generation the vendor ended with a
// failure finish reason (Mistral "error", Cohere ERROR/TIMEOUT), quoted in
// the message: an answer cut short this way must not read as "stop".
sdk::ProviderError failed_generation(std::string_view provider_name, std::string_view reason,
                                     int http_status = 0);

// SB_ERR_UPSTREAM / API_BASE_INCORRECT: "the API base answered, but not with
// an OpenAI-compatible response" (+ detail).
sdk::ProviderError api_base_incorrect(int status, std::string_view detail = {});

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_KIT_HPP
