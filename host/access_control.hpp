#pragma once
// Who may call what. Admin endpoints need the admin token when one is
// configured (SWITCHBOARD_ADMIN_TOKEN or <state-dir>/admin_token) and are
// loopback-only without one. The data plane needs a client key when any are
// configured (SWITCHBOARD_CLIENT_KEYS or <state-dir>/client_keys). /metrics
// is open unless SWITCHBOARD_METRICS_TOKEN is set. Comparisons are
// constant-time.
#include "core/config/config_resolver.hpp"

#include <boost/asio/ip/address.hpp>

#include <array>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sb::host {

class AccessControl {
public:
    using Digest = std::array<unsigned char, 32>;

    // Reads the token and client keys from env and the state dir. Throws
    // std::runtime_error when a configured file is unreadable or empty.
    static AccessControl load(const core::Environment &env, const std::filesystem::path &state_dir);
    AccessControl() = default;
    AccessControl(std::string admin_token, std::vector<std::string> client_keys, std::string metrics_token = {});

    bool has_admin_token() const noexcept { return has_admin_token_; }
    bool has_client_keys() const noexcept { return !client_key_digests_.empty(); }
    bool has_metrics_token() const noexcept { return has_metrics_token_; }

    // Without a secret, only the machine itself may call: a web page in a
    // local browser (cross-site requests, DNS rebinding) is refused by its
    // Host and Origin headers. Throws GatewayError (403) when refused.
    static void require_local_browser_context(std::string_view host, std::string_view origin);

    // Throws GatewayError (401/403) when the call is not allowed.
    void authorize_admin(std::string_view authorization, const boost::asio::ip::address &peer) const;
    // api_key: an x-api-key header where the dialect takes one (Anthropic's
    // clients), used when authorization carries no bearer credential.
    void authorize_client(std::string_view authorization, std::string_view api_key = {}) const;
    // Whether the credential (as authorize_client reads it) is one of the
    // static client keys; false when there are none.
    bool is_client_key(std::string_view authorization, std::string_view api_key = {}) const;
    // The credential itself: the bearer one, else api_key; empty when none.
    static std::string_view credential(std::string_view authorization, std::string_view api_key = {});
    // The id of the client key in authorization (or else api_key), for logs:
    // the first 8 hex digits of its SHA-256 (`printf %s "$KEY" | sha256sum |
    // cut -c1-8`); empty when there is no credential. Reveals nothing of the key.
    static std::string client_key_id(std::string_view authorization, std::string_view api_key = {});
    // Throws GatewayError (401) when a metrics token is set and not given.
    void authorize_metrics(std::string_view authorization) const;

private:
    bool has_admin_token_ = false;
    Digest admin_digest_{};
    bool has_metrics_token_ = false;
    Digest metrics_digest_{};
    std::vector<Digest> client_key_digests_;
};

}  // namespace sb::host
