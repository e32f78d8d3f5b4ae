// Plugin suites record every vendor request they build so the spec check
// (tests/spec/validate.mjs, run by CTest after the suite) can validate each
// body against the vendor's OpenAPI spec. One JSON file per request:
//   {"spec_path": "/v1/messages", "method": "post", "body": {...}}
// spec_path is the path template as written in the spec (e.g.
// "/v1beta/models/{model}:generateContent"), not the concrete URL.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace sbtest {

inline void dump_spec_request(std::string_view provider, std::string_view name,
                              std::string_view spec_path, std::string_view method,
                              std::string_view body_json) {
    std::filesystem::path dir = std::filesystem::path(SB_SPEC_REQUESTS_DIR) / std::string(provider);
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / (std::string(name) + ".json"), std::ios::binary | std::ios::trunc);
    out << "{\"spec_path\":\"" << spec_path << "\",\"method\":\"" << method << "\",\"body\":" << body_json
        << "}\n";
}

}  // namespace sbtest
