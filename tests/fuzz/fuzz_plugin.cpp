// libFuzzer harness for one in-tree provider plugin, built once per plugin
// with that plugin's sources and plugins/common compiled in (no dlopen, so the
// sanitizers instrument them). The plugin's table is reached through its entry
// function, exactly as the host reaches it.
//
// Input: an optional status line "NNN\n" (default 200), then a vendor body.
// The body goes to
//   parse_chat_response   as the whole response, with that status;
//   parse_models_response as the whole response, with that status;
//   stream_open/stream_event/stream_close as stream events: one per line;
//     a line "event: NAME" names the event carried by the next line.
// Invariants: no crash, no leak, no exception across the ABI; every call
// returns a defined status and reports an error at most once; SB_OK never
// comes with an error report; every JSON the plugin emits (chat completion,
// chunks) parses as a JSON object under strict UTF-8; model ids are valid
// UTF-8 and non-empty.
#include "fuzz_support.hpp"
#include <switchboard/provider_abi.h>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern "C" sb_status switchboard_plugin_entry(const sb_host_info *host, uint32_t abi_major_min,
                                              uint32_t abi_major_max, const sb_plugin **plugin);

namespace {

using sb::fuzz::valid_utf8;

sb_str sb(std::string_view s) { return sb_str{s.data(), s.size()}; }

struct ErrorRecord {
    int reports = 0;
    sb_error_kind kind = SB_ERROR_NONE;
};

sb_error_sink error_sink(ErrorRecord &e) {
    return sb_error_sink{sizeof(sb_error_sink), &e, [](void *ctx, sb_error_kind kind, int32_t, sb_str message) {
                             auto *r = static_cast<ErrorRecord *>(ctx);
                             ++r->reports;
                             r->kind = kind;
                             FUZZ_CHECK(message.ptr != nullptr || message.len == 0);
                             if (message.len) (void)*(volatile const char *)(message.ptr + message.len - 1);
                         }};
}

void check_json_object(std::string_view text) {
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
        std::fprintf(stderr, "plugin emitted invalid JSON (%s): %.*s\n", ec.message().c_str(),
                         static_cast<int>(text.size() > 2000 ? 2000 : text.size()), text.data());
        std::abort();
    }
}

bool known_status(sb_status s) { return s >= SB_OK && s <= SB_STREAM_END; }

const sb_plugin *table() {
    static const sb_plugin *t = [] {
        static sb_host_info host{sizeof(sb_host_info), SB_ABI_VERSION_MINOR, sb("switchboard"), sb("fuzz"),
                                 [](const char *) -> const void * { return nullptr; }};
        const sb_plugin *p = nullptr;
        FUZZ_CHECK(switchboard_plugin_entry(&host, 1, 1, &p) == SB_OK && p);
        if (p->init) {
            ErrorRecord e;
            sb_error_sink es = error_sink(e);
            FUZZ_CHECK(p->init(&host, &es) == SB_OK);
        }
        return p;
    }();
    return t;
}

const sb_provider_config *config() {
    static const sb_provider_config c{sizeof(sb_provider_config), sb("sk-fuzz-0123456789"),
                                      sb("https://api.fuzz.test/v1"), sb("fuzz-model")};
    return &c;
}

constexpr std::string_view kStreamRequest =
    R"({"model":"fuzz-model","messages":[{"role":"user","content":"hi"}],"stream":true,)"
    R"("stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"f",)"
    R"("parameters":{"type":"object","properties":{}}}}]})";

void fuzz_chat(const sb_plugin *p, int32_t status, std::string_view body) {
    if (!p->parse_chat_response) return;
    std::string out;
    ErrorRecord e;
    sb_error_sink es = error_sink(e);
    sb_sink sink{&out, [](void *ctx, const char *b, std::size_t n) { static_cast<std::string *>(ctx)->append(b, n); }};
    sb_http_response resp{sizeof(sb_http_response), status, nullptr, 0, sb(body)};
    sb_status s = p->parse_chat_response(config(), &resp, &sink, &es);
    FUZZ_CHECK(known_status(s) && s != SB_STREAM_END);
    FUZZ_CHECK(e.reports <= 1);
    if (s == SB_OK) {
        FUZZ_CHECK(e.reports == 0);
        check_json_object(out);
    }
}

