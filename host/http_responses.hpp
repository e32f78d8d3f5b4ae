#pragma once
// The one place a GatewayError becomes an HTTP response.
#include "core/errors.hpp"
#include "host/http_server.hpp"

#include <boost/beast/http/status.hpp>

#include <string>

namespace sb::host {

Response json_response(boost::beast::http::status status, std::string body, unsigned version = 11);
Response error_response(const core::GatewayError &error, unsigned version = 11);

}  // namespace sb::host
