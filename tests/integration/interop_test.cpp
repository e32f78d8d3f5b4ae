// Streams and plain chats through the real daemon against vendor stand-ins
// served by HTTP servers no one here wrote (issue 14):
//   - Python's http.server answering HTTP/1.0, and HTTP/1.1 with
//     "Connection: close", both with close-delimited bodies (no
//     Content-Length, no chunked encoding: the close ends the body);
//   - Node's http module (chunked streams, keep-alive);
//   - Debian's nginx as a reverse proxy in front of the loopback mock
//     vendors, proxy_buffering off, with its default proxy_http_version 1.0
//     and with 1.1.
// Every vendor dialect goes through each server: OpenAI-style SSE (openai,
// custom, mistral, together), Anthropic and Cohere SSE events, Gemini's
// streamGenerateContent?alt=sse.
//
// What each case must give is a reference run: the same daemon against the
// loopback mock vendors (chunked), itself checked against the vendor
// fixtures read in the vendor's own dialect. The stand-ins serve the very
// bytes those mocks sent (the daemon's own requests, replayed to the mocks),
// so every server carries the same vendor answer and only its HTTP framing
// differs. Each stream must give the reference's exact chunk sequence (ids
// and timestamps aside), its content pieces in order, one usage chunk,
// `data: [DONE]` last and no error event; each plain chat the reference's
// content and usage.
#include <algorithm>
#include <boost/test/results_collector.hpp>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "integration/integration_fixture.hpp"
#include "support/mock_vendor_upstreams.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const fs::path interop_dir{SB_INTEROP_DIR};

struct Provider {
    VendorDialect dialect;  // the mock (and so the canned answer) serving it
    std::string id;
    std::string env;  // env var prefix
    std::string model;
    std::string key() const { return id + "-interop-secret-key-0123456789"; }
    std::string qualified_model() const { return id + "/" + model; }
};

const Provider openai_provider{VendorDialect::openai, "openai", "OPENAI", "gpt-4.1-nano"};
const Provider custom_provider{VendorDialect::openai, "custom", "CUSTOM", "mock-model"};
const Provider mistral_provider{VendorDialect::openai, "mistral", "MISTRAL",
                                "mistral-small-latest"};
const Provider together_provider{VendorDialect::openai, "together", "TOGETHER",
                                 "meta-llama/Llama-3.3-70B-Instruct-Turbo-Free"};
const Provider anthropic_provider{VendorDialect::anthropic, "anthropic", "ANTHROPIC",
                                  "claude-3-haiku-20240307"};
const Provider google_provider{VendorDialect::gemini, "google", "GOOGLE", "gemini-1.5-pro"};
const Provider cohere_provider{VendorDialect::cohere, "cohere", "COHERE", "command-a-03-2025"};

const std::vector<const Provider *> &all_providers() {
    static const std::vector<const Provider *> all{
        &openai_provider,    &custom_provider, &mistral_provider, &together_provider,
        &anthropic_provider, &google_provider, &cohere_provider};
    return all;
}

std::vector<std::string> all_plugins() {
    return {"switchboard-openai.so",   "switchboard-custom.so",    "switchboard-mistral.so",
            "switchboard-together.so", "switchboard-anthropic.so", "switchboard-google.so",
            "switchboard-cohere.so"};
}

// ---- what the daemon answered, reduced to what must not vary ----

// A daemon chunk or response without the fields that differ per request.
std::string normalized(json::value v) {
    if (v.is_object()) {
        v.get_object().erase("id");
        v.get_object().erase("created");
    }
    return json::serialize(v);
}

struct StreamAnswer {
    std::vector<std::string> chunks;  // normalized, in order
    std::vector<std::string> pieces;  // the non-empty delta.content, in order
    std::string usage;                // the usage object, serialized ("" when none)
};

struct PlainAnswer {
    std::string document;  // normalized
    std::string content;
    std::string usage;
};

