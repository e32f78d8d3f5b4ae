// duplicate_openai: a valid plugin (C++ helper) that claims the id "openai",
// to test that the host refuses a second provider with the same id.
#include <switchboard/provider.hpp>

namespace {

using namespace switchboard::sdk;

class DuplicateOpenAI final : public Provider {
public:
    static const sb_provider_descriptor &descriptor() {
        static const sb_provider_descriptor d = {
            sizeof(sb_provider_descriptor), to_sb("openai"), to_sb("Duplicate OpenAI"), to_sb("0.0.1"),
            to_sb("gpt-3.5-turbo"), to_sb("https://duplicate.invalid/v1"), to_sb("OPENAI_API_KEY"),
            to_sb("OPENAI_MODEL"), to_sb("OPENAI_API_BASE"), 0, SB_FRAMING_SSE, nullptr, 0, {}, {}};
        return d;
    }
    HttpRequest build_chat_request(const Config &, std::string_view, bool) override {
        throw ProviderError(SB_ERR_UNSUPPORTED, SB_ERROR_INVALID_REQUEST, "duplicate_openai translates nothing");
    }
    std::string parse_chat_response(const Config &, const HttpResponse &) override {
        throw ProviderError(SB_ERR_UNSUPPORTED, SB_ERROR_UPSTREAM, "duplicate_openai translates nothing");
    }
};

}  // namespace

SWITCHBOARD_EXPORT_PROVIDER(DuplicateOpenAI)
