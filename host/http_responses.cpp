#include "host/http_responses.hpp"

#include <boost/beast/http/field.hpp>

namespace sb::host {

namespace http = boost::beast::http;

Response json_response(http::status status, std::string body, unsigned version) {
    Response response(status, version);
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    response.body() = std::move(body);
    return response;
}

Response error_response(const core::GatewayError &error, unsigned version) {
    Response response = json_response(static_cast<http::status>(core::error_http_status(error.code())),
                                      core::error_body_json(error), version);
    if (error.code() == core::ErrorCode::method_not_allowed) response.set(http::field::allow, "GET, POST");
    return response;
}

}  // namespace sb::host
