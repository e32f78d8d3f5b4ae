#define BOOST_TEST_MODULE access_control
#include <boost/test/unit_test.hpp>

#include "core/errors.hpp"
#include "host/error_presentation.hpp"
#include "host/access_control.hpp"
#include "core/net/connection_slots.hpp"
#include "support/daemon_process.hpp"

#include <boost/asio/ip/address.hpp>

#include <fstream>
#include <optional>

using namespace sb::core;
using sb::host::AccessControl;
using namespace sb::host;
namespace asio = boost::asio;

namespace {

asio::ip::address addr(const char *text) { return asio::ip::make_address(text); }

// The error code the call threw, or nullopt when it was allowed.
template <class F>
std::optional<ErrorCode> outcome(F &&call) {
    try {
        call();
        return std::nullopt;
    } catch (const GatewayError &e) {
        return e.code();
    }
}

std::optional<ErrorCode> admin(const AccessControl &ac, std::string_view authorization, const char *peer) {
    return outcome([&] { ac.authorize_admin(authorization, addr(peer)); });
}

std::optional<ErrorCode> client(const AccessControl &ac, std::string_view authorization) {
    return outcome([&] { ac.authorize_client(authorization); });
}

void write_file(const std::filesystem::path &p, const std::string &text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

const std::optional<ErrorCode> allowed = std::nullopt;
const std::optional<ErrorCode> unauthorized = ErrorCode::invalid_api_key;
const std::optional<ErrorCode> forbidden = ErrorCode::permission_denied;

}  // namespace

BOOST_AUTO_TEST_SUITE(loopback_rule)

BOOST_AUTO_TEST_CASE(is_loopback_recognises_v4_v6_and_v4_mapped) {
    BOOST_TEST(sb::core::is_loopback(addr("127.0.0.1")));
    BOOST_TEST(sb::core::is_loopback(addr("127.8.9.10")));
    BOOST_TEST(sb::core::is_loopback(addr("::1")));
    BOOST_TEST(sb::core::is_loopback(addr("::ffff:127.0.0.1")));
    BOOST_TEST(!sb::core::is_loopback(addr("0.0.0.0")));
    BOOST_TEST(!sb::core::is_loopback(addr("::")));
    BOOST_TEST(!sb::core::is_loopback(addr("10.0.0.1")));
    BOOST_TEST(!sb::core::is_loopback(addr("192.168.1.5")));
    BOOST_TEST(!sb::core::is_loopback(addr("::ffff:10.0.0.1")));
    BOOST_TEST(!sb::core::is_loopback(addr("fe80::1")));
    BOOST_TEST(!sb::core::is_loopback(addr("2001:db8::1")));
}

BOOST_AUTO_TEST_CASE(without_token_admin_is_loopback_only) {
    AccessControl ac;
    BOOST_TEST(!ac.has_admin_token());
    BOOST_TEST(!ac.has_client_keys());
    BOOST_TEST((admin(ac, "", "127.0.0.1") == allowed));
    BOOST_TEST((admin(ac, "", "::1") == allowed));
    BOOST_TEST((admin(ac, "", "::ffff:127.0.0.1") == allowed));
    // Any Authorization header is irrelevant without a token.
    BOOST_TEST((admin(ac, "Bearer whatever", "127.0.0.1") == allowed));
    BOOST_TEST((admin(ac, "", "10.1.2.3") == forbidden));
    BOOST_TEST((admin(ac, "", "192.168.0.10") == forbidden));
    BOOST_TEST((admin(ac, "", "2001:db8::7") == forbidden));
    BOOST_TEST((admin(ac, "", "::ffff:192.168.0.10") == forbidden));
    BOOST_TEST((admin(ac, "Bearer whatever", "10.1.2.3") == forbidden));
}

BOOST_AUTO_TEST_CASE(refusal_is_403_permission_error) {
    AccessControl ac;
    try {
        ac.authorize_admin("", addr("10.0.0.1"));
        BOOST_TEST(false, "expected a refusal");
    } catch (const GatewayError &e) {
        BOOST_TEST(error_http_status(e.code()) == 403);
        BOOST_TEST(error_type_name(e.code()) == "permission_error");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(admin_token)

BOOST_AUTO_TEST_CASE(token_is_required_from_every_peer) {
    AccessControl ac("s3cret-admin-token", {});
    BOOST_TEST(ac.has_admin_token());
    for (const char *peer : {"127.0.0.1", "::1", "10.0.0.1", "2001:db8::1"}) {
        BOOST_TEST_CONTEXT("peer " << peer) {
            BOOST_TEST((admin(ac, "", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Bearer", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Bearer ", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Bearer wrong-token", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Bearer s3cret-admin-toke", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Bearer s3cret-admin-token-and-more", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Bearer S3CRET-ADMIN-TOKEN", peer) == unauthorized));
            BOOST_TEST((admin(ac, "s3cret-admin-token", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Basic s3cret-admin-token", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Basic YWRtaW46czNjcmV0LWFkbWluLXRva2Vu", peer) == unauthorized));
            BOOST_TEST((admin(ac, "Token s3cret-admin-token", peer) == unauthorized));

            BOOST_TEST((admin(ac, "Bearer s3cret-admin-token", peer) == allowed));
            BOOST_TEST((admin(ac, "bearer s3cret-admin-token", peer) == allowed));
            BOOST_TEST((admin(ac, "BEARER s3cret-admin-token", peer) == allowed));
            BOOST_TEST((admin(ac, "BeArEr s3cret-admin-token", peer) == allowed));
            BOOST_TEST((admin(ac, "  Bearer s3cret-admin-token  ", peer) == allowed));
        }
    }
}

BOOST_AUTO_TEST_CASE(refusal_is_401_authentication_error_without_the_token) {
    AccessControl ac("s3cret-admin-token", {});
    try {
        ac.authorize_admin("Bearer nope", addr("127.0.0.1"));
        BOOST_TEST(false, "expected a refusal");
    } catch (const GatewayError &e) {
        BOOST_TEST(error_http_status(e.code()) == 401);
        BOOST_TEST(error_type_name(e.code()) == "authentication_error");
        BOOST_TEST(std::string(e.what()).find("s3cret") == std::string::npos);
        BOOST_TEST(error_body_json(e).find("s3cret") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(admin_token_is_not_a_client_key) {
    AccessControl ac("s3cret-admin-token", {});
    BOOST_TEST(!ac.has_client_keys());
    BOOST_TEST((client(ac, "") == allowed));
    AccessControl both("s3cret-admin-token", {"client-key-1"});
    BOOST_TEST((client(both, "Bearer s3cret-admin-token") == unauthorized));
    BOOST_TEST((admin(both, "Bearer client-key-1", "127.0.0.1") == unauthorized));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(client_keys)

BOOST_AUTO_TEST_CASE(none_configured_allows_everything) {
    AccessControl ac;
    BOOST_TEST((client(ac, "") == allowed));
    BOOST_TEST((client(ac, "Bearer anything") == allowed));
    BOOST_TEST((client(ac, "Basic abc") == allowed));
    AccessControl empty_keys("", {"", ""});
    BOOST_TEST(!empty_keys.has_client_keys());
    BOOST_TEST((client(empty_keys, "") == allowed));
}

BOOST_AUTO_TEST_CASE(configured_keys_are_required_and_each_is_accepted) {
    AccessControl ac("", {"key-alpha-111", "key-beta-222", "key-gamma-333"});
    BOOST_TEST(ac.has_client_keys());
    BOOST_TEST(!ac.has_admin_token());
    BOOST_TEST((client(ac, "") == unauthorized));
    BOOST_TEST((client(ac, "Bearer ") == unauthorized));
    BOOST_TEST((client(ac, "Bearer key-delta-444") == unauthorized));
    BOOST_TEST((client(ac, "Bearer key-alpha-11") == unauthorized));
    BOOST_TEST((client(ac, "Bearer key-alpha-1111") == unauthorized));
    BOOST_TEST((client(ac, "key-alpha-111") == unauthorized));
    BOOST_TEST((client(ac, "Basic key-alpha-111") == unauthorized));
    BOOST_TEST((client(ac, "Bearer key-alpha-111") == allowed));
    BOOST_TEST((client(ac, "Bearer key-beta-222") == allowed));
    BOOST_TEST((client(ac, "bearer key-gamma-333") == allowed));
    BOOST_TEST((client(ac, "BEARER key-gamma-333") == allowed));
    // Client keys do not open the admin API to remote peers.
    BOOST_TEST((admin(ac, "Bearer key-alpha-111", "10.0.0.1") == forbidden));
    BOOST_TEST((admin(ac, "", "127.0.0.1") == allowed));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(loading)

BOOST_AUTO_TEST_CASE(nothing_configured) {
    sb::test::TempDir dir("sb-ac");
    auto ac = AccessControl::load(Environment{}, dir.path());
    BOOST_TEST(!ac.has_admin_token());
    BOOST_TEST(!ac.has_client_keys());
}

BOOST_AUTO_TEST_CASE(from_environment) {
    sb::test::TempDir dir("sb-ac");
    auto ac = AccessControl::load(
        Environment{{"SWITCHBOARD_ADMIN_TOKEN", "  env-token-123 "}, {"SWITCHBOARD_CLIENT_KEYS", "ck-one, ck-two ,,"}},
        dir.path());
    BOOST_TEST(ac.has_admin_token());
    BOOST_TEST((admin(ac, "Bearer env-token-123", "10.0.0.1") == allowed));
    BOOST_TEST((admin(ac, "Bearer  env-token-123 ", "10.0.0.1") == allowed));
    BOOST_TEST((client(ac, "Bearer ck-one") == allowed));
    BOOST_TEST((client(ac, "Bearer ck-two") == allowed));
    BOOST_TEST((client(ac, "Bearer ck-three") == unauthorized));
    BOOST_TEST((client(ac, "Bearer ") == unauthorized));
}

BOOST_AUTO_TEST_CASE(from_state_dir_files) {
    sb::test::TempDir dir("sb-ac");
    write_file(dir.path() / "admin_token", "file-token-456\n");
    write_file(dir.path() / "client_keys",
               "# client keys, one per line\n\nfile-key-1\n  file-key-2  \n# file-key-commented\n\r\nfile-key-3\r\n");
    auto ac = AccessControl::load(Environment{}, dir.path());
    BOOST_TEST(ac.has_admin_token());
    BOOST_TEST(ac.has_client_keys());
    BOOST_TEST((admin(ac, "Bearer file-token-456", "10.0.0.1") == allowed));
    BOOST_TEST((admin(ac, "Bearer file-token-456\n", "10.0.0.1") == allowed));
    BOOST_TEST((admin(ac, "Bearer file-token", "127.0.0.1") == unauthorized));
    BOOST_TEST((client(ac, "Bearer file-key-1") == allowed));
    BOOST_TEST((client(ac, "Bearer file-key-2") == allowed));
    BOOST_TEST((client(ac, "Bearer file-key-3") == allowed));
    BOOST_TEST((client(ac, "Bearer # file-key-commented") == unauthorized));
    BOOST_TEST((client(ac, "Bearer file-key-commented") == unauthorized));
    BOOST_TEST((client(ac, "Bearer # client keys, one per line") == unauthorized));
    BOOST_TEST((client(ac, "Bearer client keys") == unauthorized));
}

BOOST_AUTO_TEST_CASE(environment_takes_precedence_over_files) {
    sb::test::TempDir dir("sb-ac");
    write_file(dir.path() / "admin_token", "file-token-456\n");
    write_file(dir.path() / "client_keys", "file-key-1\n");
    auto ac = AccessControl::load(
        Environment{{"SWITCHBOARD_ADMIN_TOKEN", "env-token-123"}, {"SWITCHBOARD_CLIENT_KEYS", "env-key-1"}},
        dir.path());
    BOOST_TEST((admin(ac, "Bearer env-token-123", "127.0.0.1") == allowed));
    BOOST_TEST((admin(ac, "Bearer file-token-456", "127.0.0.1") == unauthorized));
    BOOST_TEST((client(ac, "Bearer env-key-1") == allowed));
    BOOST_TEST((client(ac, "Bearer file-key-1") == unauthorized));
}

BOOST_AUTO_TEST_CASE(blank_environment_falls_back_to_files) {
    sb::test::TempDir dir("sb-ac");
    write_file(dir.path() / "admin_token", "file-token-456");
    write_file(dir.path() / "client_keys", "file-key-1");
    auto ac = AccessControl::load(
        Environment{{"SWITCHBOARD_ADMIN_TOKEN", "   "}, {"SWITCHBOARD_CLIENT_KEYS", " , "}}, dir.path());
    BOOST_TEST((admin(ac, "Bearer file-token-456", "10.0.0.1") == allowed));
    BOOST_TEST((client(ac, "Bearer file-key-1") == allowed));
}

BOOST_AUTO_TEST_CASE(empty_admin_token_file_is_an_error) {
    sb::test::TempDir dir("sb-ac");
    write_file(dir.path() / "admin_token", "");
    BOOST_CHECK_THROW(AccessControl::load(Environment{}, dir.path()), std::runtime_error);
    write_file(dir.path() / "admin_token", "  \n\t\n");
    BOOST_CHECK_THROW(AccessControl::load(Environment{}, dir.path()), std::runtime_error);
    // The environment variable wins, so the file is not read at all.
    auto ac = AccessControl::load(Environment{{"SWITCHBOARD_ADMIN_TOKEN", "env-token"}}, dir.path());
    BOOST_TEST(ac.has_admin_token());
}

BOOST_AUTO_TEST_CASE(client_keys_file_without_keys_is_an_error) {
    sb::test::TempDir dir("sb-ac");
    write_file(dir.path() / "client_keys", "# nothing yet\n\n");
    BOOST_CHECK_THROW(AccessControl::load(Environment{}, dir.path()), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(unreadable_admin_token_is_an_error) {
    sb::test::TempDir dir("sb-ac");
    // A directory where the file should be cannot be read as a token.
    std::filesystem::create_directory(dir.path() / "admin_token");
    BOOST_CHECK_THROW(AccessControl::load(Environment{}, dir.path()), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(without_secrets_only_local_hosts_and_origins_are_served) {
    using sb::host::AccessControl;
    BOOST_CHECK_NO_THROW(AccessControl::require_local_browser_context("127.0.0.1:5000", ""));
    BOOST_CHECK_NO_THROW(AccessControl::require_local_browser_context("localhost:5000", "http://localhost:3000"));
    BOOST_CHECK_NO_THROW(AccessControl::require_local_browser_context("[::1]:5000", "https://127.0.0.1"));
    BOOST_CHECK_NO_THROW(AccessControl::require_local_browser_context("", ""));
    // DNS rebinding: the page's own host name arrives in Host.
    BOOST_CHECK_THROW(AccessControl::require_local_browser_context("evil.example:5000", ""), sb::core::GatewayError);
    // Cross-site form or fetch from another origin.
    BOOST_CHECK_THROW(AccessControl::require_local_browser_context("127.0.0.1:5000", "http://evil.example"),
                      sb::core::GatewayError);
    BOOST_CHECK_THROW(AccessControl::require_local_browser_context("127.0.0.1:5000", "null"), sb::core::GatewayError);
    BOOST_CHECK_THROW(AccessControl::require_local_browser_context("localhost.evil.example", ""),
                      sb::core::GatewayError);
}

BOOST_AUTO_TEST_CASE(metrics_are_open_unless_a_metrics_token_is_set) {
    sb::test::TempDir dir("sb-ac");
    auto metrics = [](const AccessControl &ac, std::string_view authorization) {
        return outcome([&] { ac.authorize_metrics(authorization); });
    };
    // An admin token alone leaves /metrics open (documented).
    auto open = AccessControl::load(Environment{{"SWITCHBOARD_ADMIN_TOKEN", "adm-token-1"}}, dir.path());
    BOOST_TEST(!open.has_metrics_token());
    BOOST_TEST((metrics(open, "") == allowed));

    auto closed = AccessControl::load(
        Environment{{"SWITCHBOARD_ADMIN_TOKEN", "adm-token-1"}, {"SWITCHBOARD_METRICS_TOKEN", " met-token-2 "}},
        dir.path());
    BOOST_TEST(closed.has_metrics_token());
    BOOST_TEST((metrics(closed, "Bearer met-token-2") == allowed));
    BOOST_TEST((metrics(closed, "bearer met-token-2") == allowed));
    BOOST_TEST((metrics(closed, "") == unauthorized));
    BOOST_TEST((metrics(closed, "Bearer adm-token-1") == unauthorized));
    BOOST_TEST((metrics(closed, "Basic met-token-2") == unauthorized));
    BOOST_TEST((metrics(closed, "Bearer met-token-") == unauthorized));
}
