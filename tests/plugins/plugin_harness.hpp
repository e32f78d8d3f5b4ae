// Drives a provider plugin .so through the C ABI only (dlopen + entry + table),
// collecting everything it writes into plain C++ values. Used by the plugin
// suites; no core/ code involved, so it tests exactly what the host sees.
#pragma once

#include <switchboard/provider_abi.h>

#include <dlfcn.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sbtest {

// Sanitizer builds (SWITCHBOARD_SANITIZE) link plugins against the shared
// libstdc++ on purpose; the "no libstdc++ dependency" rule is for releases.
#ifdef SB_SANITIZED_BUILD
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif

inline std::string sv(sb_str s) { return s.ptr ? std::string(s.ptr, s.len) : std::string(); }
inline sb_str sb(std::string_view s) { return sb_str{s.data(), s.size()}; }

inline std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string fixture(const std::string &rel) {
    return read_file(std::string(SB_TEST_FIXTURES_DIR) + "/" + rel);
}

inline std::vector<std::string> fixture_lines(const std::string &rel) {
    std::istringstream in(fixture(rel));
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) lines.push_back(l);
    return lines;
}

inline std::string run(const std::string &cmd) {
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed: " + cmd);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
}

// Names of the defined dynamic symbols of a shared library (nm -D).
inline std::vector<std::string> exported_symbols(const std::string &path) {
    std::istringstream in(run("nm -D --defined-only '" + path + "' 2>&1"));
    std::vector<std::string> syms;
    for (std::string line; std::getline(in, line);) {
        std::istringstream ls(line);
        std::string addr, type, name;
        if (ls >> addr >> type >> name) syms.push_back(name);
    }
    return syms;
}

// DT_NEEDED entries (readelf -d).
inline std::vector<std::string> needed_libraries(const std::string &path) {
    std::istringstream in(run("readelf -d '" + path + "' 2>&1"));
    std::vector<std::string> libs;
    for (std::string line; std::getline(in, line);) {
        if (line.find("(NEEDED)") == std::string::npos) continue;
        auto a = line.find('['), b = line.find(']');
        if (a != std::string::npos && b != std::string::npos) libs.push_back(line.substr(a + 1, b - a - 1));
    }
    return libs;
}

struct Error {
    bool reported = false;
    int reports = 0;
    sb_error_kind kind = SB_ERROR_NONE;
    int32_t http_status = 0;
    std::string message;
};

struct Request {
    std::string method;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int set_method_calls = 0, set_url_calls = 0;

    std::string header(std::string_view name) const {
        for (const auto &h : headers) {
            if (h.first.size() != name.size()) continue;
            bool same = true;
            for (size_t i = 0; i < name.size() && same; ++i)
                same = std::tolower((unsigned char)h.first[i]) == std::tolower((unsigned char)name[i]);
            if (same) return h.second;
        }
        return {};
    }
    bool has_header(std::string_view name) const {
        for (const auto &h : headers)
            if (h.first.size() == name.size()) {
                bool same = true;
                for (size_t i = 0; i < name.size() && same; ++i)
                    same = std::tolower((unsigned char)h.first[i]) == std::tolower((unsigned char)name[i]);
                if (same) return true;
            }
        return false;
    }
};

struct Result {
    sb_status status = -1;
    Error error;
};

struct ChatResult : Result {
    Request request;
};
struct ParseResult : Result {
    std::string body;
};
struct ModelsResult : Result {
    std::vector<std::string> ids;
};
struct StreamResult : Result {
    std::vector<std::string> chunks;
    std::vector<sb_usage> usage_reports;  // each sink.usage() call, in order
};

class Config {
public:
    Config(std::string key, std::string base, std::string model)
        : key_(std::move(key)), base_(std::move(base)), model_(std::move(model)) {}
    const sb_provider_config *get() {
        c_ = sb_provider_config{sizeof(sb_provider_config), sb(key_), sb(base_), sb(model_)};
        return &c_;
    }

private:
    std::string key_, base_, model_;
    sb_provider_config c_{};
};

class Plugin {
public:
    explicit Plugin(const std::string &path) : path_(path) {
        handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
        entry_ = reinterpret_cast<sb_entry_fn>(dlsym(handle_, SB_ENTRY_SYMBOL));
        if (!entry_) throw std::runtime_error("no entry symbol in " + path);
        host_.struct_size = sizeof(sb_host_info);
        host_.abi_minor = SB_ABI_VERSION_MINOR;
        host_.host_name = sb("switchboard");
        host_.host_version = sb("test");
        host_.get_host_extension = [](const char *) -> const void * { return nullptr; };
        entry_status_ = entry_(&host_, 1, 1, &table_);
        if (entry_status_ != SB_OK || !table_) throw std::runtime_error("entry refused v1");
        if (table_->init) {
            Error e;
            sb_error_sink es = error_sink(e);
            if (table_->init(&host_, &es) != SB_OK) throw std::runtime_error("init failed: " + e.message);
        }
    }
    ~Plugin() {
        if (table_ && table_->shutdown) table_->shutdown();
        if (handle_) dlclose(handle_);
    }
    Plugin(const Plugin &) = delete;
    Plugin &operator=(const Plugin &) = delete;