// Reads the daemon's SSE answer. Returns the first thing wrong with it as a
// stream that ended cleanly ("" when nothing is): an error event, a line that
// is not data, a missing or repeated [DONE], not exactly one usage chunk.
std::string read_stream(const TestHttpResponse &r, StreamAnswer &out) {
    if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body;
    if (r.header("Content-Type").find("text/event-stream") == std::string::npos)
        return "Content-Type " + r.header("Content-Type");
    std::istringstream lines(r.body);
    std::size_t done = 0, usage_chunks = 0;
    std::string last;
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line[0] == ':') continue;
        if (line.rfind("data: ", 0) != 0) return "a line that is not data: " + line;
        last = line.substr(6);
        if (last == "[DONE]") {
            ++done;
            continue;
        }
        if (done) return "data after [DONE]: " + line;
        json::value chunk;
        try {
            chunk = parse_json(last);
        } catch (const std::exception &) {
            return "data that is not JSON: " + line;
        }
        if (find(chunk, "error")) return "an error event: " + line;
        if (const json::value *usage = find(chunk, "usage"); usage && usage->is_object()) {
            ++usage_chunks;
            out.usage = json::serialize(*usage);
        }
        if (const json::value *content = find(chunk, "choices.0.delta.content");
            content && content->is_string() && !content->get_string().empty())
            out.pieces.emplace_back(content->get_string());
        out.chunks.push_back(normalized(std::move(chunk)));
    }
    if (done != 1 || last != "[DONE]") return "the stream does not end in one data: [DONE]";
    if (usage_chunks != 1) return std::to_string(usage_chunks) + " usage chunks";
    return {};
}

std::string read_plain(const TestHttpResponse &r, PlainAnswer &out) {
    if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body;
    json::value doc;
    try {
        doc = parse_json(r.body);
    } catch (const std::exception &) {
        return "a body that is not JSON: " + r.body;
    }
    if (find(doc, "error")) return "an error: " + r.body;
    out.content = text(doc, "choices.0.message.content");
    const json::value *usage = find(doc, "usage");
    if (!usage || !usage->is_object()) return "no usage: " + r.body;
    out.usage = json::serialize(*usage);
    out.document = normalized(std::move(doc));
    return {};
}

// The first difference between what a case got and the reference, "" when none.
template <class T>
std::string first_difference(const std::vector<T> &got, const std::vector<T> &want,
                             std::string_view what) {
    for (std::size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
        if (i < got.size() && i < want.size() && got[i] == want[i]) continue;
        std::ostringstream out;
        out << what << " " << i << " of " << want.size() << ": expected "
            << (i < want.size() ? want[i] : std::string("<none>")) << ", observed "
            << (i < got.size() ? got[i] : std::string("<none>"));
        return out.str();
    }
    return {};
}

std::string compare(const StreamAnswer &got, const StreamAnswer &want) {
    if (auto d = first_difference(got.pieces, want.pieces, "content piece"); !d.empty()) return d;
    if (got.usage != want.usage) return "usage: expected " + want.usage + ", observed " + got.usage;
    return first_difference(got.chunks, want.chunks, "chunk");
}

std::string compare(const PlainAnswer &got, const PlainAnswer &want) {
    if (got.content != want.content)
        return "content: expected " + want.content + ", observed " + got.content;
    if (got.usage != want.usage) return "usage: expected " + want.usage + ", observed " + got.usage;
    if (got.document != want.document)
        return "response: expected " + want.document + ", observed " + got.document;
    return {};
}

json::object chat_request(const Provider &p, bool stream) {
    json::object body = chat_body(p.qualified_model());
    if (stream) body["stream"] = true;
    return body;
}

// The text pieces of a stream fixture, one per vendor event, read in the
// vendor's own dialect.
std::vector<std::string> fixture_pieces(VendorDialect dialect, const fs::path &fixture) {
    std::vector<std::string> pieces;
    for (const auto &line : read_fixture_lines(fixture))
        if (auto piece = vendor_expect::stream_text(dialect, {line}); !piece.empty())
            pieces.push_back(piece);
    return pieces;
}

// ---- the reference: the mocks, their canned answers, what every case must give ----

// The daemon's environment: every provider's key, model and base. The base
// is its mock's, or with `root` (scheme, host, port) the server there with
// what the mock puts after its root ("/v1", "/v1beta" or nothing).
Env provider_env(const std::map<VendorDialect, std::unique_ptr<MockVendorUpstream>> &mocks,
                 const std::optional<std::string> &root = std::nullopt) {
    Env env;
    for (const Provider *p : all_providers()) {
        MockVendorUpstream &mock = *mocks.at(p->dialect);
        const std::string suffix = mock.base_url().substr(mock.server().base_url().size());
        env[p->env + "_API_KEY"] = p->key();
        env[p->env + "_MODEL"] = p->model;
        env[p->env + "_API_BASE"] = root ? *root + suffix : mock.base_url();
    }
    return env;
}

