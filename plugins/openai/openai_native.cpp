#include "openai.hpp"

namespace switchboard::openai {

namespace {

const sb_str kNativeDialects[] = {sdk::to_sb(SB_DIALECT_OPENAI_RESPONSES)};

}  // namespace

sdk::HttpRequest Provider::build_native_request(const sdk::Config &config, const sdk::NativeRequest &request) {
    if (request.dialect != SB_DIALECT_OPENAI_RESPONSES || request.operation != "/responses")
        throw sdk::ProviderError(SB_ERR_UNSUPPORTED, SB_ERROR_INVALID_REQUEST,
                                 "OpenAI does not serve " + std::string(request.operation) + " natively here");
    sdk::HttpRequest req;
    req.method = "POST";
    req.url = kit::join_url(config.api_base, "responses");
    kit::add_json_headers(req, request.stream);
    if (auto beta = request.header("openai-beta"); !beta.empty()) req.headers.emplace_back("OpenAI-Beta", std::string(beta));
    req.body = std::string(request.body_json);
    return req;
}

const sb_native *Provider::native_table() { return sdk::native_extension<Provider>(kNativeDialects); }

}  // namespace switchboard::openai