    const sb_plugin &table() const { return *table_; }
    const sb_provider_descriptor &descriptor() const { return *table_->descriptor; }
    sb_entry_fn entry() const { return entry_; }
    const sb_host_info &host() const { return host_; }
    const std::string &path() const { return path_; }

    static sb_error_sink error_sink(Error &e) {
        return sb_error_sink{sizeof(sb_error_sink), &e,
                             [](void *ctx, sb_error_kind kind, int32_t status, sb_str message) {
                                 auto *er = static_cast<Error *>(ctx);
                                 er->reported = true;
                                 ++er->reports;
                                 er->kind = kind;
                                 er->http_status = status;
                                 er->message = sv(message);
                             }};
    }

    static sb_http_request_builder builder(Request &r) {
        return sb_http_request_builder{
            sizeof(sb_http_request_builder), &r,
            [](void *ctx, sb_str m) {
                auto *q = static_cast<Request *>(ctx);
                q->method = sv(m);
                ++q->set_method_calls;
            },
            [](void *ctx, sb_str u) {
                auto *q = static_cast<Request *>(ctx);
                q->url = sv(u);
                ++q->set_url_calls;
            },
            [](void *ctx, sb_str n, sb_str v) {
                static_cast<Request *>(ctx)->headers.emplace_back(sv(n), sv(v));
            },
            [](void *ctx, const char *b, size_t n) { static_cast<Request *>(ctx)->body.append(b, n); }};
    }

    ChatResult build_chat(Config &cfg, std::string_view body, bool stream) const {
        ChatResult r;
        sb_chat_request req{sizeof(sb_chat_request), sb(body), stream ? 1 : 0};
        sb_http_request_builder b = builder(r.request);
        sb_error_sink es = error_sink(r.error);
        r.status = table_->build_chat_request(cfg.get(), &req, &b, &es);
        return r;
    }

    ParseResult parse_chat(Config &cfg, int status, std::string_view body,
                           std::vector<sb_header> headers = {}) const {
        ParseResult r;
        sb_http_response resp{sizeof(sb_http_response), status, headers.data(), headers.size(), sb(body)};
        sb_sink out{&r.body, [](void *ctx, const char *b, size_t n) {
                        static_cast<std::string *>(ctx)->append(b, n);
                    }};
        sb_error_sink es = error_sink(r.error);
        r.status = table_->parse_chat_response(cfg.get(), &resp, &out, &es);
        return r;
    }

    ChatResult build_models(Config &cfg) const {
        ChatResult r;
        sb_http_request_builder b = builder(r.request);
        sb_error_sink es = error_sink(r.error);
        r.status = table_->build_models_request(cfg.get(), &b, &es);
        return r;
    }

    ModelsResult parse_models(Config &cfg, int status, std::string_view body) const {
        ModelsResult r;
        sb_http_response resp{sizeof(sb_http_response), status, nullptr, 0, sb(body)};
        sb_model_sink out{sizeof(sb_model_sink), &r.ids,
                          [](void *ctx, sb_str id, sb_str) {
                              static_cast<std::vector<std::string> *>(ctx)->push_back(sv(id));
                          }};
        sb_error_sink es = error_sink(r.error);
        r.status = table_->parse_models_response(cfg.get(), &resp, &out, &es);
        return r;
    }

    // Feeds events (data payloads) one by one. Stops at the first non-SB_OK
    // status (SB_STREAM_END or an error), then closes: with the chunk sink when
    // the stream ended normally or events ran out, without it after an error.
    // r.status: SB_STREAM_END / SB_OK (events ran out) / the error status.
    StreamResult stream(Config &cfg, std::string_view body, const std::vector<std::string> &events,
                        size_t *consumed = nullptr) const {
        StreamResult r;
        sb_chat_request req{sizeof(sb_chat_request), sb(body), 1};
        sb_error_sink es = error_sink(r.error);
        sb_stream *s = nullptr;
        r.status = table_->stream_open(cfg.get(), &req, &s, &es);
        if (r.status != SB_OK) return r;
        // A sink whose struct_size covers usage() must supply it (the ABI
        // promises plugins it is never NULL then).
        sb_chunk_sink out{sizeof(sb_chunk_sink), &r,
                          [](void *ctx, const char *j, size_t n) {
                              static_cast<StreamResult *>(ctx)->chunks.emplace_back(j, n);
                          },
                          [](void *ctx, const sb_usage *u) {
                              static_cast<StreamResult *>(ctx)->usage_reports.push_back(*u);
                          }};
        size_t i = 0;
        for (; i < events.size(); ++i) {
            sb_stream_event ev{sizeof(sb_stream_event), sb_str{nullptr, 0}, sb(events[i])};
            r.status = table_->stream_event(s, &ev, &out, &es);
            if (r.status != SB_OK) break;
        }
        if (consumed) *consumed = i < events.size() ? i + 1 : i;
        bool errored = r.status != SB_OK && r.status != SB_STREAM_END;
        sb_status cs = table_->stream_close(s, errored ? nullptr : &out, &es);
        if (!errored && cs != SB_OK) r.status = cs;
        return r;
    }

private:
    std::string path_;
    void *handle_ = nullptr;
    sb_entry_fn entry_ = nullptr;
    sb_host_info host_{};
    const sb_plugin *table_ = nullptr;
    sb_status entry_status_ = -1;
};

}  // namespace sbtest
