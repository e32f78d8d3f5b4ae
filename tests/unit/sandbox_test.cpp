// The plugin sandbox (core/plugin/sandbox.hpp): every in-tree plugin
// translates confined exactly as it does unconfined, and the hostile test
// plugin (tests/plugins/hostile) is refused everything it tries, from its
// constructor and from its translation calls, or dies alone.
//
// Each confined run is this executable started again (fork + exec, as the
// daemon starts its helper) with --confined-child: a fresh single-threaded
// process whose environment holds a canary key, whose fd 3 is a socket to the
// test, and which calls load_confined and reports over that socket.
#define BOOST_TEST_MODULE sandbox
#define BOOST_TEST_NO_MAIN
#include "core/plugin/sandbox.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <switchboard/provider_abi.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "plugins/hostile/hostile_report.hpp"
#include "support/child_command.hpp"

namespace fs = std::filesystem;
using namespace sb::test::hostile;
using sb::test::read_text_file;

namespace {

constexpr const char *kChildFlag = "--confined-child";
constexpr int kChannel = 3;
constexpr const char *kCanary = "SB_SANDBOX_CANARY_API_KEY=sk-canary-0123456789";
const fs::path kFixtures = SB_TEST_FIXTURES_DIR;

using Records = std::vector<std::pair<std::string, std::string>>;

// ------------------------------------------------- driving a plugin's table

sb_str view(const std::string &s) { return {s.data(), s.size()}; }
std::string str(sb_str s) { return s.len ? std::string(s.ptr, s.len) : std::string(); }

struct Sinks {
    std::string text;
    void clear() { text.clear(); }
    static void write(void *ctx, const char *bytes, size_t len) {
        static_cast<Sinks *>(ctx)->text.append(bytes, len);
    }
    static void error(void *ctx, sb_error_kind kind, int32_t status, sb_str message) {
        static_cast<Sinks *>(ctx)->text +=
            "error " + std::to_string(kind) + " " + std::to_string(status) + " " + str(message);
    }
    static void usage(void *ctx, const sb_usage *u) {
        static_cast<Sinks *>(ctx)->text += " usage " + std::to_string(u->prompt_tokens) + "/" +
                                           std::to_string(u->completion_tokens);
    }
    static void set_method(void *ctx, sb_str v) { static_cast<Sinks *>(ctx)->text += str(v) + " "; }
    static void set_url(void *ctx, sb_str v) { static_cast<Sinks *>(ctx)->text += str(v) + "\n"; }
    static void add_header(void *ctx, sb_str n, sb_str v) {
        static_cast<Sinks *>(ctx)->text += str(n) + ": " + str(v) + "\n";
    }
    static void emit(void *ctx, const char *json, size_t len) {
        static_cast<Sinks *>(ctx)->text.append(json, len).append("\n");
    }
};

struct Inputs {
    std::string response_body;
    std::vector<std::string> events;  // stream payloads, one per event
};

// What a plugin needs to translate: a vendor answer and a vendor stream of
// its own (the recorded fixtures), OpenAI's for plugins without any.
Inputs inputs_for(const std::string &id) {
    const std::map<std::string, std::pair<std::string, std::string>> files = {
        {"anthropic", {"anthropic/anthropic-text.json", "anthropic/anthropic-text.chunks.txt"}},
        {"cohere", {"cohere/cohere-text.json", "cohere/cohere-text.chunks.txt"}},
        {"google", {"google/google-text.json", "google/google-text.chunks.txt"}},
        {"mistral", {"mistral/mistral-text.json", "mistral/mistral-text.chunks.txt"}},
        {"together", {"together/chat_completion.json", "together/text.chunks.txt"}},
    };
    auto it = files.find(id);
    auto [response, chunks] = it != files.end()
                                  ? it->second
                                  : std::pair<std::string, std::string>{
                                        "openai/openai-text.json", "openai/openai-text.chunks.txt"};
    Inputs in;
    in.response_body = read_text_file(kFixtures / response);
    std::istringstream lines(read_text_file(kFixtures / chunks));
    for (std::string line; std::getline(lines, line);)
        if (!line.empty()) in.events.push_back(line);
    return in;
}

// The event name an SSE vendor gives a payload: its "type", when it has one.
std::string event_name(const std::string &payload) {
    boost::system::error_code ec;
    auto v = boost::json::parse(payload, ec);
    if (ec || !v.is_object()) return {};
    const auto *type = v.as_object().if_contains("type");
    return type && type->is_string() ? std::string(type->as_string()) : std::string();
}

const sb_plugin *enter(void *handle, std::string &why) {
    auto entry = reinterpret_cast<sb_entry_fn>(::dlsym(handle, SB_ENTRY_SYMBOL));
    if (!entry) {
        why = "no entry symbol";
        return nullptr;
    }
    static const sb_host_info host{sizeof(sb_host_info),
                                   SB_ABI_VERSION_MINOR,
                                   {"switchboard", 11},
                                   {"test", 4},
                                   [](const char *) -> const void * { return nullptr; }};
    const sb_plugin *table = nullptr;
    if (entry(&host, 1, 1, &table) != SB_OK || !table) {
        why = "entry failed";
        return nullptr;
    }
    Sinks init_error;
    sb_error_sink err{sizeof err, &init_error, &Sinks::error};
    if (table->init && table->init(&host, &err) != SB_OK) {
        why = "init failed: " + init_error.text;
        return nullptr;
    }
    return table;
}

// build, parse and a whole stream through the table; every output recorded.
// extra goes into the request body (the hostile plugin's instructions).
Records drive(const sb_plugin &plugin, const Inputs &in, const std::string &extra = {}) {
    Records out;
    const std::string model = str(plugin.descriptor->default_model).empty()
                                  ? std::string("some-model")
                                  : str(plugin.descriptor->default_model);
    const std::string key = "sk-sandbox-dummy";  // not a secret: the translators need one
    const std::string base = "http://127.0.0.1:9/v1";
    sb_provider_config config{sizeof(sb_provider_config), view(key), view(base), view(model)};
    const std::string body = R"({"model":")" + model +
                             R"(","messages":[{"role":"user","content":"Hello"}])" + extra + "}";
    const std::string stream_body = body.substr(0, body.size() - 1) + R"(,"stream":true})";
    Sinks s;
    sb_error_sink err{sizeof err, &s, &Sinks::error};

    sb_chat_request request{sizeof request, view(body), 0};
    sb_http_request_builder builder{
        sizeof builder, &s, &Sinks::set_method, &Sinks::set_url, &Sinks::add_header, &Sinks::write};
    sb_status st = plugin.build_chat_request(&config, &request, &builder, &err);
    out.emplace_back("build", std::to_string(st) + " " + s.text);

    s.clear();
    sb_usage_sink usage{sizeof usage, &s, &Sinks::usage};
    sb_header content_type{{"content-type", 12}, {"application/json", 16}};
    sb_http_response response{sizeof response,        200,   &content_type, 1,
                              view(in.response_body), &usage};
    sb_sink sink{&s, &Sinks::write};
    st = plugin.parse_chat_response(&config, &response, &sink, &err);
    out.emplace_back("parse", std::to_string(st) + " " + s.text);

    if (!plugin.stream_open) return out;
    s.clear();
    sb_chat_request stream_request{sizeof stream_request, view(stream_body), 1};
    sb_stream *stream = nullptr;
    st = plugin.stream_open(&config, &stream_request, &stream, &err);
    out.emplace_back("stream_open", std::to_string(st) + " " + s.text);
    if (st != SB_OK) return out;
    sb_chunk_sink chunks{sizeof chunks, &s, &Sinks::emit, &Sinks::usage};
    for (const auto &payload : in.events) {
        s.clear();
        const std::string name = event_name(payload);
        sb_stream_event event{sizeof event, view(name), view(payload)};
        st = plugin.stream_event(stream, &event, &chunks, &err);
        out.emplace_back("stream_event", std::to_string(st) + " " + s.text);
        if (st != SB_OK) break;
    }
    s.clear();
    st = plugin.stream_close(stream, &chunks, &err);
    out.emplace_back("stream_close", std::to_string(st) + " " + s.text);
    return out;
}

