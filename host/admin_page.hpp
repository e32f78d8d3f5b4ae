#pragma once
// The admin console: a static single-page app (host/ui/) embedded in the
// daemon at build time. Its files carry no data; everything it shows comes
// from the admin API and /metrics, behind their usual guards.
#include <optional>
#include <string_view>

#include "host/http_responses.hpp"

namespace sb::host {

// The console's file at `path` ("/" and "/ui" are its page), with its
// content type and the headers that lock it down (a strict CSP among them);
// nullopt when `path` is none of its files.
std::optional<Response> admin_page_response(std::string_view path, unsigned version);

}  // namespace sb::host
