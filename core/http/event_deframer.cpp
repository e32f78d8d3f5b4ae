#include "core/http/event_deframer.hpp"

namespace sb::core {

bool EventDeframer::feed(std::string_view piece, const EventHandler &on_event) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < piece.size(); ++i) {
        char c = piece[i];
        if (skip_lf_) {
            skip_lf_ = false;
            if (c == '\n') {
                start = i + 1;
                continue;
            }
        }
        if (c != '\n' && c != '\r') continue;
        line_.append(piece.data() + start, i - start);
        start = i + 1;
        skip_lf_ = c == '\r';
        std::string line = std::move(line_);
        line_.clear();
        if (!take_line(line, on_event)) return false;
    }
    line_.append(piece.data() + start, piece.size() - start);
    if (line_.size() > max_event_bytes_) throw std::length_error("stream event exceeds the size limit");
    return true;
}

bool EventDeframer::finish(const EventHandler &on_event) {
    if (!line_.empty()) {
        std::string line = std::move(line_);
        line_.clear();
        if (!take_line(line, on_event)) return false;
    }
    if (framing_ == StreamFraming::sse) return dispatch(on_event);
    return true;
}

bool EventDeframer::take_line(std::string_view line, const EventHandler &on_event) {
    if (line.size() > max_event_bytes_) throw std::length_error("stream event exceeds the size limit");
    if (framing_ == StreamFraming::ndjson) {
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        if (line.empty()) return true;
        return on_event({}, line);
    }
    if (line.empty()) return dispatch(on_event);
    if (line.front() == ':') return true;  // comment / keep-alive
    std::string_view field = line, value;
    if (auto colon = line.find(':'); colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
        if (has_data_) data_ += '\n';
        data_.append(value);
        has_data_ = true;
        if (data_.size() > max_event_bytes_) throw std::length_error("stream event exceeds the size limit");
    } else if (field == "event") {
        event_name_.assign(value);
    }
    // id and retry are irrelevant to a proxied response.
    return true;
}

bool EventDeframer::dispatch(const EventHandler &on_event) {
    if (!has_data_) {
        event_name_.clear();
        return true;
    }
    std::string name = std::move(event_name_);
    std::string data = std::move(data_);
    event_name_.clear();
    data_.clear();
    has_data_ = false;
    return on_event(name, data);
}

}  // namespace sb::core