// Translations stamp "created" with the current second; the two runs being
// compared may straddle one.
std::string without_timestamps(std::string text) {
    static const std::regex created(R"("created": ?[0-9]+)");
    return std::regex_replace(text, created, R"("created":0)");
}

// --------------------------------------------- the confined child's side

void send_record(const std::string &name, const std::string &value) {
    std::string frame = name + " " + std::to_string(value.size()) + "\n" + value;
    for (size_t done = 0; done < frame.size();) {
        ssize_t n = ::write(kChannel, frame.data() + done, frame.size() - done);
        if (n <= 0) ::_exit(3);
        done += static_cast<size_t>(n);
    }
}

// argv: --confined-child <plugin> <id> <memory MiB> <cpu s> <extra body>
int confined_child(int argc, char **argv) {
    if (argc < 7) return 64;
    const std::string plugin = argv[2], id = argv[3], extra = argv[6];
    const Inputs in = inputs_for(id);  // read while files may still be opened
    sb::core::sandbox::Limits limits;
    limits.memory_bytes = std::stoull(argv[4]) << 20;
    limits.cpu_seconds = static_cast<std::uint32_t>(std::stoul(argv[5]));
    void *handle = nullptr;
    try {
        handle = sb::core::sandbox::load_confined(plugin, kChannel, limits);
    } catch (const std::exception &e) {
        send_record("load_error", e.what());
        ::_exit(2);
    }
    send_record("loaded", "");
    char go;
    if (::read(kChannel, &go, 1) != 1) ::_exit(4);  // the test looks at us meanwhile
    std::string why;
    const sb_plugin *table = enter(handle, why);
    if (!table) {
        send_record("enter_error", why);
        ::_exit(5);
    }
    for (const auto &[name, value] : drive(*table, in, extra)) send_record(name, value);
    send_record("done", "");
    ::_exit(0);
}

