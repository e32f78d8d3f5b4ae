#pragma once
// Maps method + path to the admin and data-plane handlers, turns every
// exception into an OpenAI-style error, stamps x-request-id, and records
// each exchange once it has ended (metrics and one access-log line): the
// server's Session for every connection.
#include "core/metrics.hpp"
#include "host/access_control.hpp"
#include "host/admin_api.hpp"
#include "host/anthropic_messages.hpp"
#include "host/keys_api.hpp"
#include "host/openai_api.hpp"
#include "host/openai_responses.hpp"

namespace sb::host {

class Router {
public:
    Router(core::ChatGateway &gateway, core::ProviderRegistry &registry, core::ConfigStore &store,
           const core::Environment &env, core::PluginReloader &reloader, const AccessControl &access,
           core::Metrics &metrics)
        : registry_(registry), store_(store), access_(access), metrics_(metrics),
          admin_(gateway, registry, store, env, reloader), openai_(gateway, registry), messages_(gateway), responses_(gateway) {}
    // The Session of a new connection from peer (see core::HttpServer).
    std::unique_ptr<core::Session> open_session(const boost::asio::ip::address &peer);
    // Serves /api/backdoor/keys and guards /v1/* with virtual keys; both
    // outlive the router.
    void use_keys(KeysApi &api, KeyGate &gate) {
        keys_api_ = &api;
        key_gate_ = &gate;
    }

private:
    class ClientSession;
    // Whether the request may be read on, decided from its head alone
    // (tokens, keys, Host and Origin) before its body is read.
    bool admits(const RequestHead &head, const boost::asio::ip::address &peer) const noexcept;
    // Throws GatewayError (401/403) when the caller may not call path.
    void authorize(const RequestHead &head, std::string_view path, const boost::asio::ip::address &peer) const;
    boost::asio::awaitable<Reply> dispatch(Request &request, std::string_view path, const core::Exchange &exchange,
                                           core::RequestContext &context);
    Response readiness(const Request &request) const;

    core::ProviderRegistry &registry_;
    core::ConfigStore &store_;
    const AccessControl &access_;
    core::Metrics &metrics_;
    AdminApi admin_;
    OpenAIApi openai_;
    AnthropicMessages messages_;
    OpenAIResponsesApi responses_;
    KeysApi *keys_api_ = nullptr;
    KeyGate *key_gate_ = nullptr;
};

}  // namespace sb::host
