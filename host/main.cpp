// switchboard: loads provider plugins and serves the admin API and the
// OpenAI-compatible data plane.
#include "core/gateway/chat_gateway.hpp"
#include "core/config/config_resolver.hpp"
#include "core/config/config_store.hpp"
#include "core/config/routes_source.hpp"
#include "core/upstream/upstream_client.hpp"
#include "core/keys/local_key_store.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/store/redis_key_store.hpp"
#include "core/store/redis_store.hpp"
#include "core/store/store_settings.hpp"
#include "core/plugin/isolated_plugin.hpp"
#include "core/plugin/plugin_reloader.hpp"
#include "core/plugin/provider_registry.hpp"
#include "host/access_control.hpp"
#include "core/net/connection_slots.hpp"
#include "core/net/http_server.hpp"
#include "host/plugin_check.hpp"
#include "host/http_responses.hpp"
#include "host/router.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <sys/resource.h>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using sb::core::LogLevel;
using sb::core::log_event;

constexpr const char *kUsage = R"(Usage: switchboard [options]
       switchboard plugin check FILE

Loads every provider plugin in the plugins directory and serves the provider
admin API (/api/backdoor/llm/...) and an OpenAI-compatible API (/v1/...).

`plugin check FILE` loads one plugin in isolation, prints its descriptor and
ABI version, checks its exported symbols and runs self-checks; it exits
non-zero with the reason when the daemon would refuse the file or a
self-check fails.

Options:
  --listen HOST:PORT      address to listen on (default 127.0.0.1:5000;
                          port 0 picks a free port, logged at start-up)
  --plugins-dir DIR       directory of provider plugins (default: the installed
                          <prefix>/lib/switchboard/plugins, or ../plugins next
                          to the binary in a build tree)
  --state-dir DIR         where runtime config is persisted (default
                          $XDG_DATA_HOME/switchboard or ~/.local/share/switchboard)
  --config FILE           routes file (JSON): model aliases, each a weighted list
                          of deployments (provider, model, api_base, api_key_env,
                          weight) with fallbacks, and a price table. Reloaded on
                          SIGHUP and when it changes; a bad file refuses start-up,
                          a bad reload keeps the last good one. See docs/routing.md
  --store URL             where runtime config, virtual keys, spend and rate
                          counters live: "file" (the default: --state-dir) or
                          redis://HOST:PORT, shared by every daemon pointed at
                          it (env SWITCHBOARD_REDIS_URL; needs
                          SWITCHBOARD_SECRET_KEY). See docs/deployment.md
  --threads N             I/O threads (default: number of CPUs)
  --max-connections N     client connections served at once (default 10000,
                          lowered to what the open-file limit allows: two
                          descriptors per proxied stream); at the cap the
                          connection idle the longest is closed to make room,
                          and without an idle one new connections are closed
  --max-connections-per-client N  connections one client (an IPv4 address or an
                          IPv6 /64) may hold; more are closed at accept
                          (default: a quarter of --max-connections, loopback
                          clients exempt, as a local reverse proxy carries every
                          client from one address; given explicitly, it holds
                          for loopback clients too)
  --max-body-memory-mib N  memory the request bodies being read or handled may
                          hold together (default 256); a request past it gets
                          503 before its body is read
  --test-timeout-ms MS    deadline of POST /api/backdoor/llm/test (default 30000;
                          env SWITCHBOARD_TEST_TIMEOUT_MS)
  --connect-timeout-ms MS   connecting to a vendor, TLS included (default 10000)
  --first-byte-timeout-ms MS  waiting for a vendor's response head (default 60000)
  --idle-timeout-ms MS      longest silence while reading a response or between
                            stream chunks (default 60000)
  --upstream-timeout-ms MS  total deadline of one non-streaming chat (default 120000)
  --stream-timeout-ms MS    total deadline of one stream (default 1800000)
  --max-retries N           retries on connect errors, 429 and 5xx, with exponential
                            backoff and jitter, honouring Retry-After, only before
                            anything reached the client (default 2; 0 disables)
  --retry-budget-ms MS      most time spent waiting between retries (default 10000)
  --log-level LEVEL       debug, info, warn or error (default info)
  --log-format FORMAT     text (key=value, the default) or json (one JSON object
                          per line)
  --plugin-isolation MODE  where plugins run: in-process (the default: loaded
                          into the daemon) or process (each in its own helper
                          process, switchboard-plugin-helper beside the daemon:
                          empty environment, one socket, memory and CPU limits;
                          a plugin that crashes or hangs fails its calls with
                          502 and is restarted). The --config file's "plugins"
                          sets it per plugin file. See docs/architecture.md
  --plugin-call-timeout-ms MS  longest a helper process may take for one call
                          before it is killed and restarted (default 2000)
  --plugin-memory-mib N   address space of one helper process (default 512)
  --allow-no-plugins      start even when the plugins directory is missing or holds
                          no plugin (a loud warning instead of an error), e.g. to
                          drop plugins in later
  --help                  show this help and exit
  --version               show the version and exit