// ------------------------------------------------------- the test's side

struct Run {
    Records records;
    int status = -1;  // as waitpid reports it
    bool exited_cleanly() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
    std::string first(const std::string &name) const {
        for (const auto &[n, v] : records)
            if (n == name) return v;
        return "<missing " + name + ">";
    }
    bool has(const std::string &name) const { return first(name).rfind("<missing", 0) != 0; }
};

// What the test sees of a confined child once it has loaded its plugin.
struct Inspection {
    std::vector<std::string> fds;  // "<n> -> <target>"
    std::string environ_block;
    std::string status;
};

std::string process_status_line(const std::string &status, const std::string &key) {
    std::istringstream in(status);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) {
            auto v = line.substr(key.size() + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return {};
}

Inspection inspect(pid_t pid) {
    Inspection seen;
    const fs::path proc = "/proc/" + std::to_string(pid);
    for (const auto &entry : fs::directory_iterator(proc / "fd")) {
        std::error_code ec;
        seen.fds.push_back(entry.path().filename().string() + " -> " +
                           fs::read_symlink(entry.path(), ec).string());
    }
    std::sort(seen.fds.begin(), seen.fds.end());
    seen.environ_block = read_text_file(proc / "environ");
    seen.status = read_text_file(proc / "status");
    return seen;
}

bool parse_frame(std::string &buffer, Records &out) {
    auto nl = buffer.find('\n');
    if (nl == std::string::npos) return false;
    auto space = buffer.find(' ');
    if (space == std::string::npos || space > nl) throw std::runtime_error("bad frame");
    size_t len = std::stoul(buffer.substr(space + 1, nl - space - 1));
    if (buffer.size() < nl + 1 + len) return false;
    out.emplace_back(buffer.substr(0, space), buffer.substr(nl + 1, len));
    buffer.erase(0, nl + 1 + len);
    return true;
}

// Starts a confined child on plugin and collects its records until it ends
// (at most 30 s). inspection, when given, is filled once it has loaded.
Run run_confined(const fs::path &plugin, const std::string &id, const std::string &extra = {},
                 std::uint64_t memory_mib = 512, std::uint32_t cpu_seconds = 600,
                 Inspection *inspection = nullptr) {
    int sv[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    const std::string memory = std::to_string(memory_mib), cpu = std::to_string(cpu_seconds);
    const std::string plugin_path = plugin.string();
    std::vector<const char *> args = {self.c_str(),   kChildFlag,  plugin_path.c_str(), id.c_str(),
                                      memory.c_str(), cpu.c_str(), extra.c_str(),       nullptr};
    const char *env[] = {kCanary, "PATH=/usr/bin:/bin", nullptr};
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(sv[1], kChannel);  // dup2 clears close-on-exec on the copy
        ::execve(self.c_str(), const_cast<char **>(args.data()), const_cast<char **>(env));
        ::_exit(127);
    }
    ::close(sv[1]);
    Run run;
    std::string buffer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{sv[0], POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            BOOST_ERROR("the confined child did not finish within 30 s");
            ::kill(pid, SIGKILL);
            break;
        }
        char chunk[8192];
        ssize_t n = ::read(sv[0], chunk, sizeof chunk);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
        while (parse_frame(buffer, run.records)) {
            if (run.records.back().first != "loaded") continue;
            if (inspection) *inspection = inspect(pid);
            BOOST_REQUIRE(::write(sv[0], "g", 1) == 1);
        }
    }
    ::close(sv[0]);
    ::waitpid(pid, &run.status, 0);
    return run;
}

