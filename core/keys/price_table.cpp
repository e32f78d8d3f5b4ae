#include "core/keys/price_table.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <stdexcept>

namespace sb::core {

extern const std::string_view kShippedPricesJson;  // generated from data/prices.json

namespace {

namespace json = boost::json;

double price_field(const json::object &entry, std::string_view name, const std::string &model) {
    const json::value *v = entry.if_contains(name);
    if (!v || !v->is_number())
        throw std::runtime_error("price of '" + model + "': '" + std::string(name) +
                                 "' must be a number");
    double value = v->to_number<double>();
    if (!std::isfinite(value) || value < 0 || value > 1e6)
        throw std::runtime_error("price of '" + model + "': '" + std::string(name) +
                                 "' must be between 0 and 1000000 (USD per million tokens)");
    return value;
}

// "claude-sonnet-4-20250514" -> "claude-sonnet-4"; "gpt-4o-2024-08-06" ->
// "gpt-4o"; nullopt when there is no date suffix.
std::optional<std::string_view> without_date(std::string_view model) {
    auto digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (model.size() > 9 && model[model.size() - 9] == '-' &&
        digits(model.substr(model.size() - 8)))
        return model.substr(0, model.size() - 9);
    if (model.size() > 11) {
        auto tail = model.substr(model.size() - 11);  // -YYYY-MM-DD
        if (tail[0] == '-' && tail[5] == '-' && tail[8] == '-' && digits(tail.substr(1, 4)) &&
            digits(tail.substr(6, 2)) && digits(tail.substr(9, 2)))
            return model.substr(0, model.size() - 11);
    }
    return std::nullopt;
}

}  // namespace

PriceTable::Snapshot PriceTable::parse(const json::object &models) {
    Snapshot table;
    for (const auto &[name, value] : models) {
        const std::string model(name);
        const auto slash = model.find('/');
        if (slash == std::string::npos)
            throw std::runtime_error("price entry '" + model + "' must be named provider/model");
        const auto *entry = value.if_object();
        if (!entry) throw std::runtime_error("price of '" + model + "' must be an object");
        ModelPrice price;
        price.input = price_field(*entry, "input", model);
        price.cached_input = entry->contains("cached_input")
                                 ? price_field(*entry, "cached_input", model)
                                 : price.input;
        price.output = price_field(*entry, "output", model);
        if (const auto *sources = entry->if_contains("sources")) {
            if (!sources->is_array())
                throw std::runtime_error("price of '" + model + "': 'sources' must be an array");
            for (const auto &s : sources->get_array()) {
                if (!s.is_string())
                    throw std::runtime_error("price of '" + model +
                                             "': 'sources' entries must be strings");
                price.sources.emplace_back(s.get_string());
            }
        }
        if (const auto *as_of = entry->if_contains("as_of")) {
            if (!as_of->is_string())
                throw std::runtime_error("price of '" + model + "': 'as_of' must be a string");
            price.as_of = std::string(as_of->get_string());
        }
        table.entries_.insert_or_assign({model.substr(0, slash), model.substr(slash + 1)},
                                        std::move(price));
    }
    return table;
}

PriceTable::PriceTable(const json::object &models)
    : current_(std::make_shared<const Snapshot>(parse(models))) {}

PriceTable::PriceTable(const PriceTable &other) : current_(other.current()) {}

PriceTable PriceTable::shipped() {
    json::value doc = json::parse(kShippedPricesJson);
    return PriceTable(doc.at("models").as_object());
}

std::shared_ptr<const PriceTable::Snapshot> PriceTable::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

std::shared_ptr<const PriceTable::Snapshot> PriceTable::layered(const Snapshot &base,
                                                                Snapshot changes) {
    auto next = std::make_shared<Snapshot>(base);
    for (auto &[key, price] : changes.entries_)
        next->entries_.insert_or_assign(key, std::move(price));
    return next;
}

void PriceTable::override_from(const json::object &prices) {
    Snapshot changes = parse(prices);
    std::lock_guard lock(mutex_);
    current_ = layered(*current_, std::move(changes));
}

void PriceTable::rebase(const PriceTable &base, const json::object &prices) {
    Snapshot changes = parse(prices);
    auto next = layered(*base.current(), std::move(changes));
    std::lock_guard lock(mutex_);
    current_ = std::move(next);
}

const ModelPrice *PriceTable::Snapshot::find(std::string_view provider,
                                             std::string_view model) const {
    if (auto it = entries_.find(KeyLess::View{provider, model}); it != entries_.end())
        return &it->second;
    if (auto bare = without_date(model))
        if (auto it = entries_.find(KeyLess::View{provider, *bare}); it != entries_.end())
            return &it->second;
    return nullptr;
}

std::optional<std::int64_t> PriceTable::Snapshot::cost_nusd(std::string_view provider,
                                                            std::string_view model,
                                                            const TokenCounts &tokens) const {
    if (tokens.prompt < 0 && tokens.completion < 0) return std::nullopt;
    const ModelPrice *price = find(provider, model);
    if (!price) return std::nullopt;
    const double prompt = static_cast<double>(std::max<std::int64_t>(tokens.prompt, 0));
    const double cached =
        std::min(prompt, static_cast<double>(std::max<std::int64_t>(tokens.cached, 0)));
    const double completion = static_cast<double>(std::max<std::int64_t>(tokens.completion, 0));
    // USD per million tokens = 1000 nano-USD per token.
    const double nusd = 1000.0 * ((prompt - cached) * price->input + cached * price->cached_input +
                                  completion * price->output);
    return static_cast<std::int64_t>(std::llround(nusd));
}

std::optional<std::int64_t> PriceTable::cost_nusd(std::string_view provider, std::string_view model,
                                                  const TokenCounts &tokens) const {
    return current()->cost_nusd(provider, model, tokens);
}

}  // namespace sb::core
