#pragma once
// The Responses API's response object, built from the unified answer: the
// plain chat.completion whole, or a stream's pieces (see ResponsesSse).
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::host {

// prefix + 32 random hex digits: "resp_...", "msg_...", "fc_...", "rs_...".
std::string new_responses_id(std::string_view prefix);

// The response object before any output: status "in_progress", output [],
// usage null, and the request's echo (see ResponsesCall::echo) with
// OpenAI's defaults for what the request left out. "store" is false: the
// gateway keeps nothing.
boost::json::object response_shell(const boost::json::object &echo, std::string id, std::int64_t created_at,
                                   std::string_view model);

// A unified usage object (prompt_tokens, completion_tokens, the details) in
// the Responses shape (input_tokens, output_tokens, the details,
// total_tokens).
boost::json::object responses_usage(const boost::json::object &unified_usage);

// Sets status "completed", or "incomplete" with incomplete_details.reason
// "max_output_tokens" when the unified finish_reason is "length" (or
// "content_filter" for that one).
void set_final_status(boost::json::object &response, std::string_view finish_reason);

// The whole response object for a unified chat.completion: a reasoning item
// when the answer has reasoning text, a message item when it has text,
// one function_call item per tool call.
boost::json::object response_from_completion(const boost::json::object &completion, const boost::json::object &echo);

// Output items, as both paths write them.
boost::json::object reasoning_item(std::string id, std::string_view text);
boost::json::object message_item(std::string id, std::string_view status, std::string_view text);
boost::json::object output_text_part(std::string_view text);
boost::json::object function_call_item(std::string id, std::string_view status, std::string_view call_id,
                                       std::string_view name, std::string_view arguments);

}  // namespace sb::host
