#include "anthropic.hpp"

#include <cstring>

namespace switchboard::anthropic {

namespace {

const sb_str kNativeDialects[] = {sdk::to_sb(SB_DIALECT_ANTHROPIC_MESSAGES)};

}  // namespace

sdk::HttpRequest Provider::build_native_request(const sdk::Config &config, const sdk::NativeRequest &request) {
    if (request.dialect != SB_DIALECT_ANTHROPIC_MESSAGES ||
        (request.operation != "/messages" && request.operation != "/messages/count_tokens"))
        throw sdk::ProviderError(SB_ERR_UNSUPPORTED, SB_ERROR_INVALID_REQUEST,
                                 std::string(kDisplayName) + " does not serve " + std::string(request.operation));
    sdk::HttpRequest req;
    req.method = "POST";
    req.url = kit::join_url(config.api_base, request.operation.substr(1));
    kit::add_json_headers(req, request.stream);
    // The client's version and betas: what it wrote is what the vendor reads.
    add_version(req, request.header("anthropic-version"));
    if (auto beta = request.header("anthropic-beta"); !beta.empty())
        req.headers.emplace_back("anthropic-beta", std::string(beta));
    req.body = std::string(request.body_json);
    return req;
}

const void *Provider::extension(const char *id) {
    if (std::strcmp(id, SB_EXT_NATIVE) == 0) return sdk::native_extension<Provider>(kNativeDialects);
    return VendorProvider::extension(id);
}

}  // namespace switchboard::anthropic
