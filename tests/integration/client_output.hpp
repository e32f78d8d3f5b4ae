#pragma once
// Reading the JSON line a real-client script (tests/<client>/run.mjs) prints,
// for the tests that drive the daemon with official npm clients.
#include <string>
#include <string_view>

#include "integration/integration_fixture.hpp"

namespace sb::test::it {

// The value at `dotted`, serialized ("<missing ...>" when absent).
inline std::string show(const json::value &doc, std::string_view dotted) {
    const json::value *v = find(doc, dotted);
    return v ? json::serialize(*v) : std::string("<missing ") + std::string(dotted) + ">";
}

// The number at `dotted`; -1 when absent or not a number.
inline long number_at(const json::value &doc, std::string_view dotted) {
    const json::value *n = find(doc, dotted);
    if (!n || !n->is_number()) return -1;
    return n->to_number<long>();
}

// Two JSON texts are the same value ("" counts as {}: no arguments).
inline bool same_json(std::string a, std::string b) {
    if (a.empty()) a = "{}";
    if (b.empty()) b = "{}";
    try {
        return parse_json(a) == parse_json(b);
    } catch (...) {
        return false;
    }
}

}  // namespace sb::test::it
