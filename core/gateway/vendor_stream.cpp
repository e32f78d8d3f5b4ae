#include "core/gateway/vendor_stream.hpp"

#include "core/gateway/upstream_errors.hpp"

namespace sb::core {

namespace {

boost::asio::awaitable<std::size_t> nothing_to_wait_for() { co_return 0; }

}  // namespace

VendorStream::VendorStream(std::shared_ptr<const ProviderSet> providers, std::shared_ptr<const LoadedProvider> provider,
                           std::string api_key, UpstreamBody body, RequestContext &context)
    : context_(context), providers_(std::move(providers)), provider_(std::move(provider)),
      api_key_(std::move(api_key)), body_(std::move(body)) {}

VendorStream::~VendorStream() = default;

boost::asio::awaitable<void> VendorStream::start() {
    std::string first;
    co_await next(first);
    pending_ = std::move(first);  // handed out by the first next()
}

boost::asio::awaitable<bool> VendorStream::next(std::string &out) {
    while (pending_.empty() && !finished_) {
        const auto started = RequestContext::Clock::now();
        std::string piece;
        try {
            while (!body_.next_piece(piece)) co_await body_.read_more();
        } catch (const UpstreamError &e) {
            context_.upstream_wait += RequestContext::Clock::now() - started;
            fail(transport_error(*provider_, api_key_, e));
            continue;
        }
        context_.upstream_wait += RequestContext::Clock::now() - started;
        try {
            if (piece.empty())
                end_of_body();
            else
                take(piece);
        } catch (const GatewayError &e) {
            fail(e);
        } catch (const std::length_error &) {
            fail(GatewayError(ErrorCode::upstream_error, "upstream stream event exceeds the size limit"));
        }
    }
    if (pending_.empty()) co_return false;
    handed_out_ = true;
    if (out.empty())
        out.swap(pending_);
    else
        out += pending_;
    std::string().swap(pending_);  // a waiting stream keeps no buffer
    co_return true;
}

boost::asio::awaitable<std::size_t> VendorStream::wait() {
    if (pending_.empty() && !finished_ && body_.can_wait()) return body_.wait();
    return nothing_to_wait_for();
}

void VendorStream::fail(GatewayError e) {
    e.with_provider(provider_->id());
    body_ = UpstreamBody();
    finished_ = true;
    if (!handed_out_ && pending_.empty()) throw e;
    // The head goes (or went) out as 200: what the stream says is the only
    // word of this failure the client gets, and the access log says so.
    context_.error_type = error_code_name(e.code());
    context_.error_after_head = true;
    report_failure(e);
}

}  // namespace sb::core
