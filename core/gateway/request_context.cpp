#include "core/gateway/request_context.hpp"

#include "core/plugin/provider.hpp"

namespace sb::core {

void count_usage(const TokenUsage &usage, RequestContext &context) {
    auto take = [](std::int64_t count, std::int64_t &into) {
        if (count >= 0) into = count;
    };
    take(usage.prompt_tokens, context.prompt_tokens);
    take(usage.completion_tokens, context.completion_tokens);
    take(usage.cached_tokens, context.cached_tokens);
    take(usage.reasoning_tokens, context.reasoning_tokens);
}

}  // namespace sb::core
