#pragma once
// Where the gateway may send a provider's key. A settable api_base must not
// turn the gateway into a key-forwarding proxy for cloud metadata services
// or arbitrary hosts: link-local and metadata addresses are refused unless
// the operator allows them, and an optional allowlist pins the hosts.
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

class Environment;

struct ApiBasePolicy {
    bool allow_link_local = false;            // SWITCHBOARD_ALLOW_LINK_LOCAL=1
    std::vector<std::string> allowed_hosts;   // SWITCHBOARD_API_BASE_ALLOWLIST (comma-separated;
                                              // "*.example.com" matches subdomains)

    static ApiBasePolicy from_environment(const Environment &env);

    // Why url may not be used as an API base, or nullopt when it may.
    std::optional<std::string> refusal(std::string_view url) const;
    // Whether a resolved address may be connected to (checked again at
    // connect time, so DNS cannot smuggle a refused address in).
    bool address_allowed(const boost::asio::ip::address &address) const;
};

}  // namespace sb::core