struct Reference {
    Reference() {
        for (VendorDialect d : {VendorDialect::openai, VendorDialect::anthropic,
                                VendorDialect::gemini, VendorDialect::cohere})
            mocks[d] = std::make_unique<MockVendorUpstream>(d);
        Harness h(all_plugins());
        h.start(provider_env(mocks));
        for (const Provider *p : all_providers()) {
            BOOST_TEST_CONTEXT("reference run, " << p->id) {
                const MockVendorUpstream &mock = *mocks.at(p->dialect);
                PlainAnswer plain;
                std::string problem =
                    read_plain(h.post_json(chat_path, chat_request(*p, false)), plain);
                BOOST_TEST_REQUIRE(problem.empty(), problem);
                BOOST_TEST_REQUIRE(plain.content == vendor_expect::reply_text(
                                                        p->dialect, parse_json(read_fixture_file(
                                                                        mock.reply_fixture()))));
                StreamAnswer stream;
                problem = read_stream(h.post_json(chat_path, chat_request(*p, true)), stream);
                BOOST_TEST_REQUIRE(problem.empty(), problem);
                auto want_pieces = fixture_pieces(p->dialect, mock.stream_fixture());
                BOOST_TEST_REQUIRE(!want_pieces.empty());
                problem =
                    first_difference(stream.pieces, want_pieces, "content piece (vs the fixture)");
                BOOST_TEST_REQUIRE(problem.empty(), problem);
                plains[p->id] = std::move(plain);
                streams[p->id] = std::move(stream);
            }
        }
        can_answers();
    }

    // Replays every chat request the daemon made to the mocks and keeps what
    // they answered as canned/<request path>[.sse], and where it came from.
    void can_answers() {
        for (auto &[dialect, mock] : mocks) {
            for (const RecordedRequest &sent : mock->chat_requests()) {
                TestHeaders headers;
                for (const auto &[name, value] : sent.headers) {
                    static const std::set<std::string> framing{"host", "content-length",
                                                               "connection", "transfer-encoding"};
                    std::string lower = name;
                    for (char &c : lower)
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    if (!framing.count(lower)) headers.emplace_back(name, value);
                }
                auto r = TestHttpClient("127.0.0.1", mock->port())
                             .request(sent.method, sent.target, sent.body, headers);
                BOOST_TEST_REQUIRE(r.status == 200u, sent.target << ": " << r.body);
                const std::string path = sent.target.substr(0, sent.target.find('?'));
                const bool sse =
                    r.header("Content-Type").find("text/event-stream") != std::string::npos;
                fs::path file = canned / path.substr(1);
                if (sse) file += ".sse";
                fs::create_directories(file.parent_path());
                std::ofstream(file, std::ios::binary) << r.body;
                routes[path] = mock->server().base_url();
            }
        }
    }

    TempDir tmp{"sb-interop"};
    fs::path canned = tmp.subdir("canned");
    std::map<VendorDialect, std::unique_ptr<MockVendorUpstream>> mocks;
    std::map<std::string, std::string> routes;  // vendor request path -> the mock's root URL
    std::map<std::string, PlainAnswer> plains;  // by provider id
    std::map<std::string, StreamAnswer> streams;
};

// Built by the first case that needs it; the mocks serve the nginx cases.
Reference &reference() {
    static Reference ref;
    return ref;
}

// ---- the servers under test ----

enum class Server { python_http10, python_http11_close, node_chunked, nginx_http10, nginx_http11 };

