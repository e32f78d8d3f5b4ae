// The Debian package, as an operator meets it: `cpack -G DEB` in this build
// tree, the payload unpacked with `dpkg-deb -x` into a scratch root (the test
// never installs anything on the machine), then: the files and their modes,
// the control data and maintainer scripts (run against stub commands), the
// unit's hardening, the environment file, the daemon started from the scratch
// root exactly as the unit's ExecStart starts it with the environment file's
// variables, /test run against a loopback mock vendor, and
// find_package(SwitchboardSDK) from the packaged CMake package.
#define BOOST_TEST_MODULE switchboard_package
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "integration/integration_fixture.hpp"
#include "support/child_command.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

const fs::path build_dir = SB_BUILD_DIR;
const std::string unit_path = "lib/systemd/system/switchboard.service";
const std::string env_path = "etc/switchboard/switchboard.env";
const std::string plugins_path = "usr/lib/switchboard/plugins";
const std::string state_path = "var/lib/switchboard";

bool found(const std::string &program) {
    return !program.empty() && program.find("NOTFOUND") == std::string::npos;
}

std::vector<std::string> split_words(const std::string &text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// One file of the package as `dpkg-deb -c` lists it.
struct Entry {
    std::string mode;   // "-rw-r-----"
    std::string owner;  // "root/root"
};

// The package built and unpacked once for every case of this module.
struct Package {
    std::unique_ptr<TempDir> tmp;
    fs::path deb;
    fs::path root;                         // the payload (dpkg-deb -x)
    fs::path control;                      // control files (dpkg-deb -e)
    std::map<std::string, Entry> entries;  // "usr/bin/switchboard" -> mode, owner
    std::string failure;                   // empty on success

    const Entry *entry(const std::string &path) const {
        auto it = entries.find(path);
        return it == entries.end() ? nullptr : &it->second;
    }
};

Package build_package() {
    Package p;
    p.tmp = std::make_unique<TempDir>("sb-package");
    const fs::path out = p.tmp->subdir("out"), logs = p.tmp->subdir("logs");
    // -B keeps the package and cpack's staging tree out of the build dir.
    CommandResult cpack =
        run_command({SB_CPACK_COMMAND, "-G", "DEB", "--config",
                     (build_dir / "CPackConfig.cmake").string(), "-B", out.string()},
                    {}, logs / "cpack.log", std::chrono::seconds(400));
    if (cpack.exit_code != 0) {
        p.failure = "cpack -G DEB failed (exit " + std::to_string(cpack.exit_code) +
                    (cpack.timed_out ? ", timed out" : "") + "):\n" + tail_of(cpack.output);
        return p;
    }
    for (const auto &e : fs::directory_iterator(out))
        if (e.path().extension() == ".deb") p.deb = e.path();
    if (p.deb.empty()) {
        p.failure = "cpack made no .deb in " + out.string() + ":\n" + tail_of(cpack.output);
        return p;
    }
    p.root = p.tmp->path() / "root";
    p.control = p.tmp->path() / "control";
    for (const auto &[args, name] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"-x", p.deb.string(), p.root.string()}, "extract"},
             {{"-e", p.deb.string(), p.control.string()}, "control"},
             {{"-c", p.deb.string()}, "contents"}}) {
        std::vector<std::string> argv{SB_DPKG_DEB};
        argv.insert(argv.end(), args.begin(), args.end());
        CommandResult r = run_command(argv, {}, logs / (name + ".log"), std::chrono::seconds(60));
        if (r.exit_code != 0) {
            p.failure = "dpkg-deb " + args[0] + " failed:\n" + tail_of(r.output);
            return p;
        }
        if (name != "contents") continue;
        // "-rw-r----- root/root  2765 2026-12-07 18:00 ./etc/switchboard/switchboard.env"
        for (const std::string &line : lines_of(r.output)) {
            auto w = split_words(line);
            if (w.size() < 6 || w[5].rfind("./", 0) != 0) continue;
            std::string path = w[5].substr(2);
            if (!path.empty() && path.back() == '/') path.pop_back();
            p.entries[path] = Entry{w[0], w[1]};
        }
    }
    return p;
}

