#include "core/metrics.hpp"

#include "core/hex.hpp"
#include "core/money.hpp"

#include <tuple>
#include <type_traits>

#include <cstdio>

namespace sb::core {
namespace {

bool is_control(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

// v as a label value may hold: at most kMaxLabelBytes (never half a UTF-8
// character), each control byte written as the text `\xHH`. Returns v itself
// when it is already so (the usual case: no copy), else a view of storage.
std::string_view bounded_label(std::string_view v, std::string &storage) {
    bool clean = v.size() <= Metrics::kMaxLabelBytes;
    for (std::size_t i = 0; clean && i < v.size(); ++i) clean = !is_control(v[i]);
    if (clean) return v;
    storage.clear();
    for (std::size_t i = 0; i < v.size();) {
        const auto u = static_cast<unsigned char>(v[i]);
        // A whole UTF-8 character (or one stray byte) at a time.
        std::size_t len = u < 0x80 ? 1 : (u >> 5) == 6 ? 2 : (u >> 4) == 14 ? 3 : (u >> 3) == 30 ? 4 : 1;
        len = std::min(len, v.size() - i);
        const bool control = is_control(v[i]);
        if (storage.size() + (control ? 4 : len) > Metrics::kMaxLabelBytes) break;
        if (control) {
            storage += "\\x";
            append_hex(storage, u);
        } else {
            storage.append(v.substr(i, len));
        }
        i += len;
    }
    return storage;
}

// Label values are escaped per the text format (bounded_label has already
// turned every other control byte into text).
std::string escape(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

void Metrics::Histogram::observe(std::span<const double> bounds, double value) {
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (value <= bounds[i]) ++buckets[i];
    ++count;
    sum += value;
}

namespace {

template <class T>
auto owned(const T &v) {
    if constexpr (std::is_convertible_v<T, std::string_view>) return std::string(v);
    else return v;
}

// The series for key (a tuple of views, or one view), created on first use.
template <class Map, class Key>
typename Map::mapped_type &series(Map &map, const Key &key) {
    auto it = map.find(key);
    if (it != map.end()) return it->second;
    if constexpr (std::is_convertible_v<Key, std::string_view>)
        return map.emplace(std::string(key), typename Map::mapped_type{}).first->second;
    else
        return map
            .emplace(std::apply([](const auto &...v) { return std::make_tuple(owned(v)...); }, key),
                     typename Map::mapped_type{})
            .first->second;
}

}  // namespace

void Metrics::record(const Observation &observation) {
    std::string route_storage, provider_storage, model_storage, error_storage, outcome_storage;
    Observation o = observation;
    o.route = bounded_label(o.route, route_storage);
    o.provider = bounded_label(o.provider, provider_storage);
    o.model = bounded_label(o.model, model_storage);
    o.error_type = bounded_label(o.error_type, error_storage);
    o.outcome = bounded_label(o.outcome, outcome_storage);
    std::lock_guard lock(mutex_);
    // The last line of defence: past a bound, models share one label value.
    if (requests_.size() >= kMaxSeries || upstream_latency_.size() >= kMaxSeries || tokens_.size() >= kMaxSeries)
        o.model = "other";
    using sv = std::string_view;
    ++series(requests_, std::tuple<sv, int, sv, sv, sv>{o.route, o.status, o.provider, o.model, o.outcome});
    if (!o.error_type.empty()) ++series(errors_, std::tuple<sv, sv>{o.error_type, o.provider});
    if (o.called_upstream)
        series(upstream_latency_, std::tuple<sv, sv>{o.provider, o.model})
            .observe(kLatencyBuckets, seconds(o.upstream_wait));
    series(overhead_, o.route).observe(kLatencyBuckets, seconds(o.overhead));
    if (o.retry_wait.count() > 0) series(retry_wait_, o.provider).observe(kRetryBuckets, seconds(o.retry_wait));
    if (o.prompt_tokens > 0) series(tokens_, std::tuple<sv, sv, sv>{o.provider, o.model, "in"}) += o.prompt_tokens;
    if (o.completion_tokens > 0)
        series(tokens_, std::tuple<sv, sv, sv>{o.provider, o.model, "out"}) += o.completion_tokens;
    if (!o.dialect.empty())
        ++series(dialects_, std::tuple<sv, sv>{o.dialect, o.native ? "native" : "translated"});
    if (o.embedding_inputs >= 0 && embeddings_.size() < kMaxSeries) {
        EmbeddingCounts &e = series(embeddings_, o.provider);
        ++e.requests;
        e.inputs += static_cast<std::uint64_t>(o.embedding_inputs);
        if (o.prompt_tokens > 0) e.input_tokens += static_cast<std::uint64_t>(o.prompt_tokens);
    }
}

void Metrics::record_spend(std::string_view key_id, std::string_view provider,
                           std::optional<std::int64_t> cost_nusd) {
    std::string key_storage, provider_storage;
    const std::tuple<std::string_view, std::string_view> key{bounded_label(key_id, key_storage),
                                                             bounded_label(provider, provider_storage)};
    std::lock_guard lock(mutex_);
    if (spend_.size() + cost_unknown_.size() >= kMaxSeries && !spend_.contains(key) && !cost_unknown_.contains(key))
        return;
    if (cost_nusd)
        series(spend_, key) += *cost_nusd;
    else
        ++series(cost_unknown_, key);
}

std::string Metrics::render() const {
    std::string out;
    auto histogram = [&](const std::string &name, const std::string &labels, const Histogram &h,
                         std::span<const double> bounds) {
        std::string sep = labels.empty() ? "" : ",";
        for (std::size_t i = 0; i < bounds.size(); ++i)
            out += name + "_bucket{" + labels + sep + "le=\"" + number(bounds[i]) + "\"} " +
                   std::to_string(h.buckets[i]) + "\n";
        out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
        out += name + "_sum{" + labels + "} " + number(h.sum) + "\n";
        out += name + "_count{" + labels + "} " + std::to_string(h.count) + "\n";
    };
    std::lock_guard lock(mutex_);
    out += "# HELP switchboard_requests_total HTTP requests handled, by outcome (ok, error, client_closed).\n"
           "# TYPE switchboard_requests_total counter\n";
    for (const auto &[k, v] : requests_) {
        const auto &[route, status, provider, model, outcome] = k;
        out += "switchboard_requests_total{route=\"" + escape(route) + "\",status=\"" + std::to_string(status) +
               "\",provider=\"" + escape(provider) + "\",model=\"" + escape(model) + "\",outcome=\"" +
               escape(outcome) + "\"} " + std::to_string(v) + "\n";
    }
    out += "# HELP switchboard_errors_total Failed requests by error type, failures after the head included.\n"
           "# TYPE switchboard_errors_total counter\n";
    for (const auto &[k, v] : errors_)
        out += "switchboard_errors_total{type=\"" + escape(std::get<0>(k)) + "\",provider=\"" +
               escape(std::get<1>(k)) + "\"} " + std::to_string(v) + "\n";
    out += "# HELP switchboard_upstream_latency_seconds Time spent waiting on vendors per request.\n"
           "# TYPE switchboard_upstream_latency_seconds histogram\n";
    for (const auto &[k, h] : upstream_latency_)
        histogram("switchboard_upstream_latency_seconds",
                  "provider=\"" + escape(std::get<0>(k)) + "\",model=\"" + escape(std::get<1>(k)) + "\"", h,
                  kLatencyBuckets);
    out += "# HELP switchboard_gateway_overhead_seconds The gateway's own time per request until its response head "
           "was ready: no vendor wait, retry sleep or streaming.\n"
           "# TYPE switchboard_gateway_overhead_seconds histogram\n";
    for (const auto &[route, h] : overhead_)
        histogram("switchboard_gateway_overhead_seconds", "route=\"" + escape(route) + "\"", h, kLatencyBuckets);
    out += "# HELP switchboard_retry_wait_seconds Time a request slept before retrying vendors (requests that "
           "retried).\n# TYPE switchboard_retry_wait_seconds histogram\n";
    for (const auto &[provider, h] : retry_wait_)
        histogram("switchboard_retry_wait_seconds", "provider=\"" + escape(provider) + "\"", h, kRetryBuckets);
    out += "# HELP switchboard_ingress_requests_total Data-plane chat requests by client dialect, and whether "
           "they went to the vendor natively or translated.\n# TYPE switchboard_ingress_requests_total counter\n";
    for (const auto &[k, v] : dialects_)
        out += "switchboard_ingress_requests_total{dialect=\"" + escape(std::get<0>(k)) + "\",path=\"" +
               escape(std::get<1>(k)) + "\"} " + std::to_string(v) + "\n";
    out += "# HELP switchboard_tokens_total Tokens reported by vendors.\n# TYPE switchboard_tokens_total counter\n";
    for (const auto &[k, v] : tokens_)
        out += "switchboard_tokens_total{provider=\"" + escape(std::get<0>(k)) + "\",model=\"" +
               escape(std::get<1>(k)) + "\",direction=\"" + std::get<2>(k) + "\"} " + std::to_string(v) + "\n";
    out += "# HELP switchboard_embedding_requests_total Embeddings requests by provider.\n"
           "# TYPE switchboard_embedding_requests_total counter\n";
    for (const auto &[provider, e] : embeddings_)
        out += "switchboard_embedding_requests_total{provider=\"" + escape(provider) + "\"} " +
               std::to_string(e.requests) + "\n";
    out += "# HELP switchboard_embedding_inputs_total Inputs (texts or token arrays) sent to be embedded.\n"
           "# TYPE switchboard_embedding_inputs_total counter\n";
    for (const auto &[provider, e] : embeddings_)
        out += "switchboard_embedding_inputs_total{provider=\"" + escape(provider) + "\"} " +
               std::to_string(e.inputs) + "\n";
    out += "# HELP switchboard_embedding_input_tokens_total Input tokens of embeddings requests, as vendors "
           "reported them.\n# TYPE switchboard_embedding_input_tokens_total counter\n";
    for (const auto &[provider, e] : embeddings_)
        out += "switchboard_embedding_input_tokens_total{provider=\"" + escape(provider) + "\"} " +
               std::to_string(e.input_tokens) + "\n";
    out += "# HELP switchboard_spend_usd_total What requests cost by the price table, by virtual key (\"none\": "
           "no virtual key) and provider.\n# TYPE switchboard_spend_usd_total counter\n";
    for (const auto &[k, v] : spend_)
        out += "switchboard_spend_usd_total{key_id=\"" + escape(std::get<0>(k)) + "\",provider=\"" +
               escape(std::get<1>(k)) + "\"} " + format_usd(v) + "\n";
    out += "# HELP switchboard_cost_unknown_requests_total Requests with usage whose model has no price (not "
           "counted in spend).\n# TYPE switchboard_cost_unknown_requests_total counter\n";
    for (const auto &[k, v] : cost_unknown_)
        out += "switchboard_cost_unknown_requests_total{key_id=\"" + escape(std::get<0>(k)) + "\",provider=\"" +
               escape(std::get<1>(k)) + "\"} " + std::to_string(v) + "\n";
    out += "# HELP switchboard_requests_in_flight Requests being handled.\n# TYPE switchboard_requests_in_flight gauge\n";
    const InFlight in_flight = in_flight_ ? in_flight_() : InFlight{};
    out += "switchboard_requests_in_flight " + std::to_string(in_flight.requests) + "\n";
    out += "# HELP switchboard_streams_in_flight Streaming responses being sent.\n# TYPE switchboard_streams_in_flight gauge\n";
    out += "switchboard_streams_in_flight " + std::to_string(in_flight.streams) + "\n";
    const auto helpers = plugin_helpers_ ? plugin_helpers_() : std::vector<PluginHelperCounts>{};
    out += "# HELP switchboard_plugin_helper_restarts_total Helper processes of isolated plugins started again "
           "after a failure.\n# TYPE switchboard_plugin_helper_restarts_total counter\n";
    for (const auto &h : helpers)
        out += "switchboard_plugin_helper_restarts_total{provider=\"" + escape(h.provider) + "\"} " +
               std::to_string(h.restarts) + "\n";
    out += "# HELP switchboard_plugin_helper_failures_total Helper processes of isolated plugins that crashed, "
           "missed the call deadline or broke the protocol (and were killed).\n"
           "# TYPE switchboard_plugin_helper_failures_total counter\n";
    for (const auto &h : helpers)
        for (const auto &[kind, n] : h.failures)
            out += "switchboard_plugin_helper_failures_total{provider=\"" + escape(h.provider) + "\",kind=\"" +
                   escape(kind) + "\"} " + std::to_string(n) + "\n";
    return out;
}

}  // namespace sb::core