std::vector<fs::path> built_in_tree_plugins() {
    std::vector<fs::path> found;
    for (const auto &entry : fs::directory_iterator(SB_PLUGINS_DIR)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("switchboard-", 0) == 0 && entry.path().extension() == ".so")
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::string plugin_id(const fs::path &plugin) {
    auto stem = plugin.stem().string();
    return stem.substr(std::strlen("switchboard-"));
}

std::string header(const std::string &built_request, const std::string &name) {
    auto at = built_request.find("\n" + name + ": ");
    if (at == std::string::npos) return {};
    at += name.size() + 3;
    return built_request.substr(at, built_request.find('\n', at) - at);
}

const fs::path kHostile = SB_HOSTILE_PLUGIN;

void remove_traces() {
    fs::remove(kHostile.parent_path() / "hostile-was-here");
    fs::remove(kHostile.parent_path() / "hostile-spawned");
}

bool traces_left() {
    return fs::exists(kHostile.parent_path() / "hostile-was-here") ||
           fs::exists(kHostile.parent_path() / "hostile-spawned");
}

}  // namespace

int main(int argc, char **argv) {
    if (argc > 1 && std::strcmp(argv[1], kChildFlag) == 0) return confined_child(argc, argv);
    return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}

BOOST_AUTO_TEST_SUITE(in_tree_plugins)

