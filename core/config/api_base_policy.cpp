#include "core/config/api_base_policy.hpp"

#include "core/config/environment.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cctype>

namespace sb::core {
namespace {

namespace ip = boost::asio::ip;

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
    return host == "metadata.google.internal" || host == "metadata.goog" || host == "metadata" ||
           host == "instance-data" || host == "instance-data.ec2.internal" || host == "metadata.azure.internal";
}

// Why name is not a DNS name every layer reads alike, or empty. Labels of
// 1-63 letters, digits, '-' or '_' (service names in containers use it); no
// empty label, not even a final root dot, so the allowlist, SNI and the
// certificate check all see one spelling.
std::string name_problem(std::string_view name) {
    if (name.size() > 253) return "is longer than 253 bytes";
    std::size_t label = 0;
    for (unsigned char c : name) {
        if (c == '.') {
            if (label == 0) return "has an empty label";
            label = 0;
        } else if (std::isalnum(c) || c == '-' || c == '_') {
            if (++label > 63) return "has a label longer than 63 bytes";
        } else {
            return "holds a byte that is not a letter, a digit, '-', '_' or '.'";
        }
    }
    if (label == 0) return "has an empty label";
    // The resolver reads "127.1", "0x7f000001" or "0177.0.0.1" as an IPv4
    // address, which the policy would otherwise judge as a name.
    in_addr numeric{};
    if (::inet_aton(std::string(name).c_str(), &numeric) != 0)
        return "is an IPv4 address in a non-standard form (write it as four decimal numbers)";
    return {};
}

// Boost.URL's port_number() wraps ports past 65535 ("99999" is 34463).
bool valid_port(std::string_view digits) {
    if (digits.empty() || digits.size() > 5) return false;
    unsigned value = 0;
    for (char c : digits) value = value * 10 + static_cast<unsigned>(c - '0');  // the grammar allows digits only
    return value >= 1 && value <= 65535;
}

// The authority as written: what follows "//" up to the first '/', '?' or
// '#'. Boost.URL 1.81 ends an IPv4 host early and takes the rest as the path
// ("http://127.0.0.1x.com/v1": host 127.0.0.1, path "x.com/v1"), so its
// split is checked against this one.
std::string_view written_authority(std::string_view url) {
    auto start = url.find("//");
    if (start == std::string_view::npos) return {};
    start += 2;
    return url.substr(start, url.find_first_of("/?#", start) - start);
}

ApiBaseHost refused(std::string why) {
    ApiBaseHost h;
    h.refusal = std::move(why);
    return h;
}

// IPv4 destinations that are link-local or a cloud's metadata or platform
// service.
bool v4_allowed(const ip::address_v4 &a) {
    const auto b = a.to_bytes();
    if (b[0] == 169 && b[1] == 254) return false;  // link-local: AWS, GCP, Azure, OCI metadata, ECS task roles
    static constexpr std::array<std::array<unsigned char, 4>, 3> kPlatform = {{
        {100, 100, 100, 200},  // Alibaba Cloud metadata
        {168, 63, 129, 16},    // Azure wire server
        {192, 0, 0, 192},      // Oracle Cloud Classic metadata
    }};
    return std::find(kPlatform.begin(), kPlatform.end(), b) == kPlatform.end();
}

ip::address_v4 v4_at(const ip::address_v6::bytes_type &b, std::array<int, 4> at, unsigned char flip = 0) {
    return ip::address_v4({static_cast<unsigned char>(b[at[0]] ^ flip), static_cast<unsigned char>(b[at[1]] ^ flip),
                           static_cast<unsigned char>(b[at[2]] ^ flip), static_cast<unsigned char>(b[at[3]] ^ flip)});
}

// The IPv4 addresses an IPv6 address hands traffic to: the mapped,
// compatible and SIIT-translated forms, NAT64 (RFC 6052, the well-known and
// the local-use prefixes at every prefix length), 6to4 (RFC 3056) and Teredo
// (RFC 4380: its server, and its client, stored inverted).
std::vector<ip::address_v4> carried_v4(const ip::address_v6 &a) {
    const auto b = a.to_bytes();
    auto zero = [&](int from, int to) { return std::all_of(b.begin() + from, b.begin() + to, [](auto x) { return x == 0; }); };
    std::vector<ip::address_v4> out;
    const std::array<int, 4> last{12, 13, 14, 15};
    if (zero(0, 10) && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0))) out.push_back(v4_at(b, last));
    if (zero(0, 8) && b[8] == 0xff && b[9] == 0xff && zero(10, 12)) out.push_back(v4_at(b, last));  // ::ffff:0:a.b.c.d
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
        if (zero(4, 12)) out.push_back(v4_at(b, last));  // 64:ff9b::/96
        if (b[4] == 0x00 && b[5] == 0x01)                // 64:ff9b:1::/48, a prefix of 48 to 96 bits
            for (auto at : {std::array<int, 4>{6, 7, 9, 10}, {7, 9, 10, 11}, {9, 10, 11, 12}, last})
                out.push_back(v4_at(b, at));
    }
    if (b[0] == 0x20 && b[1] == 0x02) out.push_back(v4_at(b, {2, 3, 4, 5}));  // 2002::/16
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {            // 2001::/32
        out.push_back(v4_at(b, {4, 5, 6, 7}));
        out.push_back(v4_at(b, last, 0xff));
    }
    return out;
}

