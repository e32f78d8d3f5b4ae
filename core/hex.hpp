#pragma once
// Lower-case hex digits of bytes, for text meant for people (log escapes,
// ids): one spelling of the digits for the whole daemon.
#include <string>

namespace sb::core {

inline constexpr char kHexDigits[] = "0123456789abcdef";

// Appends the two hex digits of byte.
inline void append_hex(std::string &out, unsigned char byte) {
    out += kHexDigits[byte >> 4];
    out += kHexDigits[byte & 0xf];
}

}  // namespace sb::core
