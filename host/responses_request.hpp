#pragma once
// POST /v1/responses (OpenAI's Responses API) as a client dialect: its
// request turned into the unified request (OpenAI chat completions, as
// validate_chat_request accepts it). Stateless: nothing that needs a stored
// response or conversation is accepted.
#include <boost/json/object.hpp>

namespace sb::host {

struct ResponsesCall {
    // The unified chat request, ready for ChatGateway::route (its "model" is
    // the client's, "provider/model" or a bare name).
    boost::json::object unified;
    // What the response object repeats of the request: instructions, tools,
    // tool_choice, text, reasoning, max_output_tokens, temperature, top_p,
    // parallel_tool_calls, metadata, user, safety_identifier, model.
    boost::json::object echo;
    bool stream = false;
};

// Throws GatewayError(invalid_request) naming the field it refuses: a
// missing or malformed input, previous_response_id / conversation /
// background (they need state the daemon does not keep), a tool or input
// item type that cannot be translated.
ResponsesCall translate_responses_request(const boost::json::object &body);

}  // namespace sb::host