const Package &package() {
    static const Package p = build_package();
    BOOST_TEST_REQUIRE(p.failure.empty(), p.failure);
    return p;
}

// The unit's directives: key -> every value it is given, in order.
using Directives = std::map<std::string, std::vector<std::string>>;

Directives parse_unit(const std::string &text) {
    Directives d;
    for (std::string line : lines_of(text)) {
        if (line.empty() || line[0] == '#' || line[0] == ';' || line[0] == '[') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        d[line.substr(0, eq)].push_back(line.substr(eq + 1));
    }
    return d;
}

// NAME=value lines as systemd's EnvironmentFile= reads them (comments and
// blank lines skipped, one pair of surrounding quotes removed).
Env parse_env_file(const std::string &text) {
    Env env;
    for (const std::string &raw : lines_of(text)) {
        std::string line = raw.substr(0, raw.find_last_not_of(" \t") + 1);
        auto start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#' || line[start] == ';') continue;
        auto eq = line.find('=', start);
        if (eq == std::string::npos) continue;
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
            value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        env[line.substr(start, eq - start)] = value;
    }
    return env;
}

// ExecStart= as systemd runs it: words split on blanks, $NAME and ${NAME}
// words replaced by the variable's words (none when unset).
std::vector<std::string> exec_start_argv(const std::string &exec_start, const Env &env) {
    std::vector<std::string> argv;
    for (const std::string &w : split_words(exec_start)) {
        if (w.size() > 1 && w[0] == '$') {
            std::string name = w[1] == '{' ? w.substr(2, w.size() - 3) : w.substr(1);
            auto it = env.find(name);
            if (it != env.end())
                for (const std::string &v : split_words(it->second)) argv.push_back(v);
            continue;
        }
        argv.push_back(w);
    }
    return argv;
}

// The in-tree plugins this build made (switchboard-<id>.so).
std::vector<std::string> built_plugins() {
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(SB_PLUGINS_DIR))
        if (e.path().extension() == ".so") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// "switchboard-openai.so" -> "OPENAI"
std::string plugin_env_prefix(const std::string &file) {
    std::string id = file.substr(std::string("switchboard-").size());
    id = id.substr(0, id.size() - 3);
    for (char &c : id)
        c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return id;
}

void write_file(const fs::path &path, const std::string &text, fs::perms perms = fs::perms(0755)) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    fs::permissions(path, perms);
}

// A maintainer script run with PATH holding only stub commands that log
// their arguments (one line per call) and succeed, except that `getent` finds
// no user and `dpkg-statoverride --list` no override: a first install.
struct ScriptRun {
    int exit_code = -1;
    std::string calls;
    std::string output;
};

