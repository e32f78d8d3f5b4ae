#include "core/store/store_settings.hpp"

#include <boost/url/parse.hpp>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/trusted_file.hpp"

namespace sb::core {

std::string RedisEndpoint::url() const {
    const bool v6 = host.find(':') != std::string::npos;
    return "redis://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

RedisEndpoint parse_redis_url(std::string_view text) {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) throw std::invalid_argument("not a URL (expected redis://HOST:PORT)");
    const auto &u = *parsed;
    if (u.scheme() != "redis")
        throw std::invalid_argument("unsupported scheme '" + std::string(u.scheme()) +
                                    "' (expected redis://HOST:PORT)");
    if (u.has_userinfo())
        throw std::invalid_argument(
            "a user or password in the URL is not supported (it would show in process "
            "lists and logs): run Redis on a private network or loopback");
    if (u.has_query() || u.has_fragment() || !(u.path().empty() || u.path() == "/"))
        throw std::invalid_argument(
            "only redis://HOST:PORT is supported (no database path, query or fragment)");
    RedisEndpoint endpoint;
    endpoint.host = u.host_address();
    if (endpoint.host.empty())
        throw std::invalid_argument("the URL names no host (expected redis://HOST:PORT)");
    if (u.has_port()) {
        auto port = u.port();
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value == 0 ||
            value > 65535)
            throw std::invalid_argument("invalid port '" + std::string(port) + "'");
        endpoint.port = static_cast<unsigned short>(value);
    }
    return endpoint;
}

std::optional<RedisEndpoint> choose_store(std::string_view flag_value, const Environment &env) {
    std::string from = "--store";
    std::string value(flag_value);
    if (value.empty()) {
        value = env.get("SWITCHBOARD_REDIS_URL");
        from = "SWITCHBOARD_REDIS_URL";
    }
    if (value.empty() || value == "file") return std::nullopt;
    try {
        return parse_redis_url(value);
    } catch (const std::invalid_argument &e) {
        throw std::invalid_argument(from + ": " + e.what());
    }
}

SecretKey load_secret_key(const Environment &env) {
    const std::string inline_key = env.get("SWITCHBOARD_SECRET_KEY");
    const std::string file = env.get("SWITCHBOARD_SECRET_KEY_FILE");
    if (!inline_key.empty() && !file.empty())
        throw std::runtime_error(
            "both SWITCHBOARD_SECRET_KEY and SWITCHBOARD_SECRET_KEY_FILE are set: keep one");
    if (inline_key.empty() && file.empty())
        throw std::runtime_error(
            "--store redis:// needs the secret key that encrypts vendor keys in Redis: set "
            "SWITCHBOARD_SECRET_KEY (64 hex digits, e.g. from `openssl rand -hex 32`) or "
            "SWITCHBOARD_SECRET_KEY_FILE (a file holding them), the same on every daemon");
    try {
        if (!inline_key.empty()) return parse_secret_key(inline_key);
        warn_unless_trusted_secret(file);
        std::ifstream in(file, std::ios::binary);
        if (!in) throw std::runtime_error("cannot read " + file);
        std::ostringstream text;
        text << in.rdbuf();
        return parse_secret_key(text.str());
    } catch (const std::runtime_error &e) {
        throw std::runtime_error(
            (inline_key.empty() ? "SWITCHBOARD_SECRET_KEY_FILE: " : "SWITCHBOARD_SECRET_KEY: ") +
            std::string(e.what()));
    }
}

}  // namespace sb::core
