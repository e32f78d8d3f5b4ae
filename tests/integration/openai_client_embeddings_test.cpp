// The official `openai` npm client's embeddings.create through the daemon,
// for three providers of different dialects (OpenAI's /embeddings, Gemini's
// batchEmbedContents, Cohere's v2 /embed) against their loopback mocks: 150
// inputs, more than Gemini's (100) and Cohere's (96) batch limits, so the
// daemon splits them and joins the vectors in order. Every vector must be
// the mock's vector for its own input, as floats, as base64 and as the
// client decodes its default (base64) itself.
#include "integration/client_output.hpp"
#include "integration/integration_fixture.hpp"
#include "support/mock_embeddings.hpp"
#include "support/mock_vendor_upstreams.hpp"
#include "support/node_runner.hpp"

using namespace sb::test;
using namespace sb::test::it;
namespace utf = boost::unit_test;

namespace {

constexpr std::size_t kInputs = 150;

struct EmbeddingsCase {
    VendorDialect dialect;
    std::string id, env, model;
    std::size_t vendor_calls;  // for kInputs inputs, per create()
};

std::size_t embeddings_calls(const MockVendorUpstream &mock) {
    std::size_t n = 0;
    for (const auto &r : mock.requests())
        n += r.target.ends_with("/embeddings") || r.target.ends_with(":batchEmbedContents") ||
             r.target == "/v2/embed";
    return n;
}

void check_vectors(const json::value &doc, std::string_view where) {
    BOOST_TEST_CONTEXT(where) {
        const auto &vectors = items(doc, std::string(where) + ".vectors");
        BOOST_TEST_REQUIRE(vectors.size() == kInputs);
        for (std::size_t i = 0; i < kInputs; ++i) {
            const std::vector<float> want = mock_embedding("text " + std::to_string(i));
            std::vector<float> got;
            for (const auto &x : vectors[i].as_array())
                got.push_back(static_cast<float>(x.to_number<double>()));
            BOOST_TEST(got == want, "vector " << i);
            BOOST_TEST(number_at(doc, std::string(where) + ".indexes." + std::to_string(i)) ==
                       long(i));
        }
        BOOST_TEST(text(doc, std::string(where) + ".object") == "list");
        BOOST_TEST(number_at(doc, std::string(where) + ".usage.prompt_tokens") ==
                   long(2 * kInputs));
    }
}

void run_embeddings(const EmbeddingsCase &c) {
    const fs::path client_dir{SB_OPENAI_CLIENT_DIR};
    BOOST_REQUIRE_MESSAGE(
        fs::exists(client_dir / "node_modules" / "openai" / "package.json"),
        "the openai npm client is not installed; run: npm ci --prefix tests/openai-client "
        "--no-audit --no-fund");
    Harness h({"switchboard-" + c.id + ".so"});
    MockVendorUpstream mock(c.dialect);
    const std::string key = c.id + "-embeddings-secret-0123456789";
    h.start({{c.env + "_API_KEY", key},
             {c.env + "_API_BASE", mock.base_url()},
             {"LLM_PROVIDER", c.id}});
    NodeResult r = run_node(
        SB_NODE_EXECUTABLE, client_dir,
        {"run.mjs", "--base", "http://127.0.0.1:" + std::to_string(h.daemon().port()) + "/v1",
         "--provider", c.id, "--model", c.model, "--mode", "embeddings", "--inputs",
         std::to_string(kInputs)},
        std::chrono::seconds{60});
    BOOST_REQUIRE_MESSAGE(!r.timed_out && r.exit_code == 0,
                          c.id << ": run.mjs exited " << r.exit_code << "\nstderr: " << r.err
                               << "\ndaemon log:\n"
                               << h.log_text());
    const json::value doc = parse_json(r.out);
    check_vectors(doc, "float");
    check_vectors(doc, "base64");
    check_vectors(doc, "client_default");
    // Three create() calls split in batches, and one for the missing model.
    BOOST_TEST(embeddings_calls(mock) == 3 * c.vendor_calls + 1,
               "vendor calls: " << embeddings_calls(mock));
    BOOST_TEST(is_true(doc, "errors.missing_model.raised"));
    BOOST_TEST(text(doc, "errors.missing_model.class") == "NotFoundError");
    BOOST_TEST(number_at(doc, "errors.missing_model.status") == 404);
    BOOST_TEST(r.out.find(key) == std::string::npos, "the API key reached the client");
    BOOST_TEST(h.log_text().find(key) == std::string::npos, "the API key is in the daemon log");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(openai_client_embeddings)

BOOST_AUTO_TEST_CASE(openai, *utf::timeout(200)) {
    run_embeddings({VendorDialect::openai, "openai", "OPENAI", "text-embedding-3-small", 1});
}
BOOST_AUTO_TEST_CASE(google, *utf::timeout(200)) {
    run_embeddings({VendorDialect::gemini, "google", "GOOGLE", "gemini-embedding-001", 2});
}
BOOST_AUTO_TEST_CASE(cohere, *utf::timeout(200)) {
    run_embeddings({VendorDialect::cohere, "cohere", "COHERE", "embed-v4.0", 2});
}

BOOST_AUTO_TEST_SUITE_END()
