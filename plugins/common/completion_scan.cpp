#include <switchboard/kit/completion_scan.hpp>
#include <switchboard/kit/kit.hpp>

#include <boost/json/basic_parser_impl.hpp>

#include <cmath>
#include <cstring>

namespace switchboard::kit {

namespace {

// The members the scan follows, one level each: the answer's, its usage's,
// and a usage details object's.
enum class Field { other, error, choices, usage, prompt, completion, prompt_details, completion_details, cached,
                   reasoning };

Field field_at(int depth, Field parent, std::string_view key) {
    switch (depth) {
    case 1:
        if (key == "error") return Field::error;
        if (key == "choices") return Field::choices;
        if (key == "usage") return Field::usage;
        return Field::other;
    case 2:
        if (parent != Field::usage) return Field::other;
        if (key == "prompt_tokens") return Field::prompt;
        if (key == "completion_tokens") return Field::completion;
        if (key == "prompt_tokens_details") return Field::prompt_details;
        if (key == "completion_tokens_details") return Field::completion_details;
        return Field::other;
    case 3:
        if (parent == Field::prompt_details && key == "cached_tokens") return Field::cached;
        if (parent == Field::completion_details && key == "reasoning_tokens") return Field::reasoning;
        return Field::other;
    default:
        return Field::other;
    }
}

// basic_parser's handler: every event the grammar has, most of them only
// counting depth. A value starts at the depth of the container holding it
// (0 for the document), and belongs to the member named by the last key read
// at that depth, when every level above it is one the scan follows.
class Handler {
public:
    // The limits of Boost.JSON's own tree-building handler, so the scan
    // refuses what json::parse refuses.
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    CompletionScan scan;

    bool on_document_begin(json::error_code &) { return true; }
    bool on_document_end(json::error_code &) { return true; }
    bool on_object_begin(json::error_code &) { return open(json::kind::object); }
    bool on_object_end(std::size_t, json::error_code &) { return close(); }
    bool on_array_begin(json::error_code &) { return open(json::kind::array); }
    bool on_array_end(std::size_t, json::error_code &) { return close(); }
    bool on_key_part(json::string_view s, std::size_t, json::error_code &) { return key_part(s); }
    bool on_key(json::string_view s, std::size_t, json::error_code &) {
        key_part(s);
        if (depth_ <= kFollowed)
            field_[depth_] = key_overflow_ ? Field::other
                                           : field_at(depth_, field_[depth_ - 1], std::string_view(key_, key_size_));
        key_size_ = 0;
        key_overflow_ = false;
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, json::error_code &) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code &) { return scalar(json::kind::string); }
    bool on_number_part(json::string_view, json::error_code &) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code &) { return count(json::value(i)); }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code &) { return count(json::value(u)); }
    bool on_double(double d, json::string_view, json::error_code &) {
        // try_parse turns an out-of-range number into null.
        return std::isfinite(d) ? count(json::value(d)) : scalar(json::kind::null);
    }
    bool on_bool(bool, json::error_code &) { return scalar(json::kind::bool_); }
    bool on_null(json::error_code &) { return scalar(json::kind::null); }
    bool on_comment_part(json::string_view, json::error_code &) { return true; }
    bool on_comment(json::string_view, json::error_code &) { return true; }

private:
    static constexpr int kFollowed = 3;  // answer, usage, details

    // The field the value starting now belongs to (other when not followed).
    Field current() const {
        if (depth_ == 0 || depth_ > kFollowed || !following_[depth_ - 1]) return Field::other;
        return field_[depth_];
    }

    // A value of this kind starts: what it sets, as the tree would read it.
    void value(json::kind kind) {
        if (depth_ == 0) scan.is_object = kind == json::kind::object;
        switch (current()) {
        case Field::error: scan.has_error = kind != json::kind::null; break;
        case Field::choices: scan.has_choices = kind == json::kind::array; break;
        case Field::usage:
            scan.usage.reset();
            if (kind == json::kind::object) scan.usage.emplace();
            break;
        case Field::prompt_details: scan.usage->cached_tokens = SB_USAGE_UNKNOWN; break;
        case Field::completion_details: scan.usage->reasoning_tokens = SB_USAGE_UNKNOWN; break;
        case Field::prompt: scan.usage->prompt_tokens = SB_USAGE_UNKNOWN; break;
        case Field::completion: scan.usage->completion_tokens = SB_USAGE_UNKNOWN; break;
        case Field::cached: scan.usage->cached_tokens = SB_USAGE_UNKNOWN; break;
        case Field::reasoning: scan.usage->reasoning_tokens = SB_USAGE_UNKNOWN; break;
        case Field::other: break;
        }
    }

    bool open(json::kind kind) {
        value(kind);
        // Only the document's object, the usage object and a details object
        // are followed into.
        Field f = current();
        bool follow = kind == json::kind::object &&
                      (depth_ == 0 || f == Field::usage || f == Field::prompt_details ||
                       f == Field::completion_details);
        ++depth_;
        if (depth_ <= kFollowed) {
            following_[depth_ - 1] = follow;
            field_[depth_] = Field::other;
        }
        return true;
    }
    bool close() {
        --depth_;
        return true;
    }
    bool scalar(json::kind kind) {
        value(kind);
        return true;
    }
    // A number: a count when it is the value of one (json_count's rule).
    bool count(const json::value &v) {
        value(v.kind());
        std::int64_t n = json_count(&v, SB_USAGE_UNKNOWN);
        switch (current()) {
        case Field::prompt: scan.usage->prompt_tokens = n; break;
        case Field::completion: scan.usage->completion_tokens = n; break;
        case Field::cached: scan.usage->cached_tokens = n; break;
        case Field::reasoning: scan.usage->reasoning_tokens = n; break;
        default: break;
        }
        return true;
    }
    // A key may come in parts (escapes); the ones followed are short.
    bool key_part(json::string_view s) {
        if (key_size_ + s.size() > sizeof key_) {
            key_overflow_ = true;
        } else {
            std::memcpy(key_ + key_size_, s.data(), s.size());
            key_size_ += s.size();
        }
        return true;
    }

    int depth_ = 0;
    bool following_[kFollowed] = {};        // following_[d]: the container at depth d+1 is followed
    Field field_[kFollowed + 1] = {};       // field_[d]: the member read last at depth d
    char key_[32];
    std::size_t key_size_ = 0;
    bool key_overflow_ = false;
};

}  // namespace

CompletionScan scan_completion(std::string_view body) {
    json::basic_parser<Handler> parser(json::parse_options{});
    json::error_code ec;
    std::size_t n = parser.write_some(false, body.data(), body.size(), ec);
    CompletionScan scan = parser.handler().scan;
    scan.is_json = !ec && n == body.size();
    return scan;
}

}  // namespace switchboard::kit
