// The admin page (issue 21): what the daemon serves at / and /ui, and the
// page itself driven in headless Chromium through configure -> test ->
// switch provider against the loopback mock vendor, with an admin token set.
#include <unistd.h>

#include <chrono>
#include <regex>

#include "integration/integration_fixture.hpp"
#include "support/child_command.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const std::string admin_token = "admin-page-token-7f3e9a1c5b";
const std::string api_key = "sk-admin-page-secret-0123456789abcd";

Env token_env() { return {{"SWITCHBOARD_ADMIN_TOKEN", admin_token}}; }

std::string chromium_path() {
    for (const std::string &candidate :
         {std::string(SB_CHROMIUM_EXECUTABLE), std::string("/usr/bin/chromium")})
        if (!candidate.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    return {};
}

// Skips the browser case, saying why, only when there is no browser at all.
struct ChromiumInstalled {
    boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
        if (!chromium_path().empty()) return true;
        boost::test_tools::assertion_result r(false);
        r.message()
            << "SKIPPED: no chromium binary (scripts/install-deps.sh installs Debian's chromium)";
        return r;
    }
};

void check_locked_down(const TestHttpResponse &r, std::string_view target,
                       std::string_view content_type) {
    BOOST_TEST(r.status == 200u, "GET " << target << ": " << r.status);
    BOOST_TEST(r.header("Content-Type") == content_type,
               "GET " << target << ": " << r.header("Content-Type"));
    BOOST_TEST(r.header("Cache-Control") == "no-store");
    BOOST_TEST(r.header("Content-Security-Policy") ==
               "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
               "img-src 'self'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    BOOST_TEST(r.header("X-Content-Type-Options") == "nosniff");
    BOOST_TEST(r.header("Referrer-Policy") == "no-referrer");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_page)

BOOST_AUTO_TEST_CASE(serves_the_page_and_its_files_locked_down_and_keeps_the_api_guarded,
                     *utf::timeout(60)) {
    Harness h;
    h.start(token_env());
    auto page = h.get("/");
    check_locked_down(page, "/", "text/html; charset=utf-8");
    BOOST_TEST(page.body.find("<title>Switchboard admin</title>") != std::string::npos);
    auto ui = h.get("/ui");
    check_locked_down(ui, "/ui", "text/html; charset=utf-8");
    BOOST_TEST(ui.body == page.body);
    auto script = h.get("/ui/app.js");
    check_locked_down(script, "/ui/app.js", "text/javascript; charset=utf-8");
    BOOST_TEST(script.body.find("/api/backdoor/llm") != std::string::npos);
    check_locked_down(h.get("/ui/app.css"), "/ui/app.css", "text/css; charset=utf-8");

    // Nothing inline for the CSP to refuse: scripts and styles are files.
    BOOST_TEST(page.body.find("<script>") == std::string::npos);
    BOOST_TEST(page.body.find("<style") == std::string::npos);
    BOOST_TEST(page.body.find(" style=") == std::string::npos);
    BOOST_TEST(!std::regex_search(page.body, std::regex(R"(\son[a-z]+\s*=)")),
               "an inline event handler in the page");

    check_error(h.post("/", "{}"), 405, "method_not_allowed");
    check_error(h.get("/ui/other.js"), 404, "not_found_error");
    // The page is public; the data it shows is not.
    BOOST_TEST(h.get(std::string(providers_path)).status == 401u);
    BOOST_TEST(h.client()
                   .get(std::string(providers_path), {{"Authorization", "Bearer " + admin_token}})
                   .status == 200u);
}

// Without an admin token the page is served as ever, and the data behind it
// still answers only the page's own (local) origin.
BOOST_AUTO_TEST_CASE(without_a_token_the_origin_check_still_guards_the_data, *utf::timeout(60)) {
    Harness h;
    h.start();
    const std::string local = "http://127.0.0.1:" + std::to_string(h.daemon().port());
    check_locked_down(h.get("/ui"), "/ui", "text/html; charset=utf-8");
    BOOST_TEST(h.client().get(std::string(providers_path), {{"Origin", local}}).status == 200u);
    check_error(h.client().get(std::string(providers_path), {{"Origin", "http://evil.example"}}),
                403, "permission_error");
    check_error(
        h.client().post(std::string(config_path), R"({"provider":"cecho"})",
                        {{"Origin", "http://evil.example"}, {"Content-Type", "application/json"}}),
        403, "permission_error");
}

BOOST_AUTO_TEST_CASE(configure_test_and_switch_provider_in_chromium,
                     *utf::timeout(240) * utf::precondition(ChromiumInstalled{})) {
    Harness h;
    h.start(token_env());
    const fs::path artifacts{SB_ADMIN_PAGE_ARTIFACTS};
    fs::remove_all(artifacts);
    fs::create_directories(artifacts);
    const std::string url = "http://127.0.0.1:" + std::to_string(h.daemon().port()) + "/";

    // The driver starts Chromium as its child, in the driver's process group,
    // which run_command kills whole: no browser outlives the test.
    CommandResult run =
        run_command({SB_NODE_EXECUTABLE, std::string(SB_BROWSER_DIR) + "/admin_page_driver.mjs",
                     "--chromium", chromium_path(), "--url", url, "--token", admin_token, "--key",
                     api_key, "--base", h.mock.base_url(), "--artifacts", artifacts.string(),
                     "--profile", h.tmp.subdir("chromium-profile").string()},
                    {}, h.tmp.path() / "driver.log", std::chrono::seconds{180});
    BOOST_TEST(!run.timed_out, "the browser walk took longer than 180 s:\n" << run.output);
    BOOST_TEST(run.exit_code == 0, "the browser walk failed:\n" << run.output);

    // What the page did, as the daemon and the vendor saw it.
    const json::value config =
        h.client()
            .get(std::string(config_path), {{"Authorization", "Bearer " + admin_token}})
            .json();
    BOOST_TEST(text(config, "provider") == "custom");
    BOOST_TEST(text(config, "providers.openai.model") == "gpt-4o-mini");
    BOOST_TEST(text(config, "providers.openai.api_base") == h.mock.base_url());
    BOOST_TEST(is_true(config, "providers.openai.api_key_set"));
    bool vendor_saw_key = false;
    for (const auto &request : h.mock.chat_requests())
        vendor_saw_key = vendor_saw_key || request.header("Authorization") == "Bearer " + api_key;
    BOOST_TEST(vendor_saw_key, "the key saved through the page never reached the vendor");
    const std::string log = h.log_text();
    BOOST_TEST(log.find(admin_token) == std::string::npos,
               "the admin token is in the daemon's log");
    BOOST_TEST(log.find(api_key) == std::string::npos, "the API key is in the daemon's log");
    for (const char *shot :
         {"01-token-prompt", "03-configured", "04-test-ok", "05-test-failed", "06-switched"})
        BOOST_TEST(fs::file_size(artifacts / (std::string(shot) + ".png")) > 1000u, shot);
}

BOOST_AUTO_TEST_SUITE_END()