// One vendor stand-in process (it prints "event=listening addr=..." as the
// daemon does, so DaemonProcess runs it) and a daemon with every provider
// pointed at it.
class ServerUnderTest {
public:
    explicit ServerUnderTest(Server kind) : ref_(reference()), plugins_(all_plugins()) {
        DaemonOptions options;
        options.start_timeout = std::chrono::milliseconds{30'000};
        // The system's python3 first; then node and nginx wherever they are
        // (nvm, nodesource, /usr/sbin, the caller's PATH).
        const char *caller_path = std::getenv("PATH");
        options.env["PATH"] =
            "/usr/local/bin:/usr/bin:/bin:" + fs::path(SB_NODE_EXECUTABLE).parent_path().string() +
            (caller_path ? ":" + std::string(caller_path) : std::string());
        switch (kind) {
            case Server::python_http10:
            case Server::python_http11_close:
                options.executable = interop_dir / "vendor_stand_in.py";
                options.extra_args = {"--canned", ref_.canned.string(), "--protocol",
                                      kind == Server::python_http10 ? "HTTP/1.0" : "HTTP/1.1"};
                break;
            case Server::node_chunked:
                options.executable = interop_dir / "vendor_stand_in.mjs";
                options.extra_args = {"--canned", ref_.canned.string()};
                break;
            case Server::nginx_http10:
            case Server::nginx_http11:
                options.executable = interop_dir / "nginx_front.py";
                options.extra_args = {"--dir", (tmp_.path() / "nginx").string(),
                                      "--proxy-http-version",
                                      kind == Server::nginx_http10 ? "1.0" : "1.1"};
                for (const auto &[path, upstream] : ref_.routes)
                    options.extra_args.push_back("--route=" + path + "=" + upstream);
                break;
        }
        server_ = std::make_unique<DaemonProcess>(std::move(options));
        plugins_.start(
            provider_env(ref_.mocks, "http://127.0.0.1:" + std::to_string(server_->port())));
    }

    ~ServerUnderTest() {
        auto id = utf::framework::current_test_case().p_id;
        if (!utf::results_collector.results(id).passed()) {
            std::cerr << "---- stand-in log ----\n"
                      << server_->log_text() << "---- end of stand-in log ----\n";
            if (fs::exists(tmp_.path() / "nginx" / "error.log"))
                std::cerr << "---- nginx error.log ----\n"
                          << read_fixture_file(tmp_.path() / "nginx" / "error.log")
                          << "---- end of nginx error.log ----\n";
        }
        server_->stop(std::chrono::milliseconds{5'000});
    }

    // `rounds` streams in a row, then one plain chat, each compared with the
    // reference; stops at the first that differs.
    void run(const Provider &p, int rounds) {
        const StreamAnswer &want_stream = ref_.streams.at(p.id);
        for (int i = 1; i <= rounds; ++i) {
            StreamAnswer got;
            std::string problem =
                read_stream(plugins_.post_json(chat_path, chat_request(p, true)), got);
            if (problem.empty()) problem = compare(got, want_stream);
            BOOST_TEST(problem.empty(), "POST " << chat_path << " {\"model\":\""
                                                << p.qualified_model()
                                                << "\",\"stream\":true}, stream " << i << " of "
                                                << rounds << ": " << problem);
            if (!problem.empty()) break;
        }
        PlainAnswer got;
        std::string problem =
            read_plain(plugins_.post_json(chat_path, chat_request(p, false)), got);
        if (problem.empty()) problem = compare(got, ref_.plains.at(p.id));
        BOOST_TEST(problem.empty(), "POST " << chat_path << " {\"model\":\"" << p.qualified_model()
                                            << "\"} (plain): " << problem);
    }

private:
    Reference &ref_;
    TempDir tmp_{"sb-interop-server"};
    std::unique_ptr<DaemonProcess> server_;
    Harness plugins_;
};

void streams_and_plain(Server kind, const Provider &p, int rounds) {
    ServerUnderTest(kind).run(p, rounds);
}

}  // namespace

// 20 streams and a plain chat per provider and server; 100 streams in a row
// for every provider on the close-delimited HTTP/1.1 server, the issue's
// reproduction.
#define SB_PROVIDER_CASE(server, id, rounds, seconds)     \
    BOOST_AUTO_TEST_CASE(id, *utf::timeout(seconds)) {    \
        streams_and_plain(server, id##_provider, rounds); \
    }
#define SB_FOR_EVERY_PROVIDER(suite, server, rounds, seconds) \
    BOOST_AUTO_TEST_SUITE(suite)                              \
    SB_PROVIDER_CASE(server, openai, rounds, seconds)         \
    SB_PROVIDER_CASE(server, custom, rounds, seconds)         \
    SB_PROVIDER_CASE(server, mistral, rounds, seconds)        \
    SB_PROVIDER_CASE(server, together, rounds, seconds)       \
    SB_PROVIDER_CASE(server, anthropic, rounds, seconds)      \
    SB_PROVIDER_CASE(server, google, rounds, seconds)         \
    SB_PROVIDER_CASE(server, cohere, rounds, seconds)         \
    BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(interop)

SB_FOR_EVERY_PROVIDER(python_http10_close_delimited, Server::python_http10, 20, 120)
SB_FOR_EVERY_PROVIDER(python_http11_connection_close, Server::python_http11_close, 20, 120)
SB_FOR_EVERY_PROVIDER(node_http_chunked, Server::node_chunked, 20, 120)
SB_FOR_EVERY_PROVIDER(nginx_proxy_http10_unbuffered, Server::nginx_http10, 20, 120)
SB_FOR_EVERY_PROVIDER(nginx_proxy_http11_unbuffered, Server::nginx_http11, 20, 120)
SB_FOR_EVERY_PROVIDER(hundred_close_delimited_streams_in_a_row, Server::python_http11_close, 100,
                      300)

BOOST_AUTO_TEST_SUITE_END()
