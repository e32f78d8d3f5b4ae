#pragma once
// What a model's tokens cost: USD per million tokens for input, cached
// input and output, per "provider/model". The table shipped in
// data/prices.json (compiled in) is the default; the "prices" object of the
// config file overrides or adds entries. A model id with a date suffix
// (-YYYYMMDD or -YYYY-MM-DD) uses the entry without it when it has none of
// its own. A model with no entry has no cost: callers say "unknown", they do
// not charge zero.
//
// Thread safety: every member may be called from any thread; override_from
// swaps the table whole.
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::core {

struct ModelPrice {
    double input = 0;         // USD per million prompt tokens not served from cache
    double cached_input = 0;  // USD per million prompt tokens served from the vendor's cache
    double output = 0;        // USD per million completion tokens (reasoning included)
    std::vector<std::string> sources;  // where the figures come from
    std::string as_of;                 // the date they were read there
};

// Token counts of one request, as RequestContext holds them (-1: unknown).
struct TokenCounts {
    std::int64_t prompt = -1;  // all prompt tokens, cached ones included
    std::int64_t cached = -1;  // of prompt, served from cache
    std::int64_t completion = -1;
};

class PriceTable {
public:
    // The table in data/prices.json.
    static PriceTable shipped();
    // {"provider/model": {"input", "cached_input", "output", "sources"?,
    // "as_of"?}, ...}; "cached_input" defaults to "input". Throws
    // std::runtime_error naming the entry and field when malformed.
    explicit PriceTable(const boost::json::object &models);
    PriceTable(const PriceTable &other);

    // Replaces or adds the entries of prices (the same shape); the whole
    // change or nothing: throws std::runtime_error when malformed.
    void override_from(const boost::json::object &prices);

    std::optional<ModelPrice> find(std::string_view provider, std::string_view model) const;
    // The cost in nano-USD (rounded), or nullopt when the model has no price
    // or no token counts are known.
    std::optional<std::int64_t> cost_nusd(std::string_view provider, std::string_view model,
                                          const TokenCounts &tokens) const;

private:
    using Table = std::map<std::string, ModelPrice, std::less<>>;
    static Table parse(const boost::json::object &models);

    mutable std::mutex mutex_;
    std::shared_ptr<const Table> table_;
};

// USD as text for logs and answers: "0.000123" (at most 9 decimals, trailing
// zeros cut).
std::string format_usd(std::int64_t nusd);
// USD to nano-USD, rounded; throws std::runtime_error when negative or too
// large.
std::int64_t usd_to_nusd(double usd);

}  // namespace sb::core
