#define BOOST_TEST_MODULE secret_box
#include "core/store/secret_box.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace sb::core;

namespace {

const std::string kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kOtherKeyHex = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kSecret = "sk-live-vendor-key-0123456789";
const std::string kField = "config/providers/openai/api_key";

// The hex part after "sb1.<key id>.", as a mutable string.
std::size_t body_start(const std::string &sealed) { return sealed.find('.', 4) + 1; }

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_returns_the_plaintext_and_hides_it) {
    SecretBox box(parse_secret_key(kKeyHex));
    std::string sealed = box.seal(kSecret, kField);
    BOOST_TEST(sealed.starts_with("sb1."));
    BOOST_TEST(sealed.find(kSecret) == std::string::npos);
    BOOST_TEST(sealed.find(kKeyHex) == std::string::npos);
    BOOST_TEST(box.open(sealed, kField) == kSecret);
    BOOST_TEST(box.open(box.seal("", kField), kField) == "");
}

BOOST_AUTO_TEST_CASE(each_seal_uses_a_fresh_nonce) {
    SecretBox box(parse_secret_key(kKeyHex));
    BOOST_TEST(box.seal(kSecret, kField) != box.seal(kSecret, kField));
}

BOOST_AUTO_TEST_CASE(a_changed_byte_anywhere_is_detected) {
    SecretBox box(parse_secret_key(kKeyHex));
    const std::string sealed = box.seal(kSecret, kField);
    for (std::size_t i = body_start(sealed); i < sealed.size(); ++i) {
        std::string tampered = sealed;
        tampered[i] = tampered[i] == '0' ? '1' : '0';
        BOOST_CHECK_THROW(box.open(tampered, kField), std::runtime_error);
    }
    BOOST_CHECK_THROW(box.open(sealed.substr(0, sealed.size() - 2), kField), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_value_moved_to_another_field_does_not_open) {
    SecretBox box(parse_secret_key(kKeyHex));
    BOOST_CHECK_THROW(box.open(box.seal(kSecret, kField), "config/providers/anthropic/api_key"),
                      std::runtime_error);
}

BOOST_AUTO_TEST_CASE(another_key_is_refused_and_named_as_such) {
    SecretBox box(parse_secret_key(kKeyHex));
    SecretBox other(parse_secret_key(kOtherKeyHex));
    std::string sealed = box.seal(kSecret, kField);
    try {
        other.open(sealed, kField);
        BOOST_FAIL("opened with the wrong key");
    } catch (const std::runtime_error &e) {
        BOOST_TEST(std::string(e.what()).find("another secret key") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find(kOtherKeyHex) == std::string::npos);
    }
    // Even with the key id forged to match, the tag refuses it.
    std::string forged =
        other.seal("x", kField).substr(0, body_start(sealed)) + sealed.substr(body_start(sealed));
    BOOST_CHECK_THROW(other.open(forged, kField), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(malformed_sealed_text_is_refused) {
    SecretBox box(parse_secret_key(kKeyHex));
    for (std::string bad : {"", "sk-plain", "sb1.", "sb1.12345678.zz", "sb1.12345678.00"})
        BOOST_CHECK_THROW(box.open(bad, kField), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(secret_key_must_be_64_hex_digits_and_errors_do_not_quote_it) {
    BOOST_CHECK_NO_THROW(parse_secret_key("  " + kKeyHex + "\n"));
    std::string upper = kKeyHex;
    for (char &c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    BOOST_TEST((parse_secret_key(upper) == parse_secret_key(kKeyHex)));
    for (std::string bad :
         {std::string(""), kKeyHex.substr(2), kKeyHex + "00", "zz" + kKeyHex.substr(2)}) {
        try {
            parse_secret_key(bad);
            BOOST_FAIL("accepted a bad key");
        } catch (const std::runtime_error &e) {
            BOOST_TEST(std::string(e.what()).find("64 hex digits") != std::string::npos);
            if (!bad.empty()) BOOST_TEST(std::string(e.what()).find(bad) == std::string::npos);
        }
    }
}
