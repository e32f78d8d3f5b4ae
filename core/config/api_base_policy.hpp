#pragma once
// Where the gateway may send a provider's key. A settable api_base must not
// turn the gateway into a key-forwarding proxy for cloud metadata services
// or arbitrary hosts: link-local and metadata addresses are refused unless
// the operator allows them, and an optional allowlist pins the hosts.
//
// One host: the string the policy judges is, byte for byte, the one the
// upstream client resolves, sends in SNI, verifies in the certificate and
// writes in Host. So a host must read the same encoded and decoded: a DNS
// name of letters, digits, '-' and '_' in non-empty labels, or an IP literal;
// never percent-encoding, a control byte or a name the resolver would read
// as a numeric address in another spelling ("127.1", "0x7f000001").
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

class Environment;

// The host an http(s) URL names, or why it cannot be an API base.
struct ApiBaseHost {
    // As the upstream client uses it: a DNS name as written, an IPv4 literal
    // as written, an IPv6 literal in its canonical form without brackets.
    // Empty when refused.
    std::string name;
    std::optional<boost::asio::ip::address> address;  // set for an IP literal
    std::string refusal;                              // why, when name is empty
};

// Parses url as an API base: an absolute http:// or https:// URL with a
// host as described above, a port of 1-65535 when one is given, no
// credentials and no fragment. Nothing else about the host is judged here.
ApiBaseHost api_base_host(std::string_view url);

struct ApiBasePolicy {
    bool allow_link_local = false;            // SWITCHBOARD_ALLOW_LINK_LOCAL=1
    std::vector<std::string> allowed_hosts;   // SWITCHBOARD_API_BASE_ALLOWLIST (comma-separated;
                                              // "*.example.com" matches subdomains)

    static ApiBasePolicy from_environment(const Environment &env);

    // Why url may not be used as an API base, or nullopt when it may. The
    // one gate for every api_base: POST /config and /test, the environment
    // and stored bases at use.
    std::optional<std::string> refusal(std::string_view url) const;
    // Whether a resolved address may be connected to (checked again at
    // connect time, for every address a name resolves to, so DNS cannot
    // smuggle a refused address in). Refuses link-local and cloud metadata
    // addresses, and the IPv6 forms that carry such an IPv4 address
    // (mapped, compatible, translated, NAT64, 6to4, Teredo).
    bool address_allowed(const boost::asio::ip::address &address) const;
};

}  // namespace sb::core
