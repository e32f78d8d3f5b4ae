// What OpenAI's Chat Completions API accepts from today's models, applied to
// the unified request before it is sent.
#ifndef SWITCHBOARD_OPENAI_REQUEST_HPP
#define SWITCHBOARD_OPENAI_REQUEST_HPP

#include <switchboard/kit/kit.hpp>

#include <string_view>

namespace sb_openai {

namespace json = ::boost::json;

// o-series (o1, o3, o4-mini, codex-mini) and the gpt-5 family and later,
// except the "-chat" variants, which are not reasoning models.
bool is_reasoning_model(std::string_view model);

// The request rewritten in place for `model`:
//  - max_tokens becomes max_completion_tokens (the only limit reasoning
//    models accept, and accepted by every current model); an explicit
//    max_completion_tokens wins;
//  - on a reasoning model, sampling fields at their default (temperature 1,
//    top_p 1, penalties 0, logprobs false, empty logit_bias/stop) are
//    dropped and any other value is refused with sdk::invalid_request naming
//    the field, unless the model takes them with reasoning_effort "none"
//    (gpt-5.1 and later);
//  - reasoning_effort and everything else pass through.
void apply_model_rules(json::object &body, std::string_view model);

}  // namespace sb_openai

#endif  // SWITCHBOARD_OPENAI_REQUEST_HPP
