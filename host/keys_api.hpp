#pragma once
// Virtual keys over HTTP: the admin endpoints /api/backdoor/keys[/{id}]
// (KeysApi) and the data plane's side (KeyGate): which credential opens
// /v1/*, which requests a key may send, and what each one cost.
#include "core/gateway/chat_gateway.hpp"
#include "core/keys/key_service.hpp"
#include "core/metrics.hpp"
#include "host/access_control.hpp"
#include "host/http_responses.hpp"

namespace sb::host {

// POST /api/backdoor/keys, GET /api/backdoor/keys, GET|PATCH|DELETE
// /api/backdoor/keys/{id}. The caller has authorized the admin.
class KeysApi {
public:
    explicit KeysApi(core::KeyService &keys) : keys_(keys) {}

    static bool handles(std::string_view path) noexcept;
    // Throws GatewayError: invalid_request (400) naming the field,
    // not_found, method_not_allowed.
    Response handle(const Request &request, std::string_view path);

private:
    Response create(const Request &request);
    Response list(const Request &request);
    Response get(const Request &request, std::string_view id);
    Response patch(const Request &request, std::string_view id);
    Response revoke(const Request &request, std::string_view id);
    std::string view_json(const core::VirtualKey &key) const;

    core::KeyService &keys_;
};

// Thread safety: as KeyService. Every member throws GatewayError only.
class KeyGate {
public:
    KeyGate(core::KeyService &keys, core::ChatGateway &gateway, const AccessControl &access)
        : keys_(keys), gateway_(gateway), access_(access) {}

    // Whether the data plane needs a key because a virtual key exists.
    bool required() const;
    // From the head alone: a static client key or a valid virtual key.
    // Throws invalid_api_key (401): none, unknown, revoked, expired.
    void authorize(std::string_view authorization, std::string_view api_key) const;
    // Once per request, body read: names the virtual key in
    // context.virtual_key_id and admits the request against its models,
    // budget and limits (403, 402, 429 with retry_after). Nothing for a
    // static client key.
    void admit(const Request &request, std::string_view api_key, core::RequestContext &context);
    // Once the exchange has ended: its cost from context's usage, charged to
    // its virtual key and recorded in metrics; nullopt when unknown. Logs
    // instead of throwing.
    std::optional<std::int64_t> charge(const core::RequestContext &context, core::Metrics &metrics) noexcept;

private:
    core::KeyService &keys_;
    core::ChatGateway &gateway_;
    const AccessControl &access_;
};

}  // namespace sb::host
