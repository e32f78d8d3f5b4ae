#pragma once
// A plugin run in a helper process (--plugin-isolation process), seen by the
// rest of the host exactly like a loaded library: it offers an sb_plugin
// table (and descriptor and extension tables) whose functions forward each
// call over the helper protocol and replay the plugin's sink callbacks.
//
// The ABI's functions carry no context pointer, so each isolated plugin
// takes one of kMaxIsolatedPlugins static slots, each with its own set of
// forwarding functions. Calls are serialised per helper (one in flight);
// a helper that crashes, misses the call deadline or answers nonsense fails
// the calls in flight (SB_ERR_INTERNAL, a message naming what happened), is
// killed and reaped, and is started again on the next call once its backoff
// (100 ms, doubling to 30 s, reset by a call that succeeds) has passed.
// Streams opened by a helper that died fail on their next event.
#include "core/plugin/helper_process.hpp"
#include "core/plugin/helper_protocol.hpp"
#include "core/plugin/plugin_isolation.hpp"

#include <switchboard/provider_abi.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sb::core {

inline constexpr int kMaxIsolatedPlugins = 32;

class IsolatedPlugin {
public:
    // Starts the helper on plugin_file and reads what the plugin is. Throws
    // std::runtime_error with the reason (the helper's own when it reported
    // one), or when every slot is taken.
    IsolatedPlugin(std::filesystem::path plugin_file, HelperSettings settings);
    ~IsolatedPlugin();
    IsolatedPlugin(const IsolatedPlugin &) = delete;
    IsolatedPlugin &operator=(const IsolatedPlugin &) = delete;

    // The stand-in table; valid while this object lives.
    const sb_plugin &table() const noexcept { return table_; }
    // How many times the helper was started again after a failure.
    std::uint64_t restarts() const;

    // The forwarding functions of the slots call these.
    sb_status build_chat(const sb_provider_config *, const sb_chat_request *, const sb_http_request_builder *,
                         const sb_error_sink *);
    sb_status parse_chat(const sb_provider_config *, const sb_http_response *, const sb_sink *, const sb_error_sink *);
    sb_status stream_open(const sb_provider_config *, const sb_chat_request *, sb_stream **, const sb_error_sink *);
    sb_status stream_event(sb_stream *, const sb_stream_event *, const sb_chunk_sink *, const sb_error_sink *);
    sb_status stream_close(sb_stream *, const sb_chunk_sink *, const sb_error_sink *);
    sb_status build_models(const sb_provider_config *, const sb_http_request_builder *, const sb_error_sink *);
    sb_status parse_models(const sb_provider_config *, const sb_http_response *, const sb_model_sink *,
                           const sb_error_sink *);
    const void *extension(const char *id) const;
    sb_status self_check(const sb_error_sink *);
    sb_status build_native(const sb_provider_config *, const sb_native_request *, const sb_http_request_builder *,
                           const sb_error_sink *);
    sb_status build_embeddings(const sb_provider_config *, const sb_embeddings_request *,
                               const sb_http_request_builder *, const sb_error_sink *);
    sb_status parse_embeddings(const sb_provider_config *, const sb_http_response *, const sb_sink *,
                               const sb_error_sink *);

private:
    using Clock = HelperProcess::Clock;
    // Where one call's reply pieces go.
    struct Sinks {
        const sb_http_request_builder *builder = nullptr;
        const sb_sink *sink = nullptr;
        const sb_chunk_sink *chunks = nullptr;
        const sb_usage_sink *usage = nullptr;
        const sb_model_sink *models = nullptr;
        std::uint64_t *opened_stream = nullptr;
        std::uint64_t *generation = nullptr;  // receives the helper's generation
    };
    struct RemoteStream;

    // Starts a helper and reads its portrait; throws std::runtime_error.
    std::unique_ptr<HelperProcess> start_helper(helper_protocol::PluginPortrait &portrait) const;
    void build_tables();
    // Sends one call and replays its reply into sinks; a failure of the
    // helper is reported through err (when non-NULL) and returned as
    // SB_ERR_INTERNAL. generation, when non-zero, is the helper a stream
    // belongs to; call names the ABI function for messages.
    sb_status forward(std::string frame, const Sinks &sinks, const sb_error_sink *err, std::uint64_t generation,
                      const char *call);
    sb_status replay(const std::string &reply, const Sinks &sinks, const sb_error_sink *err) const;
    // Under mutex_: a running helper, started again when its backoff is
    // over; nullptr (and why) when there is none.
    HelperProcess *running_helper(std::string &why);
    // Under mutex_: kills the helper after a failure, logs and counts it.
    std::string fail_helper(const HelperFailure &failure, const char *call);

    std::filesystem::path file_;
    HelperSettings settings_;
    int slot_ = -1;
    helper_protocol::PluginPortrait portrait_;

    // The stand-in tables and the strings they point into.
    std::deque<std::string> strings_;
    std::vector<sb_str> known_models_, dialects_, embedding_models_;
    std::vector<sb_model_lifecycle_entry> lifecycle_entries_;
    sb_provider_descriptor descriptor_{};
    sb_model_lifecycle lifecycle_{};
    sb_native native_{};
    sb_embeddings embeddings_{};
    sb_plugin table_{};

    mutable std::timed_mutex mutex_;
    std::unique_ptr<HelperProcess> helper_;
    std::uint64_t generation_ = 0;  // of the running helper; 0: none yet
    std::atomic<std::uint64_t> restarts_{0};  // read without mutex_ (the provider list)
    Clock::time_point next_start_{};
    std::chrono::milliseconds backoff_{100};
    std::string last_failure_;
};

// Helper restarts and failures per provider id since the daemon started
// (reloads included): the metrics switchboard_plugin_helper_restarts_total
// and switchboard_plugin_helper_failures_total.
struct HelperCounts {
    std::uint64_t restarts = 0;
    std::map<std::string, std::uint64_t> failures;  // "crash", "timeout", "protocol"
};
std::map<std::string, HelperCounts> plugin_helper_counts();

}  // namespace sb::core