Environment:
  <ID>_API_KEY, <ID>_MODEL, <ID>_API_BASE   per-provider settings, names as each
                          plugin declares them (GET /api/backdoor/llm/providers)
  LLM_PROVIDER            the active provider at start-up
  SWITCHBOARD_ADMIN_TOKEN admin token (or the file <state-dir>/admin_token): when
                          set, GET/POST /api/backdoor/llm/config, /test and
                          /plugins/reload need "Authorization: Bearer <token>";
                          without it they answer loopback clients only, and the
                          daemon refuses to listen on a non-loopback address
  SWITCHBOARD_API_BASE_ALLOWLIST  comma-separated hosts ("*.example.com" for
                          subdomains) an api_base may point at; default: any
  SWITCHBOARD_ALLOW_LINK_LOCAL=1  allow link-local and cloud metadata addresses
                          (169.254.0.0/16, fe80::/10, metadata.google.internal...)
                          as API bases; refused by default
  SWITCHBOARD_FALLBACK     comma-separated provider/model chain tried when the
                          chosen provider fails (runtime config "fallback" wins)
  SWITCHBOARD_CLIENT_KEYS comma-separated keys (or the file <state-dir>/client_keys,
                          one per line): when set, /v1/* needs "Authorization:
                          Bearer <client key>"
  SWITCHBOARD_REDIS_URL   redis://HOST:PORT, as --store (the flag wins)
  SWITCHBOARD_SECRET_KEY  64 hex digits (openssl rand -hex 32), the same on every
                          daemon: encrypts vendor keys stored in Redis
                          (AES-256-GCM); required with a Redis store
  SWITCHBOARD_SECRET_KEY_FILE  a file holding that key instead
  SWITCHBOARD_METRICS_TOKEN  when set, GET /metrics needs "Authorization: Bearer
                          <token>"; without it /metrics is open (even with an
                          admin token)

Precedence: runtime config (POST /api/backdoor/llm/config) over environment
over plugin defaults; a "model" naming an alias of --config uses the alias's
deployments, each with its own settings (docs/routing.md). Logs go to stderr,
one line per event; keys never appear.
Signals: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the config file, the
routes file and the plugins. The plugins directory is also watched: adding,
replacing or removing a plugin file takes effect without a restart
(in-flight requests finish on the version they started with; a broken new
file leaves the old provider serving). POST /api/backdoor/llm/plugins/reload does the same.
)";

struct Options {
    std::string listen = "127.0.0.1:5000";
    fs::path plugins_dir;
    fs::path state_dir;
    fs::path routes_file;
    std::string store;  // --store: empty, "file" or redis://HOST:PORT
    unsigned threads = 0;
    std::optional<long> max_connections;
    std::optional<long> max_connections_per_client;
    long max_body_memory_mib = 256;
    std::optional<long> test_timeout_ms;
    long upstream_timeout_ms = 120'000;
    long stream_timeout_ms = 1'800'000;
    long connect_timeout_ms = 10'000;
    long first_byte_timeout_ms = 60'000;
    long idle_timeout_ms = 60'000;
    long max_retries = 2;
    long retry_budget_ms = 10'000;
    LogLevel log_level = LogLevel::info;
    sb::core::LogFormat log_format = sb::core::LogFormat::text;
    bool allow_no_plugins = false;
    sb::core::Isolation plugin_isolation = sb::core::Isolation::in_process;
    long plugin_call_timeout_ms = 2'000;
    long plugin_memory_mib = 512;
};

[[noreturn]] void usage_error(const std::string &message) {
    std::fprintf(stderr, "switchboard: %s\nTry 'switchboard --help'.\n", message.c_str());
    std::exit(2);
}

long parse_positive(const std::string &flag, const std::string &value) {
    long n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || ptr != value.data() + value.size() || n <= 0)
        usage_error(flag + " needs a positive number, got '" + value + "'");
    return n;
}

fs::path executable_dir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : exe.parent_path();
}

fs::path default_plugins_dir() {
    fs::path bin = executable_dir();
    fs::path installed = bin / ".." / SWITCHBOARD_INSTALL_PLUGINDIR_RELATIVE;
    if (fs::is_directory(installed)) return fs::weakly_canonical(installed);
    return fs::weakly_canonical(bin / ".." / "plugins");
}

fs::path default_state_dir() {
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return fs::path(xdg) / "switchboard";
    if (const char *home = std::getenv("HOME"); home && *home)
        return fs::path(home) / ".local" / "share" / "switchboard";
    return fs::current_path() / "switchboard-state";
}

Options parse_options(int argc, char **argv) {
    Options o;
    if (argc >= 2 && std::string_view(argv[1]) == "plugin") {
        if (argc != 4 || std::string_view(argv[2]) != "check") usage_error("usage: switchboard plugin check FILE");
        std::exit(sb::host::check_plugin(argv[3]));
    }
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) usage_error(a + " needs a value");
            return args[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (a == "--version") {
            std::printf("switchboard %s (provider ABI %d.%d)\n", SWITCHBOARD_VERSION, SB_ABI_VERSION_MAJOR,
                        SB_ABI_VERSION_MINOR);
            std::exit(0);
        } else if (a == "--listen") {
            o.listen = value();
        } else if (a == "--plugins-dir") {
            o.plugins_dir = value();
        } else if (a == "--state-dir") {
            o.state_dir = value();
        } else if (a == "--config") {
            o.routes_file = value();
        } else if (a == "--store") {
            o.store = value();
        } else if (a == "--threads") {
            o.threads = static_cast<unsigned>(parse_positive(a, value()));
        } else if (a == "--max-connections") {
            o.max_connections = parse_positive(a, value());
        } else if (a == "--max-connections-per-client") {
            o.max_connections_per_client = parse_positive(a, value());
        } else if (a == "--max-body-memory-mib") {
            o.max_body_memory_mib = parse_positive(a, value());
        } else if (a == "--test-timeout-ms") {
            o.test_timeout_ms = parse_positive(a, value());
        } else if (a == "--upstream-timeout-ms") {
            o.upstream_timeout_ms = parse_positive(a, value());
        } else if (a == "--stream-timeout-ms") {
            o.stream_timeout_ms = parse_positive(a, value());
        } else if (a == "--connect-timeout-ms") {
            o.connect_timeout_ms = parse_positive(a, value());
        } else if (a == "--first-byte-timeout-ms") {
            o.first_byte_timeout_ms = parse_positive(a, value());
        } else if (a == "--idle-timeout-ms") {
            o.idle_timeout_ms = parse_positive(a, value());
        } else if (a == "--max-retries") {
            std::string v = value();
            o.max_retries = v == "0" ? 0 : parse_positive(a, v);
        } else if (a == "--retry-budget-ms") {
            o.retry_budget_ms = parse_positive(a, value());
        } else if (a == "--log-level") {
            std::string l = value();
            if (l == "debug") o.log_level = LogLevel::debug;
            else if (l == "info") o.log_level = LogLevel::info;
            else if (l == "warn") o.log_level = LogLevel::warn;
            else if (l == "error") o.log_level = LogLevel::error;
            else usage_error("unknown log level '" + l + "'");
        } else if (a == "--log-format") {
            std::string f = value();
            if (f == "text") o.log_format = sb::core::LogFormat::text;
            else if (f == "json") o.log_format = sb::core::LogFormat::json;
            else usage_error("unknown log format '" + f + "' (text or json)");
        } else if (a == "--plugin-isolation") {
            std::string m = value();
            auto mode = sb::core::isolation_from_name(m);
            if (!mode) usage_error("unknown plugin isolation '" + m + "' (process or in-process)");
            o.plugin_isolation = *mode;
        } else if (a == "--plugin-call-timeout-ms") {
            o.plugin_call_timeout_ms = parse_positive(a, value());
        } else if (a == "--plugin-memory-mib") {
            o.plugin_memory_mib = parse_positive(a, value());
        } else if (a == "--allow-no-plugins") {
            o.allow_no_plugins = true;
        } else {
            usage_error("unknown option '" + a + "'");
        }
    }
    try {
        (void)sb::core::choose_store(o.store, sb::core::Environment::capture());
    } catch (const std::invalid_argument &e) {
        usage_error(e.what());
    }
    if (o.plugins_dir.empty()) o.plugins_dir = default_plugins_dir();
    if (o.state_dir.empty()) o.state_dir = default_state_dir();
    if (!o.test_timeout_ms) {
        if (const char *env = std::getenv("SWITCHBOARD_TEST_TIMEOUT_MS"); env && *env)
            o.test_timeout_ms = parse_positive("SWITCHBOARD_TEST_TIMEOUT_MS", env);
    }
    return o;
}

// Where plugins run: --plugin-isolation and the helper flags, and the
// --config file's "plugins", read before any plugin is loaded. nullopt
// (logged) when that file is refused.
std::optional<sb::core::IsolationSettings> isolation_settings(const Options &o) {
    sb::core::IsolationSettings s;
    s.default_mode = o.plugin_isolation;
    s.helper.executable = sb::core::default_helper_executable();
    s.helper.call_timeout = std::chrono::milliseconds(o.plugin_call_timeout_ms);
    s.helper.memory_bytes = static_cast<std::uint64_t>(o.plugin_memory_mib) << 20;
    if (o.routes_file.empty()) return s;
    try {
        s.by_file = sb::core::read_plugin_modes(o.routes_file);
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "routes_file_refused",
                  {{"reason", e.what()}, {"fix", "correct the file given to --config (docs/routing.md)"}});
        return std::nullopt;
    }
    return s;
}

// Raises the soft open-file limit to the hard one and returns how many
// client connections fit: each proxied request also holds an upstream
// connection, and a few descriptors go to listeners, plugins and logs.
std::size_t connection_capacity() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    const rlim_t usable = limit.rlim_cur > 128 ? limit.rlim_cur - 128 : 0;
    return static_cast<std::size_t>(std::max<rlim_t>(16, usable / 2));
}

asio::ip::tcp::endpoint parse_listen(const std::string &listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) usage_error("--listen needs HOST:PORT, got '" + listen + "'");
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host == "localhost") host = "127.0.0.1";
    std::string port_text = listen.substr(colon + 1);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535)
        usage_error("invalid port in --listen '" + listen + "'");
    boost::system::error_code addr_ec;
    auto address = asio::ip::make_address(host, addr_ec);
    if (addr_ec) usage_error("--listen needs a numeric IP address, got '" + host + "'");
    return {address, static_cast<unsigned short>(port)};
}

// Waits until no request is in flight, or at most `limit`.
asio::awaitable<void> drain_requests(const sb::core::HttpServer &server, std::chrono::milliseconds limit) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (server.requests_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(asio::use_awaitable);
    }
}

// SIGHUP reloads the config; SIGTERM/SIGINT stop accepting, let in-flight
// requests finish (up to a deadline), cut the rest, then stop the loop.
asio::awaitable<void> handle_signals(asio::signal_set &signals, sb::core::HttpServer &server,
                                     sb::core::ConfigStore &store, sb::core::RoutesSource &routes,
                                     sb::core::PluginReloader &reloader) {
    for (;;) {
        int sig = co_await signals.async_wait(asio::use_awaitable);
        if (sig == SIGHUP) {
            bool ok = store.reload();
            log_event(ok ? LogLevel::info : LogLevel::warn, "config_reloaded", {{"ok", ok ? "true" : "false"}});
            routes.reload("SIGHUP");
            reloader.reload("SIGHUP");
            continue;
        }
        log_event(LogLevel::info, "stopping", {{"signal", std::to_string(sig)}});
        server.stop();
        co_await drain_requests(server, std::chrono::seconds(10));
        // What is still in flight (a long stream) is cut as a client leaving
        // would cut it, so it unwinds and logs (request_cut) while everything
        // it uses lives.
        server.cancel_requests();
        co_await drain_requests(server, std::chrono::seconds(1));
        signals.get_executor().target<asio::io_context::executor_type>()->context().stop();
        co_return;
    }
}

}  // namespace

int main(int argc, char **argv) {
    Options options = parse_options(argc, argv);
    sb::core::set_log_level(options.log_level);
    sb::core::set_log_format(options.log_format);
    asio::ip::tcp::endpoint endpoint = parse_listen(options.listen);

    try {
        log_event(LogLevel::info, "starting",
                  {{"version", SWITCHBOARD_VERSION}, {"plugins_dir", options.plugins_dir.string()},
                   {"state_dir", options.state_dir.string()}});
        const auto isolation = isolation_settings(options);
        if (!isolation) return 2;
        sb::core::ProviderRegistry registry(sb::core::load_plugins_dir(options.plugins_dir, nullptr, *isolation));
        if (const auto loaded = registry.current(); loaded->providers.empty() && loaded->refused.empty()) {
            // Missing, unreadable or empty: the daemon would answer every call
            // with "no provider plugin is loaded".
            const std::string dir = options.plugins_dir.string();
            if (!options.allow_no_plugins) {
                log_event(LogLevel::error, "no_plugins",
                          {{"dir", dir},
                           {"fix", "put provider plugins (*.so) there, point --plugins-dir at the directory "
                                   "that holds them, or start with --allow-no-plugins to add them later"}});
                return 2;
            }
            log_event(LogLevel::warn, "no_plugins",
                      {{"dir", dir}, {"note", "--allow-no-plugins: serving no provider until plugins are added"}});
        }
        sb::core::Environment env = sb::core::Environment::capture();
        // Validated by parse_options.
        const std::optional<sb::core::RedisEndpoint> redis_at = sb::core::choose_store(options.store, env);
        std::unique_ptr<sb::core::RedisStore> redis;
        if (redis_at) {
            try {
                redis = std::make_unique<sb::core::RedisStore>(*redis_at, sb::core::load_secret_key(env));
            } catch (const std::runtime_error &e) {
                log_event(LogLevel::error, "store_refused", {{"store", redis_at->url()}, {"reason", e.what()}});
                return 2;
            }
        }
        auto store_owner = redis ? std::make_unique<sb::core::ConfigStore>(redis->config_backend())
                                 : std::make_unique<sb::core::ConfigStore>(options.state_dir);
        sb::core::ConfigStore &store = *store_owner;
        // Virtual keys (hashes and spend) and rate counters: in the state dir
        // and this process, or in Redis.
        std::unique_ptr<sb::core::KeyStore> key_store_owner;
        std::unique_ptr<sb::core::RateCounters> rate_counters_owner;
        if (redis) {
            key_store_owner = redis->key_store();
            rate_counters_owner = redis->rate_counters();
            redis->watch_config(store);
            redis->start_watching();
        } else {
            key_store_owner = std::make_unique<sb::core::LocalKeyStore>(options.state_dir);
            rate_counters_owner = std::make_unique<sb::core::LocalRateCounters>();
        }
        // The watcher's handlers use the stores: it stops before they go,
        // however this scope is left.
        struct StopWatching {
            sb::core::RedisStore *redis;
            ~StopWatching() {
                    }
        } stop_watching{redis.get()};
        sb::host::AccessControl access = sb::host::AccessControl::load(env, options.state_dir);
        if (!access.has_admin_token() && !sb::core::is_loopback(endpoint.address())) {
            log_event(LogLevel::error, "refusing_to_listen",
                      {{"addr", options.listen},
                       {"reason", "a non-loopback address needs an admin token (SWITCHBOARD_ADMIN_TOKEN or "
                                  "<state-dir>/admin_token)"}});
            return 2;
        }
        if (std::string wanted = env.get("LLM_PROVIDER"); !wanted.empty() && !registry.current()->find(wanted))
            log_event(LogLevel::warn, "unknown_llm_provider", {{"LLM_PROVIDER", wanted}});

        unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
        // An io_context per thread, each running its share of the connections
        // and the vendor connections their requests open: no strands, and no
        // scheduler shared (and contended) by the threads. The extra ones are
        // made first so they outlive io: a pending accept on io holds a
        // socket of theirs.
        std::vector<std::unique_ptr<asio::io_context>> more_io;
        for (unsigned i = 1; i < threads; ++i) more_io.push_back(std::make_unique<asio::io_context>(1));
        asio::io_context io(1);
        std::vector<asio::io_context *> workers{&io};
        for (auto &extra : more_io) workers.push_back(extra.get());
        sb::core::GatewayOptions gateway_options;
        gateway_options.api_base_policy = sb::core::ApiBasePolicy::from_environment(env);
        sb::core::UpstreamClientOptions upstream_options;
        upstream_options.address_allowed = [policy = gateway_options.api_base_policy](const asio::ip::address &a) {
            return policy.address_allowed(a);
        };
        sb::core::UpstreamClient upstream(upstream_options);
        using ms = std::chrono::milliseconds;
        for (auto *t : {&gateway_options.chat_timeouts, &gateway_options.stream_timeouts}) {
            t->connect = ms(options.connect_timeout_ms);
            t->first_byte = ms(options.first_byte_timeout_ms);
            t->read = ms(options.idle_timeout_ms);
        }
        gateway_options.chat_timeouts.total = ms(options.upstream_timeout_ms);
        gateway_options.stream_timeouts.total = ms(options.stream_timeout_ms);
        gateway_options.retry.max_retries = static_cast<int>(options.max_retries);
        gateway_options.retry.budget = ms(options.retry_budget_ms);
        if (options.test_timeout_ms) {
            auto t = std::chrono::milliseconds(*options.test_timeout_ms);
            gateway_options.test_timeouts.total = t;
            gateway_options.test_timeouts.read = t;
            gateway_options.test_timeouts.connect = std::min(gateway_options.test_timeouts.connect, t);
        }
        std::unique_ptr<sb::core::RoutesSource> routes;
        try {
            routes = options.routes_file.empty()
                         ? std::make_unique<sb::core::RoutesSource>()
                         : std::make_unique<sb::core::RoutesSource>(options.routes_file, env,
                                                                    gateway_options.api_base_policy);
        } catch (const std::exception &e) {
            log_event(LogLevel::error, "routes_file_refused",
                      {{"reason", e.what()}, {"fix", "correct the file given to --config (docs/routing.md)"}});
            return 2;
        }
        routes->watch(io.get_executor());
        sb::core::ChatGateway gateway(registry, store, env, upstream, gateway_options);
        if (!options.routes_file.empty()) gateway.use_routes(*routes);
        log_event(LogLevel::info, "active_provider", {{"provider", gateway.active_provider()}});
        sb::core::PluginReloader reloader(registry, options.plugins_dir);
        reloader.on_reload([&gateway](const sb::core::ReloadSummary &summary) { gateway.providers_changed(summary); });
        reloader.watch(io.get_executor());
        // The config file's "plugins" apply to reloads; a change reloads.
        reloader.set_isolation(*isolation);
        routes->on_reload([&reloader, settings = *isolation](const sb::core::RoutesFile &file) mutable {
            settings.by_file = file.plugin_modes();
            if (reloader.set_isolation(settings)) reloader.reload("config file plugins changed");
        });
        // Virtual keys: the stores chosen above (--store), prices shipped in
        // with the config file's "prices" laid over them at start and on
        // every reload.
        sb::core::KeyStore &key_store = *key_store_owner;
        sb::core::RateCounters &rate_counters = *rate_counters_owner;
        const sb::core::PriceTable shipped_prices = sb::core::PriceTable::shipped();
        sb::core::PriceTable prices = shipped_prices;
        routes->on_reload([&prices, &shipped_prices](const sb::core::RoutesFile &file) {
            try {
                prices.rebase(shipped_prices, file.prices());
            } catch (const std::exception &e) {
                log_event(LogLevel::error, "prices_refused",
                          {{"reason", e.what()}, {"effect", "the prices in use are kept"}});
            }
        });
        sb::core::KeyService keys(key_store, rate_counters, prices);
        sb::host::KeysApi keys_api(keys);
        sb::host::KeyGate key_gate(keys, gateway, access);
        sb::core::Metrics metrics;
        sb::host::Router router(gateway, registry, store, env, reloader, access, metrics);
        router.use_keys(keys_api, key_gate);
        sb::core::ServerLimits limits;
        const std::size_t capacity = connection_capacity();
        const std::size_t wanted = options.max_connections ? static_cast<std::size_t>(*options.max_connections) : 10'000;
        limits.max_connections = std::min(wanted, capacity);
        if (limits.max_connections < wanted)
            log_event(LogLevel::warn, "max_connections_lowered",
                      {{"wanted", std::to_string(wanted)}, {"allowed", std::to_string(limits.max_connections)},
                       {"reason", "open-file limit (ulimit -n)"}});
        limits.max_connections_per_client = options.max_connections_per_client
                                                ? static_cast<std::size_t>(*options.max_connections_per_client)
                                                : std::max<std::size_t>(1, limits.max_connections / 4);
        limits.limit_loopback_clients = options.max_connections_per_client.has_value();
        limits.max_body_memory = static_cast<std::size_t>(options.max_body_memory_mib) << 20;
        std::unique_ptr<sb::core::HttpServer> listening;
        try {
            listening = std::make_unique<sb::core::HttpServer>(
                io, endpoint, [&router](const asio::ip::address &peer) { return router.open_session(peer); },
                limits, workers, sb::host::refusal_response);
        } catch (const boost::system::system_error &e) {
            const bool in_use = e.code() == asio::error::address_in_use;
            log_event(LogLevel::error, "listen_failed",
                      {{"addr", options.listen},
                       {"reason", e.code().message()},
                       {"fix", in_use ? "another process listens there: stop it or pick another address with --listen"
                                      : "check the address given to --listen"}});
            return 2;
        }
        sb::core::HttpServer &server = *listening;
        metrics.count_plugin_helpers_with([] {
            std::vector<sb::core::Metrics::PluginHelperCounts> out;
            for (auto &[provider, counts] : sb::core::plugin_helper_counts())
                out.push_back({provider, counts.restarts, counts.failures});
            return out;
        });
        metrics.count_in_flight_with([&server] {
            return sb::core::Metrics::InFlight{server.requests_in_flight(), server.bodies_in_flight()};
        });
        server.start();
        auto bound = server.local_endpoint();
        log_event(LogLevel::info, "listening",
                  {{"addr", bound.address().to_string() + ":" + std::to_string(bound.port())},
                   {"providers", std::to_string(registry.current()->providers.size())},
                   {"refused", std::to_string(registry.current()->refused.size())},
                   {"max_connections", std::to_string(limits.max_connections)}});

        asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
        asio::co_spawn(io, handle_signals(signals, server, store, *routes, reloader), asio::detached);

        std::vector<std::thread> pool;
        for (auto &extra : more_io)
            pool.emplace_back([&extra] {
                auto busy = asio::make_work_guard(*extra);  // idle until its first connection
                extra->run();
            });
        io.run();  // until handle_signals stops it
        for (auto &extra : more_io) extra->stop();
        for (auto &t : pool) t.join();
        log_event(LogLevel::info, "stopped");
        return 0;
    } catch (const std::exception &e) {
        log_event(LogLevel::error, "fatal", {{"reason", e.what()}});
        return 1;
    }
}
