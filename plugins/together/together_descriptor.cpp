#include "together.hpp"

namespace switchboard::together {

namespace {
using sdk::to_sb;
constexpr sb_str kModels[] = {
    to_sb("meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"),
    to_sb("meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    to_sb("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"),
    to_sb("meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"),
    to_sb("meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo"),
    to_sb("meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"),
    to_sb("meta-llama/Llama-4-Scout-17B-16E-Instruct"),
    to_sb("meta-llama/Llama-Vision-Free"),
    to_sb("deepseek-ai/DeepSeek-V3"),
    to_sb("deepseek-ai/DeepSeek-R1"),
    to_sb("Qwen/Qwen2.5-72B-Instruct-Turbo"),
    to_sb("Qwen/Qwen2.5-7B-Instruct-Turbo"),
    to_sb("Qwen/Qwen2.5-Coder-32B-Instruct"),
    to_sb("mistralai/Mixtral-8x7B-Instruct-v0.1"),
    to_sb("mistralai/Mistral-7B-Instruct-v0.3"),
    to_sb("google/gemma-2-27b-it"),
};
}  // namespace

const sb_provider_descriptor &Provider::descriptor() {
    static constexpr sb_provider_descriptor d = kit::describe(
        {
            .id = "together",
            .display_name = kDisplayName,
            .default_model = "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free",
            .default_api_base = "https://api.together.xyz/v1",
            .env_api_key = "TOGETHER_API_KEY",
            .env_model = "TOGETHER_MODEL",
            .env_api_base = "TOGETHER_API_BASE",
            .credential_header = "authorization",
            .credential_prefix = "Bearer ",
        },
        kModels);
    return d;
}

}  // namespace switchboard::together
