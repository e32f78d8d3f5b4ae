#include "host/http_responses.hpp"
#include "host/error_presentation.hpp"

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
    Response response = json_response(static_cast<http::status>(error_http_status(error.code())),
                                      error_body_json(error), version);
    if (error.code() == core::ErrorCode::method_not_allowed) response.set(http::field::allow, "GET, POST");
    return response;
}

Reply stream_reply(std::unique_ptr<BodySource> body, core::RequestContext &context) {
    Reply reply{Response(http::status::ok, 11), std::move(body)};
    reply.head.set(http::field::content_type, "text/event-stream");
    reply.head.set(http::field::cache_control, "no-cache");
    reply.head.set("x-switchboard-provider", context.provider);
    context.head_ready();
    reply.head.set("x-switchboard-overhead-us", std::to_string(context.overhead().count()));
    return reply;
}

Response refusal_response(http::status status, std::string_view message) {
    using core::ErrorCode;
    const ErrorCode code = status == http::status::payload_too_large ||
                                   status == http::status::request_header_fields_too_large
                               ? ErrorCode::request_too_large
                           : status == http::status::service_unavailable ? ErrorCode::rate_limit_exceeded
                           : status == http::status::bad_request         ? ErrorCode::invalid_request
                                                                         : ErrorCode::internal_error;
    Response response = error_response(core::GatewayError(code, std::string(message)));
    response.result(status);
    return response;
}

}  // namespace sb::host
