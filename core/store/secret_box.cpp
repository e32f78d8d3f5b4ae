#include "core/store/secret_box.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <vector>

#include "core/hex.hpp"

namespace sb::core {
namespace {

constexpr std::string_view kPrefix = "sb1.";
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext new_context() {
    CipherContext ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx) throw std::runtime_error("cannot allocate a cipher context");
    return ctx;
}

std::string to_hex(const unsigned char *data, std::size_t size) {
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) append_hex(out, data[i]);
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// False on an odd length or a character that is not a hex digit.
bool from_hex(std::string_view text, std::vector<unsigned char> &out) {
    if (text.size() % 2 != 0) return false;
    out.resize(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<unsigned char>(hi << 4 | lo);
    }
    return true;
}

std::string key_id_of(const SecretKey &key) {
    static constexpr std::string_view label = "switchboard secret key id\n";
    std::vector<unsigned char> input(label.begin(), label.end());
    input.insert(input.end(), key.begin(), key.end());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    bool ok = EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr) == 1;
    OPENSSL_cleanse(input.data(), input.size());
    if (!ok) throw std::runtime_error("SHA-256 failed");
    return to_hex(digest, 4);
}

int as_int(std::size_t n) { return static_cast<int>(n); }

}  // namespace

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), as_int(bytes)) != 1) throw std::runtime_error("no random bytes");
    return to_hex(raw.data(), raw.size());
}

SecretKey parse_secret_key(std::string_view text) {
    while (!text.empty() &&
           std::string_view(" \t\r\n").find(text.front()) != std::string_view::npos)
        text.remove_prefix(1);
    while (!text.empty() && std::string_view(" \t\r\n").find(text.back()) != std::string_view::npos)
        text.remove_suffix(1);
    std::vector<unsigned char> bytes;
    if (text.size() != 64 || !from_hex(text, bytes))
        throw std::runtime_error(
            "the secret key must be 64 hex digits (32 bytes; e.g. from `openssl rand -hex 32`), "
            "got " +
            std::to_string(text.size()) + " characters");
    SecretKey key{};
    std::copy(bytes.begin(), bytes.end(), key.begin());
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return key;
}

SecretBox::SecretBox(const SecretKey &key) : key_(key), key_id_(key_id_of(key)) {}

SecretBox::~SecretBox() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string SecretBox::seal(std::string_view plaintext, std::string_view field) const {
    std::vector<unsigned char> out(kNonceSize + plaintext.size() + kTagSize);
    if (RAND_bytes(out.data(), as_int(kNonceSize)) != 1)
        throw std::runtime_error("no random bytes for a nonce");
    auto ctx = new_context();
    int len = 0;
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), out.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const unsigned char *>(field.data()),
                          as_int(field.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out.data() + kNonceSize, &len,
                          reinterpret_cast<const unsigned char *>(plaintext.data()),
                          as_int(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonceSize + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, as_int(kTagSize),
                            out.data() + kNonceSize + plaintext.size()) != 1)
        throw std::runtime_error("encryption failed");
    return std::string(kPrefix) + key_id_ + "." + to_hex(out.data(), out.size());
}

std::string SecretBox::open(std::string_view sealed, std::string_view field) const {
    if (!sealed.starts_with(kPrefix) || sealed.size() < kPrefix.size() + 9 ||
        sealed[kPrefix.size() + 8] != '.')
        throw std::runtime_error("not a sealed secret");
    std::string_view key_id = sealed.substr(kPrefix.size(), 8);
    if (key_id != key_id_)
        throw std::runtime_error("sealed under another secret key (key id " + std::string(key_id) +
                                 ", ours " + key_id_ +
                                 "): set the SWITCHBOARD_SECRET_KEY the other daemons use");
    std::vector<unsigned char> raw;
    if (!from_hex(sealed.substr(kPrefix.size() + 9), raw) || raw.size() < kNonceSize + kTagSize)
        throw std::runtime_error("sealed secret is malformed");
    const std::size_t text_size = raw.size() - kNonceSize - kTagSize;
    std::string plain(text_size, '\0');
    auto ctx = new_context();
    int len = 0;
    bool ok =
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), raw.data()) == 1 &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const unsigned char *>(field.data()),
                          as_int(field.size())) == 1 &&
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()), &len,
                          raw.data() + kNonceSize, as_int(text_size)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, as_int(kTagSize),
                            raw.data() + kNonceSize + text_size) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()) + len,
                            &len) == 1;
    if (!ok) {
        OPENSSL_cleanse(plain.data(), plain.size());
        throw std::runtime_error(
            "sealed secret failed authentication: it was changed, or belongs to another field");
    }
    return plain;
}

}  // namespace sb::core
