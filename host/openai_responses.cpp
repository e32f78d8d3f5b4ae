#include "host/openai_responses.hpp"

#include "host/json_body.hpp"
#include "host/responses_output.hpp"
#include "host/responses_request.hpp"
#include "host/responses_stream.hpp"

#include <boost/json.hpp>

namespace sb::host {

namespace json = boost::json;
namespace http = boost::beast::http;

boost::asio::awaitable<Reply> OpenAIResponsesApi::create(Request &request, core::RequestContext &context) {
    context.dialect = "openai.responses";
    json::object body = parse_json_object(request.body());
    std::string().swap(request.body());
    ResponsesCall call = translate_responses_request(body);
    body = {};
    validate_chat_request(call.unified);
    std::string model_field;
    if (auto model = call.unified.find("model"); model != call.unified.end())
        model_field = std::string(model->value().get_string());
    std::vector<core::ChatTarget> chain = gateway_.with_fallbacks(gateway_.route(model_field));
    // Every target is translated. A native pass-through (the openai provider
    // taking the Responses request as the client wrote it) is decided here,
    // per target, once the plugin ABI can carry a raw request.
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