ScriptRun run_script(const Package &p, const std::string &script,
                     const std::vector<std::string> &args, const std::vector<std::string> &stubs) {
    static int runs = 0;
    const fs::path dir = p.tmp->subdir("script-" + std::to_string(++runs));
    const fs::path bin = dir / "bin", calls = dir / "calls.log";
    for (const std::string &name : stubs)
        write_file(bin / name, "#!/bin/sh\necho \"${0##*/} $*\" >> '" + calls.string() + "'\n" +
                                   (name == "getent"              ? "exit 2\n"
                                    : name == "dpkg-statoverride" ? "exit 1\n"
                                                                  : "exit 0\n"));
    std::vector<std::string> argv{"/bin/sh", (p.control / script).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r =
        run_command(argv, {{"PATH", bin.string()}}, dir / "output.log", std::chrono::seconds(30));
    return {r.exit_code, read_text_file(calls), r.output};
}

const std::vector<std::string> all_stubs{
    "adduser", "useradd",           "getent",    "install", "chown",
    "chmod",   "dpkg-statoverride", "systemctl", "rm",      "rmdir"};

bool has_line_with(const std::string &text, const std::vector<std::string> &words) {
    for (const std::string &line : lines_of(text)) {
        auto got = split_words(line);
        if (std::all_of(words.begin(), words.end(), [&](const std::string &w) {
                return std::find(got.begin(), got.end(), w) != got.end();
            }))
            return true;
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(debian_package)

BOOST_AUTO_TEST_CASE(holds_the_daemon_plugins_sdk_unit_and_env_file, *utf::timeout(600)) {
    const Package &p = package();
    auto expect = [&](const std::string &path, const std::string &mode) {
        const Entry *e = p.entry(path);
        BOOST_TEST_REQUIRE(e != nullptr, "missing from the package: " << path);
        BOOST_TEST(e->mode == mode, path << " has mode " << e->mode);
        BOOST_TEST(e->owner == "root/root", path << " is owned by " << e->owner);
    };
    expect("usr/bin/switchboard", "-rwxr-xr-x");
    // Beside the daemon, which starts it from its own directory (--plugin-isolation process).
    expect("usr/bin/switchboard-plugin-helper", "-rwxr-xr-x");
    expect(unit_path, "-rw-r--r--");
    // 0640: the file will hold API keys; postinst gives it to group switchboard.
    expect(env_path, "-rw-r-----");
    expect("usr/include/switchboard/provider_abi.h", "-rw-r--r--");
    expect("usr/include/switchboard/provider.hpp", "-rw-r--r--");
    const auto plugins = built_plugins();
    BOOST_TEST_REQUIRE(!plugins.empty());
    for (const std::string &name : plugins) expect(plugins_path + "/" + name, "-rw-r--r--");

    std::set<std::string> sdk_config, in_bin, elsewhere;
    for (const auto &[path, entry] : p.entries) {
        if (path.find("cmake/SwitchboardSDK/SwitchboardSDKConfig.cmake") != std::string::npos)
            sdk_config.insert(path);
        if (path.rfind("usr/bin/", 0) == 0) in_bin.insert(path);
        if (path.rfind("usr/local", 0) == 0 || path.rfind("tmp", 0) == 0 ||
            path.rfind("home", 0) == 0)
            elsewhere.insert(path);
        if (path.rfind(plugins_path + "/", 0) == 0)
            BOOST_TEST((std::find(plugins.begin(), plugins.end(),
                                  path.substr(plugins_path.size() + 1)) != plugins.end()),
                       "not an in-tree plugin: " << path);
    }
    BOOST_TEST(sdk_config.size() == 1u,
               "SwitchboardSDKConfig.cmake in the package: " << sdk_config.size());
    BOOST_TEST((in_bin == std::set<std::string>{"usr/bin/switchboard", "usr/bin/switchboard-plugin-helper"}),
               "only the daemon and its plugin helper go to /usr/bin");
    BOOST_TEST(elsewhere.empty(), "files outside /usr, /lib and /etc: " << elsewhere.size());
    // The state dir is systemd's (StateDirectory=) and postinst's, never the payload's:
    // a remove must leave it behind and dpkg would delete a packaged one.
    BOOST_TEST(p.entry(state_path) == nullptr);
}

BOOST_AUTO_TEST_CASE(control_data_declares_dependencies_and_the_conffile, *utf::timeout(600)) {
    const Package &p = package();
    const std::string control = read_text_file(p.control / "control");
    for (const char *field :
         {"Package: switchboard\n", "Version: 0.1.0\n", "Maintainer: ", "Description: "})
        BOOST_TEST(control.find(field) != std::string::npos, "control lacks '" << field << "':\n"
                                                                               << control);
    std::smatch depends;
    BOOST_TEST_REQUIRE(std::regex_search(control, depends, std::regex("\nDepends: ([^\n]*)")),
                       control);
    for (const char *lib :
         {"libc6", "libstdc++6", "libssl3", "libboost-json1.81.0", "libboost-url1.81.0"})
        BOOST_TEST(depends[1].str().find(lib) != std::string::npos,
                   "Depends lacks " << lib << ": " << depends[1]);
    BOOST_TEST(read_text_file(p.control / "conffiles") == "/" + env_path + "\n");
    for (const char *script : {"postinst", "prerm", "postrm"}) {
        const fs::path file = p.control / script;
        BOOST_TEST_REQUIRE(fs::exists(file), script);
        const bool executable =
            (fs::status(file).permissions() & fs::perms::owner_exec) != fs::perms::none;
        BOOST_TEST(executable, script << " is not executable");
        CommandResult syntax = run_command({"/bin/sh", "-n", file.string()}, {},
                                           p.tmp->path() / "syntax.log", std::chrono::seconds(10));
        BOOST_TEST(syntax.exit_code == 0, script << ": " << syntax.output);
    }
}

BOOST_AUTO_TEST_CASE(postinst_creates_the_system_user_and_locks_the_env_file, *utf::timeout(600)) {
    const Package &p = package();
    ScriptRun first = run_script(p, "postinst", {"configure", ""}, all_stubs);
    BOOST_TEST_REQUIRE(first.exit_code == 0, first.output);
    BOOST_TEST(has_line_with(first.calls, {"adduser", "--system", "--group", "switchboard"}),
               first.calls);
    BOOST_TEST(has_line_with(first.calls, {"chown", "root:switchboard", "/" + env_path}),
               first.calls);
    BOOST_TEST(has_line_with(first.calls, {"chmod", "0640", "/" + env_path}), first.calls);
    if (!fs::exists("/" + state_path))
        BOOST_TEST(has_line_with(first.calls,
                                 {"install", "-o", "switchboard", "-m", "0700", "/" + state_path}),
                   first.calls);
    // Never enabled or started by the package: it needs a provider key first.
    BOOST_TEST(!has_line_with(first.calls, {"systemctl", "enable"}), first.calls);
    BOOST_TEST(!has_line_with(first.calls, {"systemctl", "start"}), first.calls);

    std::vector<std::string> no_adduser = all_stubs;
    no_adduser.erase(std::find(no_adduser.begin(), no_adduser.end(), "adduser"));
    ScriptRun fallback = run_script(p, "postinst", {"configure", ""}, no_adduser);
    BOOST_TEST_REQUIRE(fallback.exit_code == 0, fallback.output);
    BOOST_TEST(has_line_with(fallback.calls, {"useradd", "--system", "switchboard"}),
               fallback.calls);
}

BOOST_AUTO_TEST_CASE(remove_keeps_the_state_dir_and_purge_deletes_it, *utf::timeout(600)) {
    const Package &p = package();
    ScriptRun remove = run_script(p, "postrm", {"remove"}, all_stubs);
    BOOST_TEST_REQUIRE(remove.exit_code == 0, remove.output);
    BOOST_TEST(remove.calls.find("/" + state_path) == std::string::npos, remove.calls);
    ScriptRun purge = run_script(p, "postrm", {"purge"}, all_stubs);
    BOOST_TEST_REQUIRE(purge.exit_code == 0, purge.output);
    BOOST_TEST(has_line_with(purge.calls, {"rm", "-rf", "/" + state_path}), purge.calls);
    ScriptRun prerm = run_script(p, "prerm", {"remove"}, all_stubs);
    BOOST_TEST_REQUIRE(prerm.exit_code == 0, prerm.output);
    BOOST_TEST(has_line_with(prerm.calls, {"systemctl", "disable", "switchboard.service"}),
               prerm.calls);
}

BOOST_AUTO_TEST_CASE(unit_runs_as_its_own_user_with_the_hardening_options, *utf::timeout(600)) {
    const Package &p = package();
    const std::string text = read_text_file(p.root / unit_path);
    Directives d = parse_unit(text);
    const std::vector<std::pair<std::string, std::string>> wanted{
        {"User", "switchboard"},
        {"Group", "switchboard"},
        {"StateDirectory", "switchboard"},
        {"EnvironmentFile", "/" + env_path},
        {"NoNewPrivileges", "yes"},
        {"ProtectSystem", "strict"},
        {"ProtectHome", "yes"},
        {"PrivateTmp", "yes"},
        {"PrivateDevices", "yes"},
        {"ProtectKernelTunables", "yes"},
        {"ProtectKernelModules", "yes"},
        {"ProtectKernelLogs", "yes"},
        {"ProtectControlGroups", "yes"},
        {"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
        {"RestrictNamespaces", "yes"},
        {"LockPersonality", "yes"},
        {"MemoryDenyWriteExecute", "yes"},
        {"SystemCallArchitectures", "native"},
        {"CapabilityBoundingSet", ""},
    };
    for (const auto &[key, value] : wanted)
        BOOST_TEST((d[key] == std::vector<std::string>{value}),
                   key << "= should be '" << value << "'");
    BOOST_TEST_REQUIRE(d["ExecStart"].size() == 1u);
    auto argv = exec_start_argv(d["ExecStart"][0], {});
    BOOST_TEST_REQUIRE(!argv.empty());
    BOOST_TEST(argv[0] == "/usr/bin/switchboard");
    auto value_of = [&](const std::string &flag) {
        auto it = std::find(argv.begin(), argv.end(), flag);
        return it == argv.end() || it + 1 == argv.end() ? std::string("<missing>") : *(it + 1);
    };
    BOOST_TEST(value_of("--state-dir") == "/" + state_path);
    BOOST_TEST(value_of("--plugins-dir") == "/" + plugins_path);

    const std::string analyze = SB_SYSTEMD_ANALYZE;
    if (!found(analyze)) {
        BOOST_TEST_MESSAGE(
            "systemd-analyze not found: the unit was checked by its directives only");
        return;
    }
    // verify checks every directive and that the commands exist: a copy of the
    // unit whose ExecStart names the daemon in the scratch root.
    const fs::path copy = p.tmp->subdir("unit") / "switchboard.service";
    std::string rewritten = text;
    const std::string exec = "ExecStart=/usr/bin/switchboard";
    BOOST_TEST_REQUIRE(rewritten.find(exec) != std::string::npos);
    rewritten.replace(rewritten.find(exec), exec.size(),
                      "ExecStart=" + (p.root / "usr/bin/switchboard").string());
    write_file(copy, rewritten, fs::perms(0644));
    const Env no_color{{"SYSTEMD_LOG_COLOR", "0"}};
    CommandResult verify = run_command({analyze, "verify", "--man=no", copy.string()}, no_color,
                                       p.tmp->path() / "verify.log", std::chrono::seconds(60));
    BOOST_TEST(verify.exit_code == 0, verify.output);
    // An unknown key or a bad value is only a warning naming the file.
    BOOST_TEST(verify.output.find("switchboard.service:") == std::string::npos, verify.output);
    CommandResult security =
        run_command({analyze, "security", "--offline=yes", copy.string()}, no_color,
                    p.tmp->path() / "security.log", std::chrono::seconds(60));
    std::smatch exposure;
    BOOST_TEST_REQUIRE(
        std::regex_search(security.output, exposure,
                          std::regex("Overall exposure level for switchboard.service: ([0-9.]+)")),
        security.output);
    // systemd rates 0-10; under 4 is "OK" (a unit without any sandboxing scores 9.6).
    BOOST_TEST(std::stod(exposure[1].str()) < 4.0, security.output);
}

// MemoryDenyWriteExecute=yes refuses mappings that are writable and executable
// and making a mapping executable later: an executable stack or text
// relocations in the daemon or a plugin would make dlopen (or exec) fail.
BOOST_AUTO_TEST_CASE(binaries_need_no_writable_executable_memory, *utf::timeout(600)) {
    const Package &p = package();
    BOOST_TEST_REQUIRE(found(SB_READELF));
    std::vector<fs::path> files{p.root / "usr/bin/switchboard", p.root / "usr/bin/switchboard-plugin-helper"};
    for (const std::string &name : built_plugins()) files.push_back(p.root / plugins_path / name);
    for (const fs::path &file : files) {
        const std::string headers =
            capture_output(std::string(SB_READELF) + " -lW " + file.string() + " 2>&1");
        std::smatch stack;
        BOOST_TEST_REQUIRE(std::regex_search(headers, stack, std::regex("GNU_STACK[^\n]* (RWE?) ")),
                           file << ":\n"
                                << headers);
        BOOST_TEST(stack[1].str() == "RW", file << " has an executable stack");
        const std::string dynamic =
            capture_output(std::string(SB_READELF) + " -dW " + file.string() + " 2>&1");
        BOOST_TEST(dynamic.find("TEXTREL") == std::string::npos, file << " has text relocations");
    }
}

BOOST_AUTO_TEST_CASE(env_file_names_every_variable_the_daemon_reads_and_sets_none,
                     *utf::timeout(600)) {
    const Package &p = package();
    const std::string env_text = read_text_file(p.root / env_path);
    BOOST_TEST(parse_env_file(env_text).empty(),
               "a fresh install sets nothing (and holds no secret)");
    auto commented = [&](const std::string &name) {
        return std::regex_search(env_text, std::regex("(^|\n)#" + name + "="));
    };
    const std::string help = capture_output((p.root / "usr/bin/switchboard").string() + " --help");
    std::set<std::string> names;
    const std::regex name_re("\\b(SWITCHBOARD_[A-Z_]+[A-Z]|LLM_PROVIDER)\\b");
    for (auto it = std::sregex_iterator(help.begin(), help.end(), name_re);
         it != std::sregex_iterator(); ++it)
        names.insert((*it)[1].str());
    BOOST_TEST_REQUIRE(names.count("SWITCHBOARD_ADMIN_TOKEN") == 1u, "variables in --help:\n"
                                                                         << help);
    for (const std::string &name : names)
        BOOST_TEST(commented(name), name << " has no commented example");
    for (const std::string &plugin : built_plugins())
        for (const char *suffix : {"_API_KEY", "_MODEL", "_API_BASE"})
            BOOST_TEST(commented(plugin_env_prefix(plugin) + suffix),
                       plugin << ": no #" << plugin_env_prefix(plugin) << suffix << "=");
}

BOOST_AUTO_TEST_CASE(daemon_started_as_the_unit_does_passes_test_against_the_mock,
                     *utf::timeout(600)) {
    const Package &p = package();
    MockOpenAiUpstream mock;
    const std::string key = "sk-package-test-key-0123456789";
    // The operator's edit: uncomment and fill three lines of the shipped file.
    std::string edited = read_text_file(p.root / env_path);
    for (const auto &[from, to] : std::vector<std::pair<std::string, std::string>>{
             {"#OPENAI_API_KEY=sk-...", "OPENAI_API_KEY=" + key},
             {"#OPENAI_API_BASE=https://api.openai.com/v1", "OPENAI_API_BASE=" + mock.base_url()},
             {"#LLM_PROVIDER=openai", "LLM_PROVIDER=openai"}}) {
        auto at = edited.find(from);
        BOOST_TEST_REQUIRE(at != std::string::npos, "the shipped env file has no line " << from);
        edited.replace(at, from.size(), to);
    }
    const Env env = parse_env_file(edited);
    BOOST_TEST_REQUIRE(env.size() == 3u);

    Directives d = parse_unit(read_text_file(p.root / unit_path));
    BOOST_TEST_REQUIRE(d["ExecStart"].size() == 1u);
    // Every absolute path of ExecStart is taken inside the scratch root; the
    // state dir is made as StateDirectory= makes it.
    std::vector<std::string> argv = exec_start_argv(d["ExecStart"][0], env);
    for (std::string &arg : argv)
        if (!arg.empty() && arg[0] == '/') arg = (p.root / arg.substr(1)).string();
    const fs::path state_dir = p.root / state_path;
    fs::create_directories(state_dir);
    fs::permissions(state_dir, fs::perms::owner_all);

    DaemonOptions options;
    options.executable = argv.at(0);
    options.extra_args.assign(argv.begin() + 1, argv.end());
    options.env = env;
    DaemonProcess daemon(options);
    BOOST_TEST(daemon.log_text().find((p.root / plugins_path).string()) != std::string::npos,
               daemon.log_text());

    TestHttpClient client("127.0.0.1", daemon.port());
    TestHttpResponse r = client.post(test_path, "{}");
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    json::value doc = r.json();
    BOOST_TEST(is_true(doc, "ok"), r.body);
    BOOST_TEST(text(doc, "provider") == "openai", r.body);
    BOOST_TEST(text(doc, "reply") == "pong", r.body);
    auto sent = mock.last_chat_request();
    BOOST_TEST_REQUIRE(sent.has_value());
    BOOST_TEST(sent->header("Authorization") == "Bearer " + key);
    BOOST_TEST(daemon.log_text().find(key) == std::string::npos, "the key reached the log");
    BOOST_TEST(daemon.stop() == 0, daemon.log_text());
}

// Without --plugins-dir the installed daemon looks in ../lib/switchboard/plugins
// from its own directory: where the package puts the plugins.
BOOST_AUTO_TEST_CASE(installed_daemon_finds_the_packaged_plugins_by_default, *utf::timeout(600)) {
    const Package &p = package();
    TempDir state("sb-package-state");
    DaemonOptions options;
    options.executable = p.root / "usr/bin/switchboard";
    options.state_dir = state.path() / "state";
    DaemonProcess daemon(options);
    const std::string expected = fs::weakly_canonical(p.root / plugins_path).string();
    BOOST_TEST(daemon.log_text().find(expected) != std::string::npos, daemon.log_text());
    TestHttpResponse r = TestHttpClient("127.0.0.1", daemon.port()).get(providers_path);
    BOOST_TEST_REQUIRE(r.status == 200u, r.body);
    BOOST_TEST(r.body.find("\"openai\"") != std::string::npos, r.body);
    BOOST_TEST(daemon.stop() == 0, daemon.log_text());
}

BOOST_AUTO_TEST_CASE(sdk_cmake_package_is_found_in_the_packaged_files, *utf::timeout(600)) {
    const Package &p = package();
    const fs::path source = p.tmp->subdir("consumer"), build = p.tmp->path() / "consumer-build";
    write_file(source / "CMakeLists.txt",
               "cmake_minimum_required(VERSION 3.25)\n"
               "project(sdk_consumer CXX)\n"
               "find_package(SwitchboardSDK 0.1 REQUIRED)\n"
               "switchboard_add_plugin(consumer_probe probe.cpp)\n"
               "file(WRITE ${CMAKE_BINARY_DIR}/sdk_dir.txt \"${SwitchboardSDK_DIR}\")\n",
               fs::perms(0644));
    write_file(source / "probe.cpp",
               "#include <switchboard/provider.hpp>\n"
               "static_assert(SB_ABI_VERSION_MAJOR >= 1);\n"
               "extern \"C\" int consumer_probe() { return SB_ABI_VERSION_MAJOR; }\n",
               fs::perms(0644));
    const std::string cmake = SB_CMAKE_COMMAND;
    CommandResult conf =
        run_command({cmake, "-S", source.string(), "-B", build.string(), "-G", SB_CMAKE_GENERATOR,
                     "-DCMAKE_MAKE_PROGRAM=" SB_CMAKE_MAKE_PROGRAM,
                     "-DCMAKE_PREFIX_PATH=" + (p.root / "usr").string(),
                     "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"},
                    {}, p.tmp->path() / "consumer-configure.log", std::chrono::seconds(120));
    BOOST_TEST_REQUIRE(conf.exit_code == 0, tail_of(conf.output));
    const std::string sdk_dir = read_text_file(build / "sdk_dir.txt");
    BOOST_TEST(sdk_dir.rfind(p.root.string(), 0) == 0,
               "SwitchboardSDK found outside the scratch root: " << sdk_dir);
    CommandResult compiled =
        run_command({cmake, "--build", build.string()}, {}, p.tmp->path() / "consumer-build.log",
                    std::chrono::seconds(180));
    BOOST_TEST(compiled.exit_code == 0, tail_of(compiled.output));
}

BOOST_AUTO_TEST_SUITE_END()
