#pragma once
// Seals secrets (vendor keys) that leave the process for a shared store:
// AES-256-GCM (OpenSSL EVP) under the operator's key, a fresh random 96-bit
// nonce per seal, and the field's name as associated data, so a sealed value
// copied into another field does not open there.
//
// Sealed text: "sb1." + 8 hex digits naming the key (the first bytes of a
// SHA-256 over a label and the key: tells "another key" from "tampered"
// without revealing the key) + "." + hex(nonce | ciphertext | tag).
//
// Thread safety: a SecretBox is immutable; seal and open may run on any
// thread at once. Errors: open throws std::runtime_error (never quoting the
// key or the plaintext).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sb::core {

using SecretKey = std::array<std::uint8_t, 32>;

class SecretBox {
public:
    explicit SecretBox(const SecretKey &key);
    ~SecretBox();
    SecretBox(const SecretBox &) = delete;
    SecretBox &operator=(const SecretBox &) = delete;

    std::string seal(std::string_view plaintext, std::string_view field) const;
    // Throws std::runtime_error when the text is malformed, was sealed under
    // another key, or was changed (or belongs to another field).
    std::string open(std::string_view sealed, std::string_view field) const;

private:
    SecretKey key_;
    std::string key_id_;
};

// `bytes` bytes from OpenSSL's random source, as lower-case hex: ids that
// nobody can guess or collide with (op ids, the store's epoch).
std::string random_hex(std::size_t bytes);

// The key from 64 hex digits (surrounding whitespace ignored). Throws
// std::runtime_error that says what is wrong without quoting the text.
SecretKey parse_secret_key(std::string_view hex_text);

}  // namespace sb::core
