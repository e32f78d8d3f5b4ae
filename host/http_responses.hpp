#pragma once
// The one place a GatewayError becomes an HTTP response.
#include "core/errors.hpp"
#include "core/gateway/request_context.hpp"
#include "core/net/http_server.hpp"

#include <boost/beast/http/status.hpp>

#include <string>

namespace sb::host {

using core::BodySource;
using core::Reply;
using core::Request;
using core::RequestHead;
using core::Response;

Response json_response(boost::beast::http::status status, std::string body, unsigned version = 11);
Response error_response(const core::GatewayError &error, unsigned version = 11);
// A streamed chat's reply: SSE head fields, the provider that answered and
// the gateway's overhead until now (the rest is the vendor's and the
// client's time); the server pumps body.
Reply stream_reply(std::unique_ptr<BodySource> body, core::RequestContext &context);
// The server's own refusals (malformed, too large, busy) in the same shape.
Response refusal_response(boost::beast::http::status status, std::string_view message);

}  // namespace sb::host
