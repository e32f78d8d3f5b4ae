// What the host accepts from a plugin's parse_embeddings_response: one entry
// per input, each index once, numbers only. Anything else is the plugin's
// fault, reported as an upstream error naming it, never passed to a client.
#define BOOST_TEST_MODULE embedding_list
#include "core/errors.hpp"
#include "core/gateway/embeddings.hpp"

#include <boost/test/unit_test.hpp>

using sb::core::ErrorCode;
using sb::core::GatewayError;
using sb::core::read_embedding_list;

namespace {

bool refused(std::string_view list, std::size_t expected) {
    try {
        read_embedding_list(list, expected, "acme");
    } catch (const GatewayError &e) {
        BOOST_TEST((e.code() == ErrorCode::upstream_error));
        BOOST_TEST(e.provider() == "acme");
        return true;
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_vectors_by_index_and_the_vendor_model) {
    std::string model;
    auto vectors = read_embedding_list(
        R"({"object":"list","model":"m-2","data":[{"index":1,"embedding":[3]},{"index":0,"embedding":[1,2.5]}]})", 2,
        "acme", &model);
    BOOST_TEST_REQUIRE(vectors.size() == 2u);
    BOOST_TEST((vectors[0] == std::vector<float>{1.0f, 2.5f}));
    BOOST_TEST((vectors[1] == std::vector<float>{3.0f}));
    BOOST_TEST(model == "m-2");
}

BOOST_AUTO_TEST_CASE(refuses_lists_that_do_not_match_the_batch) {
    BOOST_TEST(refused("not json", 1));
    BOOST_TEST(refused(R"({"data":{}})", 1));
    BOOST_TEST(refused(R"({"data":[{"index":0,"embedding":[1]}]})", 2), "fewer vectors than inputs");
    BOOST_TEST(refused(R"({"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]})", 2), "repeated index");
    BOOST_TEST(refused(R"({"data":[{"index":5,"embedding":[1]}]})", 1), "index out of range");
    BOOST_TEST(refused(R"({"data":[{"index":0,"embedding":["1"]}]})", 1), "a string value");
    BOOST_TEST(refused(R"({"data":[{"embedding":[1]}]})", 1), "no index");
    BOOST_TEST(!refused(R"({"data":[{"index":0,"embedding":[]}]})", 1));
}
