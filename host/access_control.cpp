#include "host/access_control.hpp"
#include "core/net/connection_slots.hpp"

#include "core/errors.hpp"
#include "core/hex.hpp"
#include "core/trusted_file.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sb::host {
namespace {

using core::ErrorCode;
using core::GatewayError;

AccessControl::Digest digest(std::string_view secret) {
    AccessControl::Digest d{};
    SHA256(reinterpret_cast<const unsigned char *>(secret.data()), secret.size(), d.data());
    return d;
}

// Hashing first makes the comparison independent of the secret's length.
bool same_secret(const AccessControl::Digest &expected, std::string_view given) {
    AccessControl::Digest d = digest(given);
    return CRYPTO_memcmp(expected.data(), d.data(), d.size()) == 0;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

std::string_view bearer(std::string_view authorization) {
    authorization = trim(authorization);
    if (authorization.size() < 7) return {};
    std::string scheme(authorization.substr(0, 7));
    for (auto &c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme != "bearer ") return {};
    return trim(authorization.substr(7));
}

std::vector<std::string> split_keys(std::string_view text) {
    std::vector<std::string> keys;
    std::string current;
    for (char c : text) {
        if (c == ',' || c == '\n') {
            if (auto t = trim(current); !t.empty() && t.front() != '#') keys.emplace_back(t);
            current.clear();
        } else {
            current += c;
        }
    }
    if (auto t = trim(current); !t.empty() && t.front() != '#') keys.emplace_back(t);
    return keys;
}

std::string read_secret_file(const std::filesystem::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

AccessControl::AccessControl(std::string admin_token, std::vector<std::string> client_keys,
                             std::string metrics_token) {
    if (!admin_token.empty()) {
        has_admin_token_ = true;
        admin_digest_ = digest(admin_token);
    }
    if (!metrics_token.empty()) {
        has_metrics_token_ = true;
        metrics_digest_ = digest(metrics_token);
    }
    for (const auto &k : client_keys)
        if (!k.empty()) client_key_digests_.push_back(digest(k));
}

AccessControl AccessControl::load(const core::Environment &env, const std::filesystem::path &state_dir) {
    std::string token(trim(env.get("SWITCHBOARD_ADMIN_TOKEN")));
    if (token.empty()) {
        auto file = state_dir / "admin_token";
        if (std::filesystem::exists(file)) {
            core::warn_unless_trusted_secret(file);
            token = std::string(trim(read_secret_file(file)));
            if (token.empty()) throw std::runtime_error(file.string() + " is empty");
        }
    }
    std::vector<std::string> keys = split_keys(env.get("SWITCHBOARD_CLIENT_KEYS"));
    if (keys.empty()) {
        auto file = state_dir / "client_keys";
        if (std::filesystem::exists(file)) {
            core::warn_unless_trusted_secret(file);
            keys = split_keys(read_secret_file(file));
            if (keys.empty()) throw std::runtime_error(file.string() + " has no keys");
        }
    }
    return AccessControl(std::move(token), std::move(keys), std::string(trim(env.get("SWITCHBOARD_METRICS_TOKEN"))));
}

namespace {

// "localhost", "127.0.0.1", "[::1]" with an optional port.
bool is_local_host_header(std::string_view host) {
    if (host.starts_with("[")) {
        auto end = host.find(']');
        if (end == std::string_view::npos) return false;
        boost::system::error_code ec;
        auto a = boost::asio::ip::make_address(host.substr(1, end - 1), ec);
        return !ec && core::is_loopback(a);
    }
    host = host.substr(0, host.find(':'));
    if (host == "localhost") return true;
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(host, ec);
    return !ec && core::is_loopback(a);
}

}  // namespace

void AccessControl::require_local_browser_context(std::string_view host, std::string_view origin) {
    if (!host.empty() && !is_local_host_header(host))
        throw GatewayError(ErrorCode::permission_denied,
                           "without an admin token or client keys the gateway only answers requests addressed to "
                           "localhost (Host header)");
    if (origin.empty() || origin == "null") {
        if (origin == "null")
            throw GatewayError(ErrorCode::permission_denied, "requests from web pages are refused");
        return;
    }
    std::string_view rest = origin;
    for (std::string_view scheme : {"http://", "https://"})
        if (rest.starts_with(scheme)) rest.remove_prefix(scheme.size());
    if (rest.size() == origin.size() || !is_local_host_header(rest))
        throw GatewayError(ErrorCode::permission_denied, "requests from web pages of other origins are refused");
}

void AccessControl::authorize_admin(std::string_view authorization, const boost::asio::ip::address &peer) const {
    if (!has_admin_token_) {
        if (core::is_loopback(peer)) return;
        throw GatewayError(ErrorCode::permission_denied,
                           "admin endpoints accept calls from loopback only when no admin token is configured");
    }
    std::string_view given = bearer(authorization);
    if (given.empty())
        throw GatewayError(ErrorCode::invalid_api_key, "admin endpoints require Authorization: Bearer <admin token>");
    if (!same_secret(admin_digest_, given)) throw GatewayError(ErrorCode::invalid_api_key, "invalid admin token");
}

namespace {

// The bearer credential, or else the x-api-key one.
std::string_view client_credential(std::string_view authorization, std::string_view api_key) {
    std::string_view given = bearer(authorization);
    return given.empty() ? trim(api_key) : given;
}

}  // namespace

std::string AccessControl::client_key_id(std::string_view authorization, std::string_view api_key) {
    std::string_view given = client_credential(authorization, api_key);
    if (given.empty()) return {};
    const Digest d = digest(given);
    std::string id;
    for (int i = 0; i < 4; ++i) core::append_hex(id, d[i]);
    return id;
}

void AccessControl::authorize_client(std::string_view authorization, std::string_view api_key) const {
    if (client_key_digests_.empty()) return;
    std::string_view given = client_credential(authorization, api_key);
    if (given.empty())
        throw GatewayError(ErrorCode::invalid_api_key,
                           "this gateway requires Authorization: Bearer <client key> (or x-api-key on /v1/messages)");
    if (!is_client_key(authorization, api_key)) throw GatewayError(ErrorCode::invalid_api_key, "invalid client key");
}

bool AccessControl::is_client_key(std::string_view authorization, std::string_view api_key) const {
    std::string_view given = client_credential(authorization, api_key);
    bool ok = false;
    for (const auto &d : client_key_digests_) ok |= same_secret(d, given);  // no early exit
    return ok && !given.empty();
}

std::string_view AccessControl::credential(std::string_view authorization, std::string_view api_key) {
    return client_credential(authorization, api_key);
}

void AccessControl::authorize_metrics(std::string_view authorization) const {
    if (!has_metrics_token_) return;
    std::string_view given = bearer(authorization);
    if (given.empty())
        throw GatewayError(ErrorCode::invalid_api_key, "/metrics requires Authorization: Bearer <metrics token>");
    if (!same_secret(metrics_digest_, given)) throw GatewayError(ErrorCode::invalid_api_key, "invalid metrics token");
}

}  // namespace sb::host
