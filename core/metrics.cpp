#include "core/metrics.hpp"

#include <tuple>
#include <type_traits>

#include <cstdio>

namespace sb::core {
namespace {

// Label values are escaped per the text format.
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

}  // namespace

void Metrics::Histogram::observe(double seconds) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
        if (seconds <= kBuckets[i]) ++buckets[i];
    ++count;
    sum += seconds;
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
    // Clients choose model names: past a bound they share one label value.
    constexpr std::size_t kMaxSeries = 4096;
    std::lock_guard lock(mutex_);
    Observation o = observation;
    if (requests_.size() >= kMaxSeries || upstream_latency_.size() >= kMaxSeries || tokens_.size() >= kMaxSeries)
        o.model = "_other";
    using sv = std::string_view;
    ++series(requests_, std::tuple<sv, int, sv, sv>{o.route, o.status, o.provider, o.model});
    if (!o.error_type.empty()) ++series(errors_, std::tuple<sv, sv>{o.error_type, o.provider});
    if (o.called_upstream)
        series(upstream_latency_, std::tuple<sv, sv>{o.provider, o.model})
            .observe(std::chrono::duration<double>(o.upstream_wait).count());
    series(overhead_, o.route).observe(std::chrono::duration<double>(o.overhead).count());
    if (o.prompt_tokens > 0) series(tokens_, std::tuple<sv, sv, sv>{o.provider, o.model, "in"}) += o.prompt_tokens;
    if (o.completion_tokens > 0)
        series(tokens_, std::tuple<sv, sv, sv>{o.provider, o.model, "out"}) += o.completion_tokens;
}

std::string Metrics::render() const {
    std::string out;
    auto histogram = [&](const std::string &name, const std::string &labels, const Histogram &h) {
        std::string sep = labels.empty() ? "" : ",";
        for (std::size_t i = 0; i < kBuckets.size(); ++i)
            out += name + "_bucket{" + labels + sep + "le=\"" + number(kBuckets[i]) + "\"} " +
                   std::to_string(h.buckets[i]) + "\n";
        out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
        out += name + "_sum{" + labels + "} " + number(h.sum) + "\n";
        out += name + "_count{" + labels + "} " + std::to_string(h.count) + "\n";
    };
    std::lock_guard lock(mutex_);
    out += "# HELP switchboard_requests_total HTTP requests handled.\n# TYPE switchboard_requests_total counter\n";
    for (const auto &[k, v] : requests_) {
        const auto &[route, status, provider, model] = k;
        out += "switchboard_requests_total{route=\"" + escape(route) + "\",status=\"" + std::to_string(status) +
               "\",provider=\"" + escape(provider) + "\",model=\"" + escape(model) + "\"} " + std::to_string(v) + "\n";
    }
    out += "# HELP switchboard_errors_total Failed requests by error type.\n# TYPE switchboard_errors_total counter\n";
    for (const auto &[k, v] : errors_)
        out += "switchboard_errors_total{type=\"" + escape(std::get<0>(k)) + "\",provider=\"" +
               escape(std::get<1>(k)) + "\"} " + std::to_string(v) + "\n";
    out += "# HELP switchboard_upstream_latency_seconds Time spent waiting on vendors per request.\n"
           "# TYPE switchboard_upstream_latency_seconds histogram\n";
    for (const auto &[k, h] : upstream_latency_)
        histogram("switchboard_upstream_latency_seconds",
                  "provider=\"" + escape(std::get<0>(k)) + "\",model=\"" + escape(std::get<1>(k)) + "\"", h);
    out += "# HELP switchboard_gateway_overhead_seconds Request time not spent waiting on vendors.\n"
           "# TYPE switchboard_gateway_overhead_seconds histogram\n";
    for (const auto &[route, h] : overhead_)
        histogram("switchboard_gateway_overhead_seconds", "route=\"" + escape(route) + "\"", h);
    out += "# HELP switchboard_tokens_total Tokens reported by vendors.\n# TYPE switchboard_tokens_total counter\n";
    for (const auto &[k, v] : tokens_)
        out += "switchboard_tokens_total{provider=\"" + escape(std::get<0>(k)) + "\",model=\"" +
               escape(std::get<1>(k)) + "\",direction=\"" + std::get<2>(k) + "\"} " + std::to_string(v) + "\n";
    out += "# HELP switchboard_requests_in_flight Requests being handled.\n# TYPE switchboard_requests_in_flight gauge\n";
    out += "switchboard_requests_in_flight " + std::to_string(requests_in_flight.load()) + "\n";
    out += "# HELP switchboard_streams_in_flight Streaming responses being sent.\n# TYPE switchboard_streams_in_flight gauge\n";
    out += "switchboard_streams_in_flight " + std::to_string(streams_in_flight.load()) + "\n";
    return out;
}

}  // namespace sb::core
