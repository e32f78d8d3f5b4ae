#pragma once
// What a plugin declares (extension sb.model_lifecycle/1) of the models its
// vendor has deprecated or retired, and the status that gives a model on a
// given day. The dates are the vendor's; the host only compares them.
#include <string>
#include <string_view>
#include <vector>

struct sb_plugin;

namespace sb::core {

struct ModelLifecycle {
    std::string model;
    std::string deprecated_on;  // "YYYY-MM-DD", or empty
    std::string retired_on;     // "YYYY-MM-DD", or empty
    std::string successor;      // may be empty
    std::string source;         // the vendor's notice
};

enum class ModelStatus { available, deprecated, retired };

// "available", "deprecated", "retired".
std::string_view model_status_name(ModelStatus status) noexcept;

// Today in UTC as "YYYY-MM-DD".
std::string utc_today();

// The plugin's declared table, checked (sizes, dates, bounded strings); empty
// when the plugin declares none.
std::vector<ModelLifecycle> read_model_lifecycle(const sb_plugin &table);

class ModelLifecycles {
public:
    ModelLifecycles() = default;
    explicit ModelLifecycles(std::vector<ModelLifecycle> entries) : entries_(std::move(entries)) {}

    // The entry for a model id, or nullptr when the vendor announced nothing.
    const ModelLifecycle *find(std::string_view model) const noexcept;
    ModelStatus status(std::string_view model, std::string_view today) const noexcept;
    // The model to use: the model itself when available on `today`, else the
    // first available successor along the vendor's chain; failing that, the
    // last one not yet retired; empty when nothing on the chain still serves.
    std::string suggested(std::string_view model, std::string_view today) const;
    bool empty() const noexcept { return entries_.empty(); }

private:
    std::vector<ModelLifecycle> entries_;
};

}  // namespace sb::core