// IPv6 metadata services: AWS's instance metadata and EKS pod identity,
// GCP's metadata server.
bool is_metadata_v6(const ip::address_v6 &a) {
    static const std::array<ip::address_v6, 3> kMetadata = {
        ip::make_address_v6("fd00:ec2::254"), ip::make_address_v6("fd00:ec2::23"), ip::make_address_v6("fd20:ce::254")};
    return std::find(kMetadata.begin(), kMetadata.end(), a) != kMetadata.end();
}

}  // namespace

ApiBaseHost api_base_host(std::string_view url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) return refused("api_base must be an absolute http:// or https:// URL");
    const auto &u = *parsed;
    if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https)
        return refused("api_base must use http or https");
    if (u.has_userinfo()) return refused("api_base must not contain credentials");
    if (u.has_fragment()) return refused("api_base must not have a fragment ('#...')");
    if (!u.has_authority() || u.encoded_host().empty()) return refused("api_base has no host");
    // Decoding must change nothing: "%00" or "%0d%0a" in a host would make
    // the name judged here differ from the one cut at a NUL by the resolver
    // or written into the Host line.
    const std::string_view authority = written_authority(url);
    if (authority.find('%') != std::string_view::npos) return refused("api_base host must not be percent-encoded");
    if (authority != std::string_view(u.encoded_authority()))
        return refused("api_base host must be a DNS name or an IP address");
    if (u.has_port() && !valid_port(u.port()))
        return refused("api_base has a port that is not a number from 1 to 65535");
    ApiBaseHost h;
    switch (u.host_type()) {
        case boost::urls::host_type::ipv4:
            h.address = ip::address(ip::address_v4(u.host_ipv4_address().to_uint()));
            h.name = std::string_view(u.encoded_host());  // dotted decimal, nothing to decode
            return h;
        case boost::urls::host_type::ipv6: {
            auto bytes = u.host_ipv6_address().to_bytes();
            ip::address_v6::bytes_type raw;
            std::copy(bytes.begin(), bytes.end(), raw.begin());
            h.address = ip::address(ip::address_v6(raw));
            h.name = u.host_ipv6_address().to_string();
            return h;
        }
        case boost::urls::host_type::name:
            if (auto problem = name_problem(u.encoded_host()); !problem.empty())
                return refused("api_base host " + problem);
            h.name = std::string_view(u.encoded_host());
            return h;
        default:
            return refused("api_base host must be a DNS name or an IP address");
    }
}

ApiBasePolicy ApiBasePolicy::from_environment(const Environment &env) {
    ApiBasePolicy policy;
    std::string allow = lower(env.get("SWITCHBOARD_ALLOW_LINK_LOCAL"));
    policy.allow_link_local = allow == "1" || allow == "true" || allow == "yes";
    std::string list = env.get("SWITCHBOARD_API_BASE_ALLOWLIST");
    std::string item;
    auto flush = [&] {
        std::string h = lower(item);
        h.erase(std::remove_if(h.begin(), h.end(), [](unsigned char c) { return std::isspace(c); }), h.end());
        if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
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

bool ApiBasePolicy::address_allowed(const ip::address &address) const {
    if (allow_link_local) return true;
    if (address.is_v4()) return v4_allowed(address.to_v4());
    const auto v6 = address.to_v6();
    if (v6.is_link_local() || is_metadata_v6(v6)) return false;
    const auto carried = carried_v4(v6);
    return std::all_of(carried.begin(), carried.end(), v4_allowed);
}

std::optional<std::string> ApiBasePolicy::refusal(std::string_view url) const {
    ApiBaseHost host = api_base_host(url);
    if (host.name.empty()) return host.refusal;
    // DNS names are case-insensitive; the comparison only is.
    const std::string folded = lower(host.name);
    if (!allowed_hosts.empty() &&
        std::none_of(allowed_hosts.begin(), allowed_hosts.end(), [&](const auto &p) { return host_matches(folded, p); }))
        return "api_base host '" + host.name + "' is not in SWITCHBOARD_API_BASE_ALLOWLIST";
    if (!allow_link_local) {
        if (is_metadata_name(folded))
            return "api_base host '" + host.name +
                   "' is a cloud metadata service (set SWITCHBOARD_ALLOW_LINK_LOCAL=1 to allow)";
        if (host.address && !address_allowed(*host.address))
            return "api_base address '" + host.name +
                   "' is link-local or a cloud metadata address (set SWITCHBOARD_ALLOW_LINK_LOCAL=1 to allow)";
    }
    return std::nullopt;
}

}  // namespace sb::core
