#include "core/config/api_base_policy.hpp"

#include "core/config/config_resolver.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

namespace sb::core {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool host_matches(std::string_view host, std::string_view pattern) {
    if (pattern.starts_with("*.")) {
        std::string_view suffix = pattern.substr(1);  // ".example.com"
        return host.size() > suffix.size() && host.ends_with(suffix);
    }
    return host == pattern;
}

// Names that resolve to a metadata service inside clouds.
bool is_metadata_name(std::string_view host) {
    return host == "metadata.google.internal" || host == "metadata" || host == "instance-data" ||
           host == "instance-data.ec2.internal" || host == "metadata.azure.internal";
}

}  // namespace

ApiBasePolicy ApiBasePolicy::from_environment(const Environment &env) {
    ApiBasePolicy policy;
    std::string allow = lower(env.get("SWITCHBOARD_ALLOW_LINK_LOCAL"));
    policy.allow_link_local = allow == "1" || allow == "true" || allow == "yes";
    std::string list = env.get("SWITCHBOARD_API_BASE_ALLOWLIST");
    std::string item;
    auto flush = [&] {
        std::string h = lower(item);
        h.erase(std::remove_if(h.begin(), h.end(), [](unsigned char c) { return std::isspace(c); }), h.end());
        if (!h.empty()) policy.allowed_hosts.push_back(h);
        item.clear();
    };
    for (char c : list) {
        if (c == ',')
            flush();
        else
            item += c;
    }
    flush();
    return policy;
}

bool ApiBasePolicy::address_allowed(const boost::asio::ip::address &address) const {
    if (allow_link_local) return true;
    if (address.is_v4()) {
        auto b = address.to_v4().to_bytes();
        if (b[0] == 169 && b[1] == 254) return false;                        // link-local, incl. 169.254.169.254
        if (b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200) return false;  // Alibaba metadata
        return true;
    }
    auto v6 = address.to_v6();
    if (v6.is_link_local()) return false;
    if (v6.is_v4_mapped())
        return address_allowed(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
    auto b = v6.to_bytes();  // fd00:ec2::254, AWS's IPv6 metadata address
    static constexpr std::array<unsigned char, 16> kAwsMetadata = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
                                                                   0,    0,    0,    0,    0, 0, 0x02, 0x54};
    return b != kAwsMetadata;
}

std::optional<std::string> ApiBasePolicy::refusal(std::string_view url) const {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) return "api_base must be an absolute http:// or https:// URL";
    auto scheme = parsed->scheme_id();
    if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
        return "api_base must use http or https";
    if (parsed->has_userinfo()) return "api_base must not contain credentials";
    std::string host = lower(parsed->host_address());
    if (host.empty()) return "api_base has no host";
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (!allowed_hosts.empty() &&
        std::none_of(allowed_hosts.begin(), allowed_hosts.end(), [&](const auto &p) { return host_matches(host, p); }))
        return "api_base host '" + host + "' is not in SWITCHBOARD_API_BASE_ALLOWLIST";
    if (!allow_link_local) {
        if (is_metadata_name(host))
            return "api_base host '" + host + "' is a cloud metadata service (set SWITCHBOARD_ALLOW_LINK_LOCAL=1 to allow)";
        boost::system::error_code ec;
        auto address = boost::asio::ip::make_address(host, ec);
        if (!ec && !address_allowed(address))
            return "api_base address '" + host +
                   "' is link-local or a cloud metadata address (set SWITCHBOARD_ALLOW_LINK_LOCAL=1 to allow)";
    }
    return std::nullopt;
}

}  // namespace sb::core
