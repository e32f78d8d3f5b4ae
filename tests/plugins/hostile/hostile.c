/*
 * hostile: a test provider plugin that attacks whatever loads it, against
 * sdk/ only. From its constructor and from every translation call it tries to
 * read the environment (getenv, /proc/self/environ, the initial environment
 * block at the top of its stack), to open files (its own .so included) and
 * create one, to probe a path,
 * to connect a TCP socket, to start a process (fork, execve, posix_spawn) and
 * to map executable memory; on request it also writes through a wild pointer,
 * aborts, spins on the CPU or allocates until refused.
 *
 * Every outcome goes into its answers as text, "name=value;" pairs, where an
 * attempt's value is the errno it failed with, 0 when it SUCCEEDED:
 *   build_chat_request   header x-hostile-ctor (the constructor's report) and
 *                        header x-hostile-call (this call's)
 *   parse_chat_response  a chat.completion whose content is
 *                        "ctor[<report>] call[<report>]"
 *   stream_event         one chunk of the same content per event
 * The request body may carry "hostile_port": <port> (the TCP listener to try)
 * and "hostile_action": "segv" | "abort" | "spin" | "hog_memory".
 *
 * Only the sandbox tests load it, from a directory of its own: unconfined it
 * really does what it tries (including replacing the process with a shell).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <switchboard/provider_abi.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define REPORT_SIZE 1024

typedef struct report {
    char text[REPORT_SIZE];
    size_t len;
} report;

static void put(report *r, const char *name, long value) {
    int n = snprintf(r->text + r->len, sizeof r->text - r->len, "%s=%ld;", name, value);
    if (n > 0 && r->len + (size_t)n < sizeof r->text) r->len += (size_t)n;
}

/* errno of a call that returned fail, or 0 when it succeeded */
static long outcome(int failed) { return failed ? (errno ? errno : -1) : 0; }

static size_t count_in(const char *p, size_t len, const char *needle) {
    size_t n = 0, k = strlen(needle), i;
    for (i = 0; i + k <= len; ++i)
        if (memcmp(p + i, needle, k) == 0) ++n;
    return n;
}

/* The file this plugin was loaded from, or "" (dladdr makes no system call). */
static const char *own_file(void) {
    Dl_info info;
    if (!dladdr((void *)&own_file, &info) || !info.dli_fname) return "";
    return info.dli_fname;
}

/* Its directory. */
static void own_dir(char *dir, size_t size) {
    char *slash;
    snprintf(dir, size, "%s", own_file());
    slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
}

static void try_environment(report *r) {
    size_t vars = 0, keys = 0;
    char **e;
    char buf[65536];
    int fd;
    long got = 0;
    char here;
    const char *top;
    for (e = environ; e && *e; ++e) {
        ++vars;
        if (strstr(*e, "_API_KEY")) ++keys;
    }
    put(r, "env_vars", (long)vars);
    put(r, "env_keys", (long)keys);
    fd = open("/proc/self/environ", O_RDONLY);
    put(r, "proc_environ", outcome(fd < 0));
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) got = (long)count_in(buf, (size_t)n, "_API_KEY=");
        close(fd);
    }
    put(r, "proc_environ_keys", got);
    /* The kernel puts the environment strings just below the executable's
       name at the top of the stack: look there, down to this frame. */
    top = (const char *)getauxval(AT_EXECFN);
    if (top && top > &here) {
        size_t span = (size_t)(top - &here);
        if (span > 256 * 1024) span = 256 * 1024;
        put(r, "stack_keys", (long)count_in(top - span, span, "_API_KEY="));
    } else {
        put(r, "stack_keys", -1);
    }
}

static void try_files(report *r, const char *dir) {
    char path[4096 + 32];
    struct stat st;
    int fd = open("/etc/passwd", O_RDONLY);
    put(r, "open_passwd", outcome(fd < 0));
    if (fd >= 0) close(fd);
    /* the one path the loader was allowed to open, once */
    fd = open(own_file(), O_RDONLY | O_CLOEXEC);
    put(r, "open_self", outcome(fd < 0));
    if (fd >= 0) close(fd);
    /* the old open(2), which the C library no longer uses */
    fd = (int)syscall(SYS_open, "/etc/passwd", O_RDONLY);
    put(r, "sys_open", outcome(fd < 0));
    if (fd >= 0) close(fd);
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    put(r, "open_plugins_dir", outcome(fd < 0));
    if (fd >= 0) close(fd);
    snprintf(path, sizeof path, "%s/hostile-was-here", dir);
    fd = open(path, O_WRONLY | O_CREAT, 0600);
    put(r, "create_file", outcome(fd < 0));
    if (fd >= 0) close(fd);
    put(r, "stat_passwd", outcome(stat("/etc/passwd", &st) != 0));
}

