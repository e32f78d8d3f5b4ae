#pragma once
// Prometheus metrics of the gateway: requests by outcome, errors by type,
// upstream latency, gateway overhead and retry-wait histograms, tokens in and
// out per provider and model, requests and streams in flight. Rendered as
// text format 0.0.4. docs/api.md says what each series measures.
//
// Label values are bounded: each is cut to kMaxLabelBytes with its control
// bytes written as `\xHH`, and past kMaxSeries series per metric a new model
// shares the label value "other". (The caller passes as model only ids the
// daemon knows, "other" for the rest: see the router.)
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace sb::core {

class Metrics {
public:
    static constexpr std::size_t kMaxLabelBytes = 128;
    static constexpr std::size_t kMaxSeries = 4096;

    struct Observation {
        std::string_view route;     // "/v1/chat/completions", ...
        int status = 0;             // 499 when the client left first
        std::string_view outcome;   // "ok", "error" or "client_closed"
        std::string_view provider;  // empty when none
        std::string_view model;     // a model id the daemon knows, or "other"
        std::string_view error_type;  // empty on success
        std::chrono::nanoseconds upstream_wait{0};
        std::chrono::nanoseconds overhead{0};
        std::chrono::nanoseconds retry_wait{0};  // slept before retries
        std::int64_t prompt_tokens = -1;
        std::int64_t completion_tokens = -1;
        bool called_upstream = false;
        // The client dialect of a data-plane chat ("openai.chat",
        // "anthropic.messages", "openai.responses"; a static string), and
        // whether it went to the vendor natively (not translated).
        std::string_view dialect;
        bool native = false;
        // An embeddings request: how many inputs it carried; -1 otherwise.
        std::int64_t embedding_inputs = -1;
    };

    void record(const Observation &o);
    // What one data-plane request cost (see core/keys): key_id is the
    // virtual key's id, "none" without one; cost_nusd nullopt when the
    // price or the usage was unknown (counted apart, never as zero).
    void record_spend(std::string_view key_id, std::string_view provider, std::optional<std::int64_t> cost_nusd);
    std::string render() const;

    // What is in flight now, as the server counts it.
    struct InFlight {
        std::size_t requests = 0;  // exchanges being handled or answered
        std::size_t streams = 0;   // streamed bodies being sent
    };
    // Where render() reads the in-flight gauges (none: they read 0).
    void count_in_flight_with(std::function<InFlight()> source) { in_flight_ = std::move(source); }

    // What the helper processes of isolated plugins went through, per
    // provider (--plugin-isolation process): restarts, and failures by kind
    // ("crash", "timeout", "protocol").
    struct PluginHelperCounts {
        std::string provider;
        std::uint64_t restarts = 0;
        std::map<std::string, std::uint64_t> failures;
    };
    // Where render() reads them (none: the series are absent).
    void count_plugin_helpers_with(std::function<std::vector<PluginHelperCounts>()> source) {
        plugin_helpers_ = std::move(source);
    }

private:
    static constexpr std::array<double, 14> kLatencyBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                               0.0025,  0.005,  0.01,    0.025,  0.05,
                                                               0.1,     0.25,   1,       5};
    static constexpr std::array<double, 9> kRetryBuckets = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    struct Histogram {
        std::array<std::uint64_t, 16> buckets{};  // per bound of the metric's bucket set
        std::uint64_t count = 0;
        double sum = 0;
        void observe(std::span<const double> bounds, double seconds);
    };
    using Key2 = std::tuple<std::string, std::string>;
    using Key3 = std::tuple<std::string, std::string, std::string>;

    std::function<InFlight()> in_flight_;
    std::function<std::vector<PluginHelperCounts>()> plugin_helpers_;
    mutable std::mutex mutex_;
    // std::less<>: a request looks its series up by string_views and only
    // allocates the key the first time a series appears.
    // route, status, provider, model, outcome
    std::map<std::tuple<std::string, int, std::string, std::string, std::string>, std::uint64_t, std::less<>>
        requests_;
    std::map<Key2, std::uint64_t, std::less<>> errors_;          // type, provider
    std::map<Key2, Histogram, std::less<>> upstream_latency_;    // provider, model
    std::map<std::string, Histogram, std::less<>> overhead_;     // route
    std::map<std::string, Histogram, std::less<>> retry_wait_;   // provider
    std::map<Key3, std::uint64_t, std::less<>> tokens_;          // provider, model, direction
    std::map<Key2, std::uint64_t, std::less<>> dialects_;        // dialect, path (native or translated)
    struct EmbeddingCounts {
        std::uint64_t requests = 0, inputs = 0, input_tokens = 0;
    };
    std::map<std::string, EmbeddingCounts, std::less<>> embeddings_;  // provider
    std::map<Key2, std::int64_t, std::less<>> spend_;            // key id, provider: nano-USD
    std::map<Key2, std::uint64_t, std::less<>> cost_unknown_;    // key id, provider: requests
};

}  // namespace sb::core
