#pragma once
// What a model's tokens cost: USD per million tokens for input, cached
// input and output, per "provider/model". The table shipped in
// data/prices.json (compiled in) is the default; the "prices" object of the
// config file overrides or adds entries. A model id with a date suffix
// (-YYYYMMDD or -YYYY-MM-DD) uses the entry without it when it has none of
// its own. A model with no entry has no cost: callers say "unknown", they do
// not charge zero.
//
// Thread safety: every member may be called from any thread. The table is
// an immutable snapshot replaced whole by override_from and rebase, like
// ConfigStore::current(): a price found in a snapshot stays valid as long as
// the snapshot is held, and a lookup builds no string and copies nothing.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/money.hpp"

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
    // The prices at one moment; never changed once handed out.
    class Snapshot {
    public:
        // The entry of provider/model (or of model without its date
        // suffix); nullptr when there is none. Valid while this snapshot is.
        const ModelPrice *find(std::string_view provider, std::string_view model) const;
        // The cost in nano-USD (rounded), or nullopt when the model has no
        // price or no token counts are known.
        std::optional<std::int64_t> cost_nusd(std::string_view provider, std::string_view model,
                                              const TokenCounts &tokens) const;

    private:
        friend class PriceTable;
        // Keyed by (provider, model), looked up with views of both.
        struct KeyLess {
            using is_transparent = void;
            using View = std::pair<std::string_view, std::string_view>;
            static View view(const View &v) { return v; }
            static View view(const std::pair<std::string, std::string> &k) {
                return {k.first, k.second};
            }
            template <class A, class B>
            bool operator()(const A &a, const B &b) const {
                return view(a) < view(b);
            }
        };
        std::map<std::pair<std::string, std::string>, ModelPrice, KeyLess> entries_;
    };

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
    // Becomes base with prices laid over it, so that a reloaded config file's
    // overrides replace the previous ones whole. Throws like override_from
    // (nothing changed).
    void rebase(const PriceTable &base, const boost::json::object &prices);

    // The prices now; hold it for as long as a price found in it is used.
    std::shared_ptr<const Snapshot> current() const;
    // current()->cost_nusd(...).
    std::optional<std::int64_t> cost_nusd(std::string_view provider, std::string_view model,
                                          const TokenCounts &tokens) const;

private:
    static Snapshot parse(const boost::json::object &models);
    // base with the entries of changes laid over it.
    static std::shared_ptr<const Snapshot> layered(const Snapshot &base, Snapshot changes);

    mutable std::mutex mutex_;
    std::shared_ptr<const Snapshot> current_;
};

}  // namespace sb::core
