#define BOOST_TEST_MODULE api_base_policy
#include <boost/test/unit_test.hpp>

#include "core/config/api_base_policy.hpp"
#include "core/config/config_resolver.hpp"

#include <boost/asio/ip/address.hpp>

using namespace sb::core;
namespace asio = boost::asio;

namespace {

ApiBasePolicy policy(bool allow_link_local = false, std::vector<std::string> hosts = {}) {
    ApiBasePolicy p;
    p.allow_link_local = allow_link_local;
    p.allowed_hosts = std::move(hosts);
    return p;
}

bool refused(const ApiBasePolicy &p, std::string_view url) { return p.refusal(url).has_value(); }

bool address_ok(const ApiBasePolicy &p, const char *a) { return p.address_allowed(asio::ip::make_address(a)); }

const std::vector<std::string> metadata_urls{
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.0.1/v1",
    "http://169.254.255.255:8080/v1",
    "http://[fe80::1]/v1",
    "http://[fe80::a00:27ff:fe4e:66a1]:8080/v1",
    "http://[fd00:ec2::254]/latest",
    "http://100.100.100.200/latest/meta-data",
    "http://[::ffff:169.254.169.254]/v1",
    "http://[::ffff:100.100.100.200]/v1",
    "http://metadata.google.internal/computeMetadata/v1",
    "http://METADATA.GOOGLE.INTERNAL/computeMetadata/v1",
    "https://metadata.google.internal/v1",
    "http://metadata/computeMetadata/v1",
    "http://metadata.azure.internal/v1",
    "http://instance-data.ec2.internal/latest",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(link_local_and_metadata)

BOOST_AUTO_TEST_CASE(refused_by_default) {
    auto p = policy();
    for (const auto &url : metadata_urls) {
        BOOST_TEST_CONTEXT(url) {
            auto why = p.refusal(url);
            BOOST_TEST(why.has_value());
            if (why) BOOST_TEST(why->find("SWITCHBOARD_ALLOW_LINK_LOCAL") != std::string::npos, *why);
        }
    }
}

BOOST_AUTO_TEST_CASE(allowed_with_the_flag) {
    auto p = policy(true);
    for (const auto &url : metadata_urls) BOOST_TEST_CONTEXT(url) { BOOST_TEST(!refused(p, url)); }
}

BOOST_AUTO_TEST_CASE(ordinary_bases_are_allowed) {
    auto p = policy();
    for (const char *url : {"https://api.openai.com/v1", "http://127.0.0.1:8080/v1", "http://localhost:11434/v1",
                            "http://[::1]:9000/v1", "http://10.0.0.5/v1", "http://192.168.1.20:8000",
                            "http://169.253.1.1/v1", "http://169.255.1.1/v1", "http://100.100.100.201/v1",
                            "http://[fd00:ec2::253]/v1", "http://[fec0::1]/v1", "https://metadata.example.com/v1",
                            "HTTPS://API.OPENAI.COM/v1"})
        BOOST_TEST_CONTEXT(url) { BOOST_TEST(!refused(p, url), p.refusal(url).value_or("")); }
}

BOOST_AUTO_TEST_CASE(connect_time_address_filter) {
    auto p = policy();
    BOOST_TEST(!address_ok(p, "169.254.169.254"));
    BOOST_TEST(!address_ok(p, "169.254.0.0"));
    BOOST_TEST(!address_ok(p, "169.254.255.255"));
    BOOST_TEST(!address_ok(p, "100.100.100.200"));
    BOOST_TEST(!address_ok(p, "fe80::1"));
    BOOST_TEST(!address_ok(p, "febf::1"));
    BOOST_TEST(!address_ok(p, "fd00:ec2::254"));
    BOOST_TEST(!address_ok(p, "::ffff:169.254.169.254"));
    BOOST_TEST(!address_ok(p, "::ffff:100.100.100.200"));
    BOOST_TEST(address_ok(p, "127.0.0.1"));
    BOOST_TEST(address_ok(p, "::1"));
    BOOST_TEST(address_ok(p, "8.8.8.8"));
    BOOST_TEST(address_ok(p, "100.100.100.199"));
    BOOST_TEST(address_ok(p, "::ffff:8.8.8.8"));
    BOOST_TEST(address_ok(p, "2606:4700::1111"));
    BOOST_TEST(address_ok(p, "fd00:ec2::255"));

    auto open = policy(true);
    for (const char *a : {"169.254.169.254", "100.100.100.200", "fe80::1", "fd00:ec2::254", "::ffff:169.254.169.254"})
        BOOST_TEST(address_ok(open, a), a);
}

// Every spelling that reaches a metadata or link-local IPv4 service through
// IPv6, and the cloud services outside 169.254.0.0/16.
BOOST_AUTO_TEST_CASE(metadata_reached_through_every_address_form_is_refused) {
    auto p = policy();
    for (const char *a : {
             "168.63.129.16",              // Azure wire server
             "192.0.0.192",                // Oracle Cloud Classic metadata
             "fd20:ce::254",               // GCP metadata, IPv6
             "fd00:ec2::23",               // AWS EKS pod identity, IPv6
             "::ffff:168.63.129.16",       // mapped
             "::169.254.169.254",          // IPv4-compatible
             "::a9fe:a9fe",                // the same, in hex
             "::ffff:0:169.254.169.254",   // SIIT translated
             "64:ff9b::169.254.169.254",   // NAT64 well-known prefix
             "64:ff9b::a83f:8110",         // NAT64 to the Azure wire server
             "64:ff9b:1:a9fe:a9:fe00::",   // NAT64 local-use /48
             "64:ff9b:1::a9fe:a9fe",       // NAT64 local-use /96
             "2002:a9fe:a9fe::1",          // 6to4
             "2002:a83f:8110::",           // 6to4 to the Azure wire server
             "2001:0:a9fe:a9fe::1",        // Teredo server
             "2001:0:808:808::5601:5601",  // Teredo client (inverted 169.254.169.254)
         })
        BOOST_TEST(!address_ok(p, a), a);
    for (const char *a : {"168.63.129.15", "192.0.0.193", "fd20:ce::253", "::8.8.8.8", "::ffff:0:8.8.8.8",
                          "64:ff9b::8.8.8.8", "64:ff9b:1::808:808", "2002:808:808::1", "2001:0:808:808::f7f7:f7f7",
                          "::", "2001:db8::1"})
        BOOST_TEST(address_ok(p, a), a);
    auto open = policy(true);
    for (const char *a : {"168.63.129.16", "fd20:ce::254", "64:ff9b::169.254.169.254", "2002:a9fe:a9fe::1"})
        BOOST_TEST(address_ok(open, a), a);
}

BOOST_AUTO_TEST_CASE(metadata_literals_in_transition_forms_are_refused_as_api_base) {
    auto p = policy();
    for (const char *url : {"http://168.63.129.16/machine", "http://[fd20:ce::254]/computeMetadata/v1",
                            "http://[64:ff9b::a9fe:a9fe]/latest", "http://[2002:a9fe:a9fe::]/latest",
                            "http://[::169.254.169.254]/latest", "http://metadata.goog/computeMetadata/v1"})
        BOOST_TEST_CONTEXT(url) { BOOST_TEST(refused(p, url)); }
}

BOOST_AUTO_TEST_CASE(flag_from_environment) {
    BOOST_TEST(!ApiBasePolicy::from_environment(Environment{}).allow_link_local);
    BOOST_TEST(!ApiBasePolicy::from_environment(Environment{{"SWITCHBOARD_ALLOW_LINK_LOCAL", "0"}}).allow_link_local);
    BOOST_TEST(!ApiBasePolicy::from_environment(Environment{{"SWITCHBOARD_ALLOW_LINK_LOCAL", "no"}}).allow_link_local);
    BOOST_TEST(ApiBasePolicy::from_environment(Environment{{"SWITCHBOARD_ALLOW_LINK_LOCAL", "1"}}).allow_link_local);
    BOOST_TEST(ApiBasePolicy::from_environment(Environment{{"SWITCHBOARD_ALLOW_LINK_LOCAL", "true"}}).allow_link_local);
    BOOST_TEST(ApiBasePolicy::from_environment(Environment{{"SWITCHBOARD_ALLOW_LINK_LOCAL", "YES"}}).allow_link_local);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(allowlist)

BOOST_AUTO_TEST_CASE(exact_match) {
    auto p = policy(false, {"api.openai.com", "127.0.0.1"});
    BOOST_TEST(!refused(p, "https://api.openai.com/v1"));
    BOOST_TEST(!refused(p, "https://API.OpenAI.com/v1"));
    BOOST_TEST(!refused(p, "http://127.0.0.1:9999/v1"));
    BOOST_TEST(refused(p, "https://openai.com/v1"));
    BOOST_TEST(refused(p, "https://x.api.openai.com/v1"));
    BOOST_TEST(refused(p, "https://api.openai.com.evil.net/v1"));
    BOOST_TEST(refused(p, "http://127.0.0.2/v1"));
    auto why = p.refusal("https://evil.net/v1");
    BOOST_TEST_REQUIRE(why.has_value());
    BOOST_TEST(why->find("SWITCHBOARD_API_BASE_ALLOWLIST") != std::string::npos, *why);
}

BOOST_AUTO_TEST_CASE(wildcard_suffix_match) {
    auto p = policy(false, {"*.example.com"});
    BOOST_TEST(!refused(p, "https://api.example.com/v1"));
    BOOST_TEST(!refused(p, "https://a.b.example.com/v1"));
    BOOST_TEST(refused(p, "https://example.com/v1"));
    BOOST_TEST(refused(p, "https://evilexample.com/v1"));
    BOOST_TEST(refused(p, "https://example.com.evil.net/v1"));
    BOOST_TEST(refused(p, "https://api.example.org/v1"));
}

BOOST_AUTO_TEST_CASE(allowlist_from_environment) {
    auto p = ApiBasePolicy::from_environment(
        Environment{{"SWITCHBOARD_API_BASE_ALLOWLIST", " API.OpenAI.com , *.Example.com,,127.0.0.1 "}});
    BOOST_TEST(p.allowed_hosts.size() == 3u);
    BOOST_TEST(!refused(p, "https://api.openai.com/v1"));
    BOOST_TEST(!refused(p, "https://x.example.com/v1"));
    BOOST_TEST(!refused(p, "http://127.0.0.1:1/v1"));
    BOOST_TEST(refused(p, "https://example.com/v1"));
    BOOST_TEST(refused(p, "https://evilexample.com/v1"));
    BOOST_TEST(ApiBasePolicy::from_environment(Environment{}).allowed_hosts.empty());
}

BOOST_AUTO_TEST_CASE(allowlist_does_not_override_the_metadata_rule) {
    auto p = policy(false, {"169.254.169.254", "metadata.google.internal"});
    BOOST_TEST(refused(p, "http://169.254.169.254/v1"));
    BOOST_TEST(refused(p, "http://metadata.google.internal/v1"));
    auto open = policy(true, {"169.254.169.254"});
    BOOST_TEST(!refused(open, "http://169.254.169.254/v1"));
    BOOST_TEST(refused(open, "http://metadata.google.internal/v1"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(url_shape)

BOOST_AUTO_TEST_CASE(non_http_schemes_are_refused) {
    auto p = policy(true);
    for (const char *url : {"ftp://api.example.com/v1", "file:///etc/passwd", "gopher://127.0.0.1:6379/_x",
                            "ws://api.example.com/v1", "javascript:alert(1)", "data:text/plain,hi",
                            "unix:///run/x.sock"})
        BOOST_TEST_CONTEXT(url) { BOOST_TEST(refused(p, url)); }
}

BOOST_AUTO_TEST_CASE(relative_or_hostless_urls_are_refused) {
    auto p = policy(true);
    for (const char *url : {"", "api.example.com/v1", "/v1", "//api.example.com/v1", "http://", "http:///v1",
                            "not a url"})
        BOOST_TEST_CONTEXT("'" << url << "'") { BOOST_TEST(refused(p, url)); }
}

BOOST_AUTO_TEST_CASE(userinfo_is_refused) {
    auto p = policy(true);
    for (const char *url : {"http://user:pass@api.example.com/v1", "https://user@api.example.com/v1",
                            "https://api.example.com@169.254.169.254/v1", "http://:@127.0.0.1/v1"})
        BOOST_TEST_CONTEXT(url) {
            auto why = p.refusal(url);
            BOOST_TEST(why.has_value());
            if (why) BOOST_TEST(why->find("credentials") != std::string::npos, *why);
        }
}

BOOST_AUTO_TEST_SUITE_END()

// Issue #15, item 1: a host holding encoded bytes is judged decoded by the
// allowlist while the resolver cuts it at the NUL and the Host line carries
// the CR/LF. Refused whatever the allowlist says.
BOOST_AUTO_TEST_SUITE(one_host)

const char *const kInjection = "http://localhost%00%0d%0aX-Injected%3a%20yes%0d%0a.api.openai.com:5201/v1";
const char *const kTlsBypass = "https://evil.example.net%00.api.openai.com/v1";

BOOST_AUTO_TEST_CASE(encoded_control_bytes_in_the_host_are_refused) {
    for (const auto &p : {policy(), policy(true), policy(false, {"*.openai.com"})}) {
        for (const char *url : {kInjection, kTlsBypass}) {
            BOOST_TEST_CONTEXT(url) {
                auto why = p.refusal(url);
                BOOST_TEST_REQUIRE(why.has_value());
                BOOST_TEST(why->find("percent-encoded") != std::string::npos, *why);
                // The refusal never echoes the bytes it refuses.
                BOOST_TEST(why->find_first_of(std::string_view("\0\r\n", 3)) == std::string::npos);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(hosts_that_are_not_plain_names_or_addresses_are_refused) {
    auto p = policy(true);
    for (const char *url : {
             "https://api%2eopenai.com/v1",  // decodes to a fine name, but is not written as one
             "https://api.openai.com%2f@x/v1", "http://a..b/v1", "http://.a/v1", "http://api.openai.com./v1",
             "http://a_b!c/v1", "http://a$b/v1", "http://caf\xc3\xa9.example/v1",
             "http://127.1/v1", "http://2852039166/v1", "http://0xa9fea9fe/v1", "http://0177.0.0.1/v1",
             "http://[v1.abc]/v1", "http://127.0.0.1x.com/v1", "http://127.0.0.1.evil.example/v1",
             "http://127.0.0.1%00.api.openai.com/v1", "http://api.example.com:0/v1",
             "http://api.example.com:99999/v1", "http://api.example.com:/v1", "https://api.example.com/v1#frag",
         }) {
        BOOST_TEST_CONTEXT(url) { BOOST_TEST(api_base_host(url).name.empty()); }
    }
    std::string long_label = "http://" + std::string(64, 'a') + ".example/v1";
    BOOST_TEST(refused(p, long_label));
    std::string long_name = "http://";
    for (int i = 0; i < 26; ++i) long_name += "abcdefghi.";
    long_name += "com/v1";  // 266 bytes of host
    BOOST_TEST(refused(p, long_name));
}

BOOST_AUTO_TEST_CASE(the_judged_host_is_the_one_that_is_used) {
    auto h = api_base_host("HTTPS://API.OpenAI.com:8443/v1");
    BOOST_TEST(h.name == "API.OpenAI.com");
    BOOST_TEST(!h.address.has_value());
    h = api_base_host("http://10.0.0.5:8000/v1");
    BOOST_TEST(h.name == "10.0.0.5");
    BOOST_TEST_REQUIRE(h.address.has_value());
    BOOST_TEST(h.address->to_string() == "10.0.0.5");
    h = api_base_host("http://[::FFFF:A9FE:A9FE]/v1");
    BOOST_TEST(h.name == "::ffff:169.254.169.254");  // canonical, no brackets
    BOOST_TEST(h.address.has_value());
    for (const char *url : {"http://my_service:8080/v1", "http://localhost:11434/v1", "http://gpu-box-1.lan/v1",
                            "https://x.api.openai.com/v1?api-version=1"})
        BOOST_TEST_CONTEXT(url) { BOOST_TEST(!refused(policy(), url), policy().refusal(url).value_or("")); }
}

BOOST_AUTO_TEST_SUITE_END()
