// libFuzzer harness: core/config/api_base_policy (api_base_host and the
// policy's refusal), the one gate every api_base passes.
//
// Input: the api_base, as bytes. Invariants, for every base the parser
// accepts: the host it returns is byte for byte the one the upstream client
// derives from the same URL (Boost.URL's decoded host; an IPv6 literal in
// canonical form) and so the one resolved, sent in SNI, verified and written
// in Host; it holds no control byte, no '%', nothing outside printable ASCII,
// and no byte that ends or splits a name (NUL, '/', '@', '[', ']', space);
// an IP literal reads back as the same address, a name is not one the
// resolver would read as an address. The policy never accepts what the parser
// refuses, an allowlisted policy only accepts allowlisted hosts, and no
// refusal message carries a control byte.
#include "core/config/api_base_policy.hpp"
#include "fuzz_support.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <arpa/inet.h>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using sb::core::api_base_host;
using sb::core::ApiBasePolicy;

// What the upstream client (core/upstream/upstream_client.cpp, split_url) takes
// as the host of a URL.
std::string upstream_host(std::string_view url) {
    auto parsed = boost::urls::parse_absolute_uri(url);
    FUZZ_CHECK(parsed.has_value());  // the parser accepted it: Boost.URL must too
    const auto &u = *parsed;
    if (u.host_type() == boost::urls::host_type::ipv6) return u.host_ipv6_address().to_string();
    return std::string(u.host_address());
}

bool printable_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c >= 0x7f) return false;
    return true;
}

bool matches(std::string_view host, std::string_view pattern) {
    if (pattern.starts_with("*.")) return host.size() > pattern.size() - 1 && host.ends_with(pattern.substr(1));
    return host == pattern;
}

std::string lower(std::string s) {
    for (char &c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::string_view url(reinterpret_cast<const char *>(data), size);
    const auto host = api_base_host(url);

    static const ApiBasePolicy open = [] {
        ApiBasePolicy p;
        p.allow_link_local = true;
        return p;
    }();
    static const ApiBasePolicy strict;
    static const ApiBasePolicy pinned = [] {
        ApiBasePolicy p;
        p.allowed_hosts = {"*.openai.com", "api.anthropic.com", "127.0.0.1", "::1"};
        return p;
    }();

    if (host.name.empty()) {
        FUZZ_CHECK(!host.refusal.empty());
        FUZZ_CHECK(printable_ascii(host.refusal));
        FUZZ_CHECK(!host.address.has_value());
    } else {
        const std::string &name = host.name;
        FUZZ_CHECK(host.refusal.empty());
        FUZZ_CHECK(name == upstream_host(url));
        FUZZ_CHECK(std::strlen(name.c_str()) == name.size());
        FUZZ_CHECK(printable_ascii(name));
        FUZZ_CHECK(name.find_first_of("%/@[] \\?#") == std::string::npos);
        // What a reader of the URL takes as the host: after "//", up to the
        // port, path, query or fragment.
        const auto start = url.find("//") + 2;
        std::string_view written = url.substr(start, url.find_first_of("/?#", start) - start);
        if (host.address && host.address->is_v6()) {
            FUZZ_CHECK(written.front() == '[');
            written = written.substr(1, written.find(']') - 1);
            FUZZ_CHECK(boost::asio::ip::make_address(std::string(written)) == *host.address);
        } else {
            FUZZ_CHECK(written.substr(0, written.find(':')) == name);
        }
        boost::system::error_code ec;
        const auto literal = boost::asio::ip::make_address(name, ec);
        if (host.address) {
            FUZZ_CHECK(!ec);
            FUZZ_CHECK(literal == *host.address);
        } else {
            FUZZ_CHECK(ec);  // a name, not an address in disguise
            in_addr numeric{};
            FUZZ_CHECK(::inet_aton(name.c_str(), &numeric) == 0);
            FUZZ_CHECK(name.front() != '.' && name.back() != '.');
            FUZZ_CHECK(name.find("..") == std::string::npos);
            FUZZ_CHECK(name.size() <= 253);
        }
    }

    for (const ApiBasePolicy *policy : {&open, &strict, &pinned}) {
        const auto refusal = policy->refusal(url);
        if (host.name.empty()) FUZZ_CHECK(refusal.has_value());
        if (refusal) FUZZ_CHECK(printable_ascii(*refusal));
        if (!refusal && policy == &pinned) {
            const std::string folded = lower(host.name);
            bool listed = false;
            for (const auto &p : pinned.allowed_hosts) listed |= matches(folded, p);
            FUZZ_CHECK(listed);
        }
        // Link-local and metadata literals pass only the open policy.
        if (!refusal && policy != &open && host.address) FUZZ_CHECK(policy->address_allowed(*host.address));
    }
    return 0;
}
