// Drives a plugin's sb.embeddings/1 table (ABI v1.3) through the C ABI, as
// plugin_harness.hpp does the chat functions, and reads the vectors out of
// the OpenAI-shaped list it produces. Shared by the <id>_embeddings_test.cpp
// cases, which CMake adds to the plugin's own suite.
#pragma once

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <optional>

#include "plugin_harness.hpp"
#include "replay_support.hpp"
#include "spec_request_dump.hpp"

namespace sbtest {

struct EmbeddingsParse : Result {
    std::string body;
    int usage_reports = 0;
    sb_usage usage{};
};

// The plugin under test (SB_PLUGIN_PATH of the suite), loaded once.
inline const Plugin &embedder() {
    static Plugin p(SB_PLUGIN_PATH);
    return p;
}

inline const sb_embeddings *embeddings_table(const Plugin &p) {
    const sb_plugin &t = p.table();
    if (t.abi_minor < 3 || !t.get_extension) return nullptr;
    return static_cast<const sb_embeddings *>(t.get_extension(SB_EXT_EMBEDDINGS));
}

inline const sb_embeddings &require_embeddings(const Plugin &p) {
    const sb_embeddings *e = embeddings_table(p);
    BOOST_TEST_REQUIRE(e != nullptr, "the plugin offers no sb.embeddings/1");
    BOOST_TEST_REQUIRE(SB_TABLE_HAS(e, sb_embeddings, parse_embeddings_response));
    return *e;
}

inline ChatResult build_embeddings(const Plugin &p, Config &cfg, std::string_view body,
                                   size_t inputs) {
    ChatResult r;
    sb_embeddings_request req{sizeof(sb_embeddings_request), sb(body), inputs};
    sb_http_request_builder b = Plugin::builder(r.request);
    sb_error_sink es = Plugin::error_sink(r.error);
    r.status = require_embeddings(p).build_embeddings_request(cfg.get(), &req, &b, &es);
    return r;
}

inline EmbeddingsParse parse_embeddings(const Plugin &p, Config &cfg, int status,
                                        std::string_view body) {
    EmbeddingsParse r;
    sb_usage_sink usage{sizeof(sb_usage_sink), &r, [](void *ctx, const sb_usage *u) {
                            auto *me = static_cast<EmbeddingsParse *>(ctx);
                            ++me->usage_reports;
                            me->usage = *u;
                        }};
    sb_http_response resp{sizeof(sb_http_response), status, nullptr, 0, sb(body), &usage};
    sb_sink out{&r.body, [](void *ctx, const char *b, size_t n) {
                    static_cast<std::string *>(ctx)->append(b, n);
                }};
    sb_error_sink es = Plugin::error_sink(r.error);
    r.status = require_embeddings(p).parse_embeddings_response(cfg.get(), &resp, &out, &es);
    return r;
}

// The vectors of the plugin's list, by "index".
inline std::vector<std::vector<float>> list_vectors(const std::string &list) {
    const json::object doc = json::parse(list).as_object();
    BOOST_TEST(doc.at("object").as_string() == "list");
    const json::array &data = doc.at("data").as_array();
    std::vector<std::vector<float>> out(data.size());
    for (const auto &entry : data) {
        const json::object &e = entry.as_object();
        BOOST_TEST(e.at("object").as_string() == "embedding");
        const auto index = e.at("index").to_number<std::size_t>();
        BOOST_TEST_REQUIRE(index < out.size());
        for (const auto &x : e.at("embedding").as_array())
            out[index].push_back(static_cast<float>(x.to_number<double>()));
    }
    return out;
}

// Little-endian float32 from OpenAI's base64, decoded independently of the plugin.
inline std::vector<float> floats_of_base64(std::string_view text) {
    namespace base64 = boost::beast::detail::base64;
    std::string bytes(base64::decoded_size(text.size()), '\0');
    bytes.resize(base64::decode(bytes.data(), text.data(), text.size()).first);
    std::vector<float> out(bytes.size() / 4);
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint32_t bits = 0;
        for (int b = 3; b >= 0; --b)
            bits = (bits << 8) | static_cast<unsigned char>(bytes[i * 4 + b]);
        std::memcpy(&out[i], &bits, 4);
    }
    return out;
}

inline std::vector<float> floats_of_array(const json::value &v) {
    std::vector<float> out;
    for (const auto &x : v.as_array()) out.push_back(static_cast<float>(x.to_number<double>()));
    return out;
}

// Value by value: the plugin's float32 for each of the vendor's values.
inline void expect_same_vectors(const std::vector<std::vector<float>> &got,
                                const std::vector<std::vector<float>> &want) {
    BOOST_TEST_REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        BOOST_TEST_REQUIRE(got[i].size() == want[i].size(), "vector " << i);
        std::size_t differing = 0;
        for (std::size_t k = 0; k < want[i].size(); ++k) differing += got[i][k] != want[i][k];
        BOOST_TEST(differing == 0u, "vector " << i << ": " << differing << " values differ");
    }
}

// A recording's request body, parsed (its "body" is JSON already).
inline const json::object &recorded_request_body(const json::object &rec) {
    return rec.at("request").as_object().at("body").as_object();
}

inline std::string recorded_response_body(const json::object &rec) {
    return std::string(rec.at("response").as_object().at("body").as_string());
}

inline int recorded_status(const json::object &rec) {
    return rec.at("response").as_object().at("status").to_number<int>();
}

// Replays a recording's answer through the plugin. The recordings' only
// error answers are unknown models: MODEL_NOT_FOUND, and nullopt. A 200
// must give the vendor's own vectors (vendor_vectors reads them from the
// vendor's JSON), value by value; the parse is returned for its usage.
template <class VendorVectors>
std::optional<EmbeddingsParse> replay_answer(Config &c, const json::object &rec,
                                             VendorVectors vendor_vectors) {
    const std::string answer = recorded_response_body(rec);
    EmbeddingsParse parsed = parse_embeddings(embedder(), c, recorded_status(rec), answer);
    if (recorded_status(rec) != 200) {
        BOOST_TEST(parsed.status == SB_ERR_UPSTREAM);
        BOOST_TEST(parsed.error.kind == SB_ERROR_MODEL_NOT_FOUND);
        BOOST_TEST(parsed.error.http_status == recorded_status(rec));
        return std::nullopt;
    }
    BOOST_TEST_REQUIRE(parsed.status == SB_OK, parsed.error.message);
    expect_same_vectors(list_vectors(parsed.body), vendor_vectors(json::parse(answer).as_object()));
    return parsed;
}

}  // namespace sbtest
