#include "host/plugin_check.hpp"

#include "core/errors.hpp"
#include "core/plugin/elf_exports.hpp"
#include "core/plugin/plugin_library.hpp"
#include "core/plugin/provider.hpp"

#include <cstdio>
#include <functional>
#include <string>

namespace sb::host {
namespace {

int g_failures = 0;

void result(bool ok, const std::string &what, const std::string &detail = {}) {
    if (!ok) ++g_failures;
    std::printf("  [%s] %s%s%s\n", ok ? " ok " : "FAIL", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
}

void warn(const std::string &what) { std::printf("  [warn] %s\n", what.c_str()); }

// Runs one self-check; a plugin that throws or crashes the expectation fails it.
void check(const std::string &what, const std::function<std::string()> &body) {
    try {
        std::string detail = body();
        result(true, what, detail);
    } catch (const std::exception &e) {
        result(false, what, e.what());
    }
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

}  // namespace

int check_plugin(const std::filesystem::path &file) {
    std::printf("plugin check: %s\n", file.c_str());
    if (!std::filesystem::is_regular_file(file)) {
        std::printf("  [FAIL] not a regular file\nresult: would be refused\n");
        return 1;
    }
    if (auto why = core::plugin_file_untrusted(file)) {
        result(false, "only root or the daemon's user can write it and its directory", *why);
        std::printf("result: would be refused: %s\n", why->c_str());
        return 1;
    }
    result(true, "only root or the daemon's user can write it and its directory");
    if (auto symbols = core::exported_symbols(file)) {
        bool has_entry = false;
        std::string others;
        for (const auto &s : *symbols) {
            if (s == SB_ENTRY_SYMBOL)
                has_entry = true;
            else
                others += (others.empty() ? "" : ", ") + s;
        }
        result(has_entry, std::string("exports ") + SB_ENTRY_SYMBOL);
        if (!others.empty())
            warn("also exports " + std::to_string(symbols->size() - (has_entry ? 1 : 0)) +
                 " other symbol(s) (build with switchboard_add_plugin to export only the entry): " +
                 (others.size() > 300 ? others.substr(0, 300) + "..." : others));
    } else {
        warn("could not read the ELF symbol table");
    }

    std::shared_ptr<core::PluginLibrary> library;
    try {
        library = core::PluginLibrary::load(file);
    } catch (const core::PluginLoadError &e) {
        result(false, "loads and negotiates the ABI", e.what());
        std::printf("result: would be refused: %s\n", e.what());
        return 1;
    }
    result(true, "loads, negotiates ABI " + library->abi_version() + ", passes init");
    core::LoadedProvider provider(library);
    const core::ProviderInfo &info = provider.info();
    std::printf("descriptor:\n");
    std::printf("  id              %s\n", info.id.c_str());
    std::printf("  name            %s\n", info.display_name.c_str());
    std::printf("  version         %s\n", info.plugin_version.c_str());
    std::printf("  abi             %s (host speaks %u.%u)\n", library->abi_version().c_str(),
                SB_ABI_VERSION_MAJOR, SB_ABI_VERSION_MINOR);
    std::printf("  default model   %s\n", info.default_model.empty() ? "(none)" : info.default_model.c_str());
    std::printf("  default base    %s\n", info.default_api_base.empty() ? "(none)" : info.default_api_base.c_str());
    std::printf("  env             %s %s %s\n", info.env_api_key.c_str(), info.env_model.c_str(),
                info.env_api_base.c_str());
    std::printf("  capabilities    streaming=%s tools=%s vision=%s model_listing=%s requires_api_key=%s\n",
                yes_no(info.has(SB_CAP_STREAMING)).c_str(), yes_no(info.has(SB_CAP_TOOLS)).c_str(),
                yes_no(info.has(SB_CAP_VISION)).c_str(), yes_no(info.has(SB_CAP_MODEL_LISTING)).c_str(),
                yes_no(info.has(SB_CAP_REQUIRES_API_KEY)).c_str());
    std::printf("  stream framing  %s\n", info.stream_framing == SB_FRAMING_NDJSON ? "ndjson" : "sse");
    std::printf("  known models    %zu\n", info.known_models.size());
    if (info.sees_keys)
        std::printf("  sees_keys       true (the plugin is given API keys: ABI %s%s)\n",
                    library->abi_version().c_str(),
                    library->table().abi_minor >= 4 ? ", no credential_header" : " < 1.4");
    else
        std::printf("  sees_keys       false (the host writes the key into %s)\n",
                    info.credential_header.c_str());

    std::printf("self-checks:\n");
    const std::string key = "sk-switchboard-check-KEY-0123456789";
    core::EffectiveConfig config{key, info.default_api_base.empty() ? "http://127.0.0.1:9/v1" : info.default_api_base,
                                 info.default_model.empty() ? "check-model" : info.default_model};
    const std::string chat = R"({"model":")" + config.model + R"(","messages":[{"role":"user","content":"ping"}]})";
    check("builds a chat request with an absolute http(s) URL and no key in it", [&] {
        core::UpstreamRequest req = provider.build_chat_request(config, chat, false);
        if (!req.url.starts_with("http://") && !req.url.starts_with("https://"))
            throw std::runtime_error("URL is not absolute http(s): " + req.url);
        if (req.url.find(key) != std::string::npos) throw std::runtime_error("the API key is in the URL");
        if (!info.sees_keys) {
            std::size_t written = 0;
            for (const auto &[name, value] : req.headers)
                written += name == info.credential_header && value == info.credential_prefix + key;
            if (written != 1)
                throw std::runtime_error("the host did not write the key into " +
                                         info.credential_header);
        }
        return req.method + " " + req.url;
    });
    check("classifies a 401 answer as an error", [&] {
        core::UpstreamResponse r{401, {{"content-type", "application/json"}},
                                 R"({"error":{"message":"invalid key","type":"authentication_error"}})"};
        try {
            provider.parse_chat_response(config, r);
        } catch (const core::GatewayError &e) {
            return std::string(core::error_code_name(e.code()));
        }
        throw std::runtime_error("a 401 answer was accepted as a chat completion");
    });
    check("refuses an HTML page instead of a vendor answer", [&] {
        core::UpstreamResponse r{200, {{"content-type", "text/html"}}, "<html><body>hello</body></html>"};
        try {
            provider.parse_chat_response(config, r);
        } catch (const core::GatewayError &e) {
            return std::string(core::error_code_name(e.code()));
        }
        throw std::runtime_error("an HTML page was accepted as a chat completion");
    });
    if (info.has(SB_CAP_STREAMING)) {
        check("opens, feeds garbage to, and abandons a stream", [&] {
            auto stream = provider.open_stream(config, chat);
            try {
                stream->feed("", "{not json", [](std::string_view) {});
            } catch (const core::GatewayError &) {
                // reporting an error is the right answer to garbage
            }
            return std::string();
        });
    }
    if (info.has(SB_CAP_MODEL_LISTING)) {
        check("builds a model-list request", [&] {
            auto req = provider.build_models_request(config);
            if (!req) throw std::runtime_error("declares model listing but builds no request");
            if (req->url.find(key) != std::string::npos) throw std::runtime_error("the API key is in the URL");
            return req->method + " " + req->url;
        });
    }
    if (auto own = provider.self_check()) {
        result(own->empty(), "plugin's own self_check (ABI v1.1)", *own);
    } else {
        std::printf("  [skip] plugin's own self_check: not provided (ABI %s table)\n", library->abi_version().c_str());
    }
    if (g_failures) {
        std::printf("result: loads, but %d self-check(s) failed\n", g_failures);
        return 1;
    }
    std::printf("result: would be loaded\n");
    return 0;
}

}  // namespace sb::host
