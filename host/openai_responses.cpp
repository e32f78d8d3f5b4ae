#include "host/openai_responses.hpp"

#include "host/json_body.hpp"
#include "host/native_passthrough.hpp"
#include "host/responses_output.hpp"
#include "host/responses_request.hpp"
#include "host/responses_stream.hpp"

#include <boost/json.hpp>
#include <switchboard/provider_abi.h>

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;

boost::asio::awaitable<Reply> OpenAIResponsesApi::create(Request &request, core::RequestContext &context) {
    context.dialect = SB_DIALECT_OPENAI_RESPONSES;
    json::object body = parse_json_object(request.body());
    const std::string model_field = optional_string(body, "model").value_or("");
    std::vector<core::ChatTarget> chain = gateway_.with_fallbacks(gateway_.route(model_field));
    // The openai provider takes the request as the client wrote it (its
    // state, previous_response_id and store included, is the vendor's).
    {
        const json::value *stream = body.if_contains("stream");
        const NativeAttempt attempt{SB_DIALECT_OPENAI_RESPONSES, "/responses", &request.body(), &request,
                                    stream && stream->is_bool() && stream->get_bool(), &openai_responses_watcher};
        std::optional<Reply> relayed = co_await relay_native(gateway_, chain, attempt, context, request.version());
        if (relayed) co_return std::move(*relayed);
    }
    std::string().swap(request.body());
    ResponsesCall call = translate_responses_request(body);
    body = {};
    validate_chat_request(call.unified);
    if (call.stream) {
        // One encoder per attempt: a failed attempt leaves no output behind.
        const core::EncoderFactory make_encoder = [echo = call.echo, model = model_field] {
            return core::EncoderRef::owned(std::make_unique<ResponsesSse>(echo, model));
        };
        std::unique_ptr<BodySource> stream = co_await gateway_.open_stream_chain(
            std::move(chain), std::move(call.unified), make_encoder, gateway_.options().stream_timeouts, context);
        co_return stream_reply(std::move(stream), context);
    }
    core::ChatResult result = co_await gateway_.complete_chain(std::move(chain), std::move(call.unified),
                                                               gateway_.options().chat_timeouts, context);
    json::value completion = json::parse(result.body_json);
    const json::object empty;
    json::object response =
        response_from_completion(completion.is_object() ? completion.get_object() : empty, call.echo);
    Reply reply{json_response(http::status::ok, json::serialize(response), request.version()), nullptr};
    reply.head.set("x-switchboard-provider", context.provider);
    co_return reply;
}

}  // namespace sb::host