BOOST_AUTO_TEST_CASE(every_plugin_translates_confined_exactly_as_unconfined) {
    const auto plugins = built_in_tree_plugins();
    BOOST_TEST_REQUIRE(plugins.size() >= 7u);
    for (const auto &plugin : plugins) {
        const std::string id = plugin_id(plugin);
        BOOST_TEST_CONTEXT(id) {
            Run confined = run_confined(plugin, id);
            BOOST_TEST_REQUIRE(confined.exited_cleanly(), confined.first("load_error"));
            BOOST_TEST_REQUIRE(confined.has("done"));

            void *handle = ::dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
            BOOST_TEST_REQUIRE(handle != nullptr);
            std::string why;
            const sb_plugin *table = enter(handle, why);
            BOOST_TEST_REQUIRE(table != nullptr, why);
            Records expected = drive(*table, inputs_for(id));
            Records got(confined.records.begin() + 1,
                        confined.records.end() - 1);  // loaded .. done
            BOOST_TEST(got.size() == expected.size());
            for (size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
                BOOST_TEST(got[i].first == expected[i].first);
                BOOST_TEST(
                    without_timestamps(got[i].second) == without_timestamps(expected[i].second),
                    got[i].first << " #" << i);
            }
            // The calls produced something real, not the same refusal twice.
            BOOST_TEST(expected.at(0).second.rfind("0 POST http://127.0.0.1:9", 0) == 0u,
                       expected.at(0).second.substr(0, 300));
            const std::string &parsed = expected.at(1).second;
            BOOST_TEST((parsed.rfind("0 ", 0) == 0u &&
                        parsed.find(R"("chat.completion")") != std::string::npos),
                       parsed.substr(0, 300));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hostile_plugin)

BOOST_AUTO_TEST_CASE(unconfined_it_really_does_what_it_tries) {
    // The control: without the sandbox the constructor's attempts succeed
    // (the file appears, the spawned shell touches its file), so the
    // refusals below are the sandbox's doing.
    remove_traces();
    pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dlopen(kHostile.c_str(), RTLD_NOW | RTLD_LOCAL);  // its constructor execs a shell
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    for (int i = 0; i < 100 && !fs::exists(kHostile.parent_path() / "hostile-spawned"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    BOOST_TEST(fs::exists(kHostile.parent_path() / "hostile-was-here"));
    BOOST_TEST(fs::exists(kHostile.parent_path() / "hostile-spawned"));
    remove_traces();
}

BOOST_AUTO_TEST_CASE(every_attempt_is_refused_from_constructor_and_calls) {
    remove_traces();
    TrapListener listener;
    const std::string extra = R"(,"hostile_port":)" + std::to_string(listener.port());
    Inspection seen;
    Run run = run_confined(kHostile, "hostile", extra, 512, 600, &seen);
    BOOST_TEST_REQUIRE(run.exited_cleanly(), run.first("load_error") << run.first("enter_error"));
    BOOST_TEST_REQUIRE(run.has("done"));

    // What the process was left with: the channel and /dev/null, an empty
    // environment (the canary wiped from memory too), both filters, no
    // new privileges.
    BOOST_TEST(seen.fds.size() == 4u);
    for (const auto &fd : seen.fds)
        BOOST_TEST(
            (fd.rfind("3 -> socket:", 0) == 0 || fd.find(" -> /dev/null") != std::string::npos),
            fd);
    BOOST_TEST(seen.environ_block.find("sk-canary") == std::string::npos);
    BOOST_TEST(seen.environ_block.find_first_not_of('\0') == std::string::npos);
    BOOST_TEST(process_status_line(seen.status, "Seccomp") == "2");
    BOOST_TEST(process_status_line(seen.status, "Seccomp_filters") == "2");
    BOOST_TEST(process_status_line(seen.status, "NoNewPrivs") == "1");

    const std::string built = run.first("build");
    BOOST_TEST_REQUIRE(built.rfind("0 POST ", 0) == 0u, built);
    check_refused("constructor", header(built, "x-hostile-ctor"), false);
    check_refused("build_chat_request", header(built, "x-hostile-call"), true);
    check_refused("parse_chat_response", bracketed(run.first("parse"), "call"), true);
    BOOST_TEST(run.first("stream_open").rfind("0 ", 0) == 0u);
    const std::string event = run.first("stream_event");
    BOOST_TEST_REQUIRE(!bracketed(event, "call").empty(), event);
    check_refused("stream_event", bracketed(event, "call"), true);

    BOOST_TEST(!listener.saw_connection());
    BOOST_TEST(!traces_left());
}

BOOST_AUTO_TEST_CASE(a_wild_write_kills_only_the_child) {
    Run run = run_confined(kHostile, "hostile", R"(,"hostile_action":"segv")");
    BOOST_TEST(run.has("loaded"));
    BOOST_TEST(!run.has("done"));
    BOOST_TEST_REQUIRE(WIFSIGNALED(run.status));
    BOOST_TEST(WTERMSIG(run.status) == SIGSEGV);
}

BOOST_AUTO_TEST_CASE(an_abort_kills_only_the_child) {
    Run run = run_confined(kHostile, "hostile", R"(,"hostile_action":"abort")");
    BOOST_TEST(run.has("loaded"));
    BOOST_TEST_REQUIRE(WIFSIGNALED(run.status));
    BOOST_TEST(WTERMSIG(run.status) == SIGABRT);
}

BOOST_AUTO_TEST_CASE(spinning_past_the_cpu_limit_ends_the_child) {
    const auto start = std::chrono::steady_clock::now();
    Run run = run_confined(kHostile, "hostile", R"(,"hostile_action":"spin")", 512, 1);
    BOOST_TEST_REQUIRE(WIFSIGNALED(run.status));
    BOOST_TEST((WTERMSIG(run.status) == SIGXCPU || WTERMSIG(run.status) == SIGKILL));
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(20)));
}

BOOST_AUTO_TEST_CASE(allocation_stops_at_the_memory_limit) {
    Run run = run_confined(kHostile, "hostile", R"(,"hostile_action":"hog_memory")", 256, 600);
    BOOST_TEST_REQUIRE(run.exited_cleanly(), run.first("load_error"));
    auto r = parse_report(header(run.first("build"), "x-hostile-call"));
    BOOST_TEST_REQUIRE(r.count("hog_mib"));
    BOOST_TEST(r.at("hog_mib") > 0);
    BOOST_TEST(r.at("hog_mib") < 256);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(load)

BOOST_AUTO_TEST_CASE(a_plugin_that_cannot_be_loaded_is_reported_not_served) {
    Run run = run_confined(fs::path(SB_TEST_PLUGINS_DIR) / "not_a_library.so", "openai");
    BOOST_TEST(WIFEXITED(run.status));
    BOOST_TEST(WEXITSTATUS(run.status) == 2);
    BOOST_TEST(run.first("load_error").find("cannot load the plugin") != std::string::npos,
               run.first("load_error"));
}

BOOST_AUTO_TEST_CASE(a_relative_path_is_loaded_from_the_working_directory) {
    const auto openai = fs::path(SB_PLUGINS_DIR) / "switchboard-openai.so";
    Run run = run_confined(fs::relative(openai, fs::current_path()), "openai");
    BOOST_TEST(run.exited_cleanly(), run.first("load_error"));
    BOOST_TEST(run.has("done"));
}

BOOST_AUTO_TEST_SUITE_END()