void fuzz_models(const sb_plugin *p, int32_t status, std::string_view body) {
    if (!p->parse_models_response) return;
    ErrorRecord e;
    sb_error_sink es = error_sink(e);
    sb_model_sink sink{sizeof(sb_model_sink), nullptr, [](void *, sb_str id, sb_str name) {
                           FUZZ_CHECK(id.len > 0 && id.ptr);
                           FUZZ_CHECK(valid_utf8(std::string_view(id.ptr, id.len)));
                           FUZZ_CHECK(name.ptr != nullptr || name.len == 0);
                           if (name.len) FUZZ_CHECK(valid_utf8(std::string_view(name.ptr, name.len)));
                       }};
    sb_http_response resp{sizeof(sb_http_response), status, nullptr, 0, sb(body)};
    sb_status s = p->parse_models_response(config(), &resp, &sink, &es);
    FUZZ_CHECK(known_status(s) && s != SB_STREAM_END);
    FUZZ_CHECK(e.reports <= 1);
    if (s == SB_OK) FUZZ_CHECK(e.reports == 0);
}

void fuzz_stream(const sb_plugin *p, std::string_view body, bool abandon) {
    if (!p->stream_open || !p->stream_event || !p->stream_close) return;
    ErrorRecord e;
    sb_error_sink es = error_sink(e);
    sb_chat_request req{sizeof(sb_chat_request), sb(kStreamRequest), 1};
    sb_stream *stream = nullptr;
    sb_status s = p->stream_open(config(), &req, &stream, &es);
    FUZZ_CHECK(known_status(s));
    if (s != SB_OK) {
        FUZZ_CHECK(stream == nullptr);
        return;
    }
    FUZZ_CHECK(stream != nullptr);
    sb_chunk_sink out{sizeof(sb_chunk_sink), nullptr,
                      [](void *, const char *j, std::size_t n) { check_json_object(std::string_view(j, n)); },
                      [](void *, const sb_usage *) {}};
    std::string_view event_name;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        std::size_t nl = body.find('\n', pos);
        if (nl == std::string_view::npos) nl = body.size();
        std::string_view line = body.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.substr(0, 6) == "event:") {
            event_name = line.substr(6);
            if (!event_name.empty() && event_name.front() == ' ') event_name.remove_prefix(1);
            continue;
        }
        ErrorRecord ee;
        sb_error_sink ees = error_sink(ee);
        sb_stream_event ev{sizeof(sb_stream_event), sb(event_name), sb(line)};
        s = p->stream_event(stream, &ev, &out, &ees);
        event_name = {};
        FUZZ_CHECK(known_status(s));
        FUZZ_CHECK(ee.reports <= 1);
        if (s == SB_OK || s == SB_STREAM_END) FUZZ_CHECK(ee.reports == 0);
        if (s != SB_OK) break;
    }
    bool errored = s != SB_OK && s != SB_STREAM_END;
    ErrorRecord ce;
    sb_error_sink ces = error_sink(ce);
    sb_status cs = p->stream_close(stream, (errored || abandon) ? nullptr : &out, &ces);
    FUZZ_CHECK(known_status(cs));
    FUZZ_CHECK(ce.reports <= 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const sb_plugin *p = table();
    std::string_view input(reinterpret_cast<const char *>(data), size);
    int32_t status = 200;
    if (input.size() >= 4 && input[3] == '\n' && input[0] >= '0' && input[0] <= '9' && input[1] >= '0' &&
        input[1] <= '9' && input[2] >= '0' && input[2] <= '9') {
        status = (input[0] - '0') * 100 + (input[1] - '0') * 10 + (input[2] - '0');
        input.remove_prefix(4);
    }
    fuzz_chat(p, status, input);
    fuzz_models(p, status, input);
    // A status line whose last digit is odd abandons the stream (close without a sink).
    fuzz_stream(p, input, status % 2 == 1);
    return 0;
}