static void try_network(report *r, int port) {
    struct sockaddr_in to;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    put(r, "socket", outcome(fd < 0));
    if (fd < 0) return;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    put(r, "connect", outcome(connect(fd, (struct sockaddr *)&to, sizeof to) != 0));
    close(fd);
}

static void try_processes(report *r, const char *dir) {
    char command[4200];
    char *argv[4];
    char *no_env[1] = {NULL};
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    put(r, "fork", outcome(pid < 0));
    if (pid > 0) waitpid(pid, NULL, 0);

    snprintf(command, sizeof command, "touch '%s/hostile-spawned'", dir);
    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = command;
    argv[3] = NULL;
    {
        int rc = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, no_env);
        put(r, "posix_spawn", rc);
        if (rc == 0) waitpid(pid, NULL, 0);
    }
    execve("/bin/sh", argv, no_env); /* returns only when refused */
    put(r, "execve", outcome(1));
}

static void try_code(report *r) {
    void *p =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    put(r, "mmap_exec", outcome(p == MAP_FAILED));
    if (p != MAP_FAILED) munmap(p, 4096);
}

static void attack(report *r, int port) {
    char dir[4096];
    own_dir(dir, sizeof dir);
    r->len = 0;
    r->text[0] = '\0';
    try_environment(r);
    try_files(r, dir);
    try_network(r, port);
    try_processes(r, dir);
    try_code(r);
}

static report ctor_report;

__attribute__((constructor)) static void attack_on_load(void) { attack(&ctor_report, 9); }

/* --------------------------------------------------------- on request */

static const char *find_value(sb_str body, const char *key) {
    /* the body is NUL-free JSON text; copy a bounded prefix to search it */
    static __thread char copy[8192];
    size_t n = body.len < sizeof copy - 1 ? body.len : sizeof copy - 1;
    const char *at;
    memcpy(copy, body.ptr, n);
    copy[n] = '\0';
    at = strstr(copy, key);
    if (!at) return NULL;
    at = strchr(at + strlen(key), ':');
    if (!at) return NULL;
    ++at;
    while (*at == ' ' || *at == '"') ++at;
    return at;
}

static long hog_memory(void) {
    const size_t chunk = 16u << 20;
    void *held[256];
    long mib = 0;
    int n = 0, i;
    while (n < 256) {
        char *p = malloc(chunk);
        if (!p) break;
        memset(p, 1, chunk);
        held[n++] = p;
        mib += 16;
    }
    for (i = 0; i < n; ++i) free(held[i]);
    return mib;
}

/* Read at run time, so the compiler cannot see that it points nowhere. */
static volatile size_t wild_address = 16;

static int run_request(sb_str body, report *r) {
    const char *port = find_value(body, "\"hostile_port\"");
    const char *action = find_value(body, "\"hostile_action\"");
    attack(r, port ? atoi(port) : 9);
    if (!action) return 0;
    if (strncmp(action, "segv", 4) == 0) *(volatile int *)wild_address = 1;
    if (strncmp(action, "abort", 5) == 0) abort();
    if (strncmp(action, "spin", 4) == 0)
        for (volatile unsigned long i = 0;; ++i) {
        }
    if (strncmp(action, "hog_memory", 10) == 0) put(r, "hog_mib", hog_memory());
    return 0;
}

/* ------------------------------------------------------------- the table */

static sb_str lit(const char *s) {
    sb_str v;
    v.ptr = s;
    v.len = strlen(s);
    return v;
}

static sb_str text(const report *r) {
    sb_str v;
    v.ptr = r->text;
    v.len = r->len;
    return v;
}

static sb_status build_chat_request(const sb_provider_config *config,
                                    const sb_chat_request *request,
                                    const sb_http_request_builder *out, const sb_error_sink *err) {
    report r;
    char url[2048];
    (void)err;
    run_request(request->body_json, &r);
    snprintf(url, sizeof url, "%.*s/chat/completions", (int)config->api_base.len,
             config->api_base.ptr);
    out->set_method(out->ctx, lit("POST"));
    out->set_url(out->ctx, lit(url));
    out->add_header(out->ctx, lit("Content-Type"), lit("application/json"));
    out->add_header(out->ctx, lit("x-hostile-ctor"), text(&ctor_report));
    out->add_header(out->ctx, lit("x-hostile-call"), text(&r));
    out->append_body(out->ctx, request->body_json.ptr, request->body_json.len);
    return SB_OK;
}

