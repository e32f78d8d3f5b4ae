#include "mistral.hpp"

#include <switchboard/kit/openai_normalize.hpp>

namespace switchboard::mistral {

namespace {

class Stream final : public kit::NormalizingStream {
public:
    using NormalizingStream::NormalizingStream;

protected:
    // Mistral reports a failure mid-stream as {"object":"error",...}.
    const json::value *stream_error(const json::object &payload) const override {
        if (kit::get_string(payload, "object") == "error") {
            holder_ = payload;
            if (json::value *m = holder_.get_object().if_contains("message"); m && !m->is_string())
                *m = json::string(render_message(*m));
            return &holder_;
        }
        return NormalizingStream::stream_error(payload);
    }

private:
    mutable json::value holder_;
};

}  // namespace

std::unique_ptr<sdk::Stream> Provider::open_stream(const sdk::Config &config, std::string_view) {
    return std::make_unique<Stream>(kDisplayName, config);
}

}  // namespace switchboard::mistral
