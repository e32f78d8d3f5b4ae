#include "core/gateway/request_context.hpp"

#include <charconv>

namespace sb::core {
namespace {

std::int64_t number_after(std::string_view json, std::string_view key) {
    auto at = json.find(key);
    if (at == std::string_view::npos) return -1;
    at += key.size();
    while (at < json.size() && (json[at] == ' ' || json[at] == ':' || json[at] == '\t')) ++at;
    std::int64_t value = -1;
    std::from_chars(json.data() + at, json.data() + json.size(), value);
    return value;
}

}  // namespace

void read_usage(std::string_view json, RequestContext &context) {
    auto usage = json.find("\"usage\"");
    if (usage == std::string_view::npos) return;
    std::string_view rest = json.substr(usage);
    std::int64_t in = number_after(rest, "\"prompt_tokens\"");
    std::int64_t out = number_after(rest, "\"completion_tokens\"");
    if (in >= 0) context.prompt_tokens = in;
    if (out >= 0) context.completion_tokens = out;
}

}  // namespace sb::core
