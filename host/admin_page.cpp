#include "host/admin_page.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "host/ui/admin_page_assets.hpp"

namespace sb::host {

namespace http = boost::beast::http;

namespace {

// Scripts, styles and fetches from the daemon's own origin only: no inline
// code, no other host, no framing, no form posts elsewhere.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ui::Asset *asset_for(std::string_view path) {
    // The page has two addresses; its scripts and styles one each.
    if (path == "/ui") path = "/";
    for (const ui::Asset &asset : ui::assets())
        if (asset.path == path) return &asset;
    return nullptr;
}

}  // namespace

std::optional<Response> admin_page_response(std::string_view path, unsigned version) {
    const ui::Asset *asset = asset_for(path);
    if (!asset) return std::nullopt;
    Response response(http::status::ok, version);
    response.set(http::field::content_type, std::string(asset->content_type) + "; charset=utf-8");
    response.set(http::field::cache_control, "no-store");
    response.set("content-security-policy", kContentSecurityPolicy);
    response.set("x-content-type-options", "nosniff");
    response.set("referrer-policy", "no-referrer");
    response.set("x-frame-options", "DENY");
    response.body() = std::string(asset->body);
    return response;
}

}  // namespace sb::host
