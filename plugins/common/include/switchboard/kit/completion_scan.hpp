// An OpenAI chat.completion that a plugin passes through as it came, read in
// one validating pass over its text instead of parsed into a json::value.
//
// A pass-through answer is parsed only to be checked (JSON, an object, no
// "error", a "choices" array) and to read its usage; building the tree was
// three quarters of that cost (the parse's value stack, one object per level
// with its duplicate-key check, the strings copied, the walk for
// out-of-range numbers). The scan runs the same Boost.JSON parser with the
// same options and limits, so it accepts exactly the texts json::parse
// accepts, and reads the members as the tree would hold them: the last of
// duplicate keys wins, keys are compared unescaped, an out-of-range number
// (1e999) counts as null (kit::try_parse nulls it).
#ifndef SWITCHBOARD_KIT_COMPLETION_SCAN_HPP
#define SWITCHBOARD_KIT_COMPLETION_SCAN_HPP

#include <switchboard/provider.hpp>

#include <optional>
#include <string_view>

namespace switchboard::kit {

struct CompletionScan {
    bool is_json = false;      // one valid JSON document, nothing after it
    bool is_object = false;    // ... and an object
    bool has_error = false;    // with a non-null "error" member
    bool has_choices = false;  // with a "choices" array
    // Its "usage" object read as usage_of_unified reads it; nullopt without one.
    std::optional<sdk::Usage> usage;

    // An answer to pass through with no further look: anything else (an
    // error, a broken body) is read again as a tree, by the code that
    // explains what is wrong.
    bool passes() const { return is_json && is_object && !has_error && has_choices; }
};

CompletionScan scan_completion(std::string_view body);

}  // namespace switchboard::kit

#endif  // SWITCHBOARD_KIT_COMPLETION_SCAN_HPP
