#pragma once
// The unified chat stream written as the Responses API's server-sent events
// (`event: <type>` + `data: {...}`, each with a rising sequence_number), in
// the order OpenAI sends them: response.created, response.in_progress, then
// per output item output_item.added, its parts and deltas, output_item.done,
// and response.completed (or response.incomplete) carrying the whole
// response with usage. Stateful: one per stream attempt
// (core::EncoderRef::owned).
#include "core/gateway/chat_stream.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace sb::host {

class ResponsesSse final : public core::StreamEncoder {
public:
    // echo: the request's (ResponsesCall::echo); model: what the response
    // names until the vendor's chunks name their own.
    ResponsesSse(boost::json::object echo, std::string model);

    void chunk(std::string &out, std::string_view chunk_json) override;
    // An `error` event, then response.failed.
    void failure(std::string &out, const core::GatewayError &error) override;
    // Closes the open item, then response.completed / response.incomplete.
    void end(std::string &out) override;

private:
    enum class Kind { reasoning, message, function_call };
    struct Item {
        Kind kind;
        std::string id;
        std::string text;  // reasoning summary, message text or arguments
        std::string call_id, name;
        bool done = false;
    };

    void start(std::string &out);
    void reasoning_delta(std::string &out, std::string_view text);
    void text_delta(std::string &out, std::string_view text);
    void tool_call_delta(std::string &out, const boost::json::object &call);
    // The open item (the last one) finished, its done events written.
    void close_open(std::string &out);
    std::size_t open_item(std::string &out, Kind kind, std::string id);
    boost::json::object item_json(const Item &item) const;
    boost::json::object snapshot() const;
    void emit(std::string &out, boost::json::object event);

    boost::json::object echo_;
    boost::json::object response_;  // the shell: ids, echo, status
    std::vector<Item> items_;
    std::vector<std::size_t> tool_item_;  // unified tool call index -> items_ index (+1; 0: none)
    boost::json::object usage_;
    std::string finish_reason_;
    std::uint64_t sequence_ = 0;
    bool started_ = false;
};

}  // namespace sb::host
