#include "core/plugin/model_lifecycle.hpp"

#include <switchboard/provider_abi.h>

#include <cctype>
#include <cstddef>
#include <ctime>

namespace sb::core {

namespace {

constexpr std::size_t kMaxEntries = 4096;
constexpr std::size_t kMaxText = 512;

// A view the plugin handed over, or empty when it is absent or too long.
std::string bounded(sb_str s) {
    if (!s.ptr || s.len > kMaxText) return {};
    return std::string(s.ptr, s.len);
}

bool is_date(std::string_view d) {
    if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
    return true;
}

std::string date_or_empty(sb_str s) {
    std::string d = bounded(s);
    return is_date(d) ? d : std::string();
}

}  // namespace

std::string_view model_status_name(ModelStatus status) noexcept {
    switch (status) {
    case ModelStatus::deprecated: return "deprecated";
    case ModelStatus::retired: return "retired";
    default: return "available";
    }
}

std::string utc_today() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[11];
    std::strftime(text, sizeof text, "%Y-%m-%d", &parts);
    return text;
}

std::vector<ModelLifecycle> read_model_lifecycle(const sb_plugin &table) {
    std::vector<ModelLifecycle> out;
    if (!table.get_extension) return out;
    const auto *declared = static_cast<const sb_model_lifecycle *>(table.get_extension(SB_EXT_MODEL_LIFECYCLE));
    if (!declared || declared->struct_size < sizeof(sb_model_lifecycle) || !declared->entries) return out;
    const std::size_t entry_size = declared->entry_size;
    if (entry_size < sizeof(sb_model_lifecycle_entry)) return out;
    const auto *bytes = reinterpret_cast<const unsigned char *>(declared->entries);
    for (std::size_t i = 0; i < declared->entry_count && i < kMaxEntries; ++i) {
        const auto &e = *reinterpret_cast<const sb_model_lifecycle_entry *>(bytes + i * entry_size);
        if (e.struct_size < sizeof(sb_model_lifecycle_entry)) continue;
        ModelLifecycle m{bounded(e.model), date_or_empty(e.deprecated_on), date_or_empty(e.retired_on),
                         bounded(e.successor), bounded(e.source)};
        if (!m.model.empty()) out.push_back(std::move(m));
    }
    return out;
}

const ModelLifecycle *ModelLifecycles::find(std::string_view model) const noexcept {
    for (const auto &e : entries_)
        if (e.model == model) return &e;
    return nullptr;
}

ModelStatus ModelLifecycles::status(std::string_view model, std::string_view today) const noexcept {
    const ModelLifecycle *e = find(model);
    if (!e) return ModelStatus::available;
    if (!e->retired_on.empty() && e->retired_on <= today) return ModelStatus::retired;
    if (!e->deprecated_on.empty() && e->deprecated_on <= today) return ModelStatus::deprecated;
    return ModelStatus::available;
}

std::string ModelLifecycles::suggested(std::string_view model, std::string_view today) const {
    std::string current(model);
    // Bounded: a table whose successors loop ends here.
    for (std::size_t step = 0; step <= entries_.size(); ++step) {
        const ModelLifecycle *e = find(current);
        if (status(current, today) == ModelStatus::available) return current;
        if (!e || e->successor.empty()) break;
        current = e->successor;
    }
    // No available successor: a deprecated model still serves until retired.
    return status(current, today) == ModelStatus::retired ? std::string() : current;
}

}  // namespace sb::core