static int answer(char *buf, size_t size, const report *call, int chunk) {
    if (chunk)
        return snprintf(buf, size,
                        "{\"id\":\"hostile-1\",\"object\":\"chat.completion.chunk\",\"created\":0,"
                        "\"model\":\"hostile-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                        "\"ctor[%s] call[%s]\"},\"finish_reason\":null}]}",
                        ctor_report.text, call->text);
    return snprintf(buf, size,
                    "{\"id\":\"hostile-1\",\"object\":\"chat.completion\",\"created\":0,"
                    "\"model\":\"hostile-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                    "\"assistant\",\"content\":\"ctor[%s] call[%s]\"},\"finish_reason\":\"stop\"}],"
                    "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}",
                    ctor_report.text, call->text);
}

static void report_usage(const sb_usage_sink *sink) {
    sb_usage u;
    u.struct_size = sizeof u;
    u.prompt_tokens = 1;
    u.completion_tokens = 1;
    u.cached_tokens = SB_USAGE_UNKNOWN;
    u.reasoning_tokens = SB_USAGE_UNKNOWN;
    if (sink) sink->report(sink->ctx, &u);
}

static sb_status parse_chat_response(const sb_provider_config *config,
                                     const sb_http_response *response, const sb_sink *out,
                                     const sb_error_sink *err) {
    report r;
    char buf[3 * REPORT_SIZE];
    int n;
    (void)config;
    (void)err;
    run_request(response->body, &r);
    n = answer(buf, sizeof buf, &r, 0);
    if (n > 0 && (size_t)n < sizeof buf) out->write(out->ctx, buf, (size_t)n);
    if (SB_TABLE_HAS(response, sb_http_response, usage)) report_usage(response->usage);
    return SB_OK;
}

struct sb_stream {
    int port;
};

static sb_status stream_open(const sb_provider_config *config, const sb_chat_request *request,
                             sb_stream **stream, const sb_error_sink *err) {
    report r;
    (void)config;
    (void)err;
    run_request(request->body_json, &r);
    *stream = malloc(sizeof **stream);
    return *stream ? SB_OK : SB_ERR_INTERNAL;
}

static sb_status stream_event(sb_stream *stream, const sb_stream_event *event,
                              const sb_chunk_sink *out, const sb_error_sink *err) {
    report r;
    char buf[3 * REPORT_SIZE];
    int n;
    (void)stream;
    (void)err;
    if (event->data.len == 6 && memcmp(event->data.ptr, "[DONE]", 6) == 0) return SB_STREAM_END;
    run_request(event->data, &r);
    n = answer(buf, sizeof buf, &r, 1);
    if (n > 0 && (size_t)n < sizeof buf) out->emit(out->ctx, buf, (size_t)n);
    return SB_OK;
}

static sb_status stream_close(sb_stream *stream, const sb_chunk_sink *out,
                              const sb_error_sink *err) {
    static const char usage_chunk[] =
        "{\"id\":\"hostile-1\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":"
        "\"hostile-1\","
        "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}"
        "}";
    (void)err;
    free(stream);
    if (out) out->emit(out->ctx, usage_chunk, sizeof usage_chunk - 1);
    return SB_OK;
}

static const sb_provider_descriptor descriptor = {
    sizeof(sb_provider_descriptor),
    {"hostile", 7},
    {"Hostile (test)", 14},
    {"1.0.0", 5},
    {"hostile-1", 9},
    {"", 0},
    {"HOSTILE_API_KEY", 15},
    {"HOSTILE_MODEL", 13},
    {"HOSTILE_API_BASE", 16},
    SB_CAP_STREAMING,
    SB_FRAMING_SSE,
    NULL,
    0,
    {"", 0}, /* credential_header: none, so the host would hand it a key */
    {"", 0},
};

static const sb_plugin table = {
    sizeof(sb_plugin),
    SB_ABI_VERSION_MAJOR,
    SB_ABI_VERSION_MINOR,
    &descriptor,
    NULL, /* init */
    NULL, /* shutdown */
    build_chat_request,
    parse_chat_response,
    stream_open,
    stream_event,
    stream_close,
    NULL, /* build_models_request */
    NULL, /* parse_models_response */
    NULL, /* get_extension */
    NULL, /* self_check */
};

SB_PLUGIN_EXPORT sb_status switchboard_plugin_entry(const sb_host_info *host,
                                                    uint32_t abi_major_min, uint32_t abi_major_max,
                                                    const sb_plugin **plugin) {
    (void)host;
    if (abi_major_min > SB_ABI_VERSION_MAJOR || abi_major_max < SB_ABI_VERSION_MAJOR)
        return SB_ERR_VERSION;
    *plugin = &table;
    return SB_OK;
}
