#pragma once
// Plain HTTP message values exchanged between plugins, the upstream client
// and the routes; no Asio here so any file can include it cheaply.
#include <string>
#include <utility>
#include <vector>

namespace sb::core {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct UpstreamRequest {
    std::string method = "POST";
    std::string url;  // absolute http:// or https:// URL
    HeaderList headers;
    std::string body;
};

struct UpstreamResponse {
    int status = 0;
    HeaderList headers;
    std::string body;
};

}  // namespace sb::core
