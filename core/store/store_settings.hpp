#pragma once
// Where the shared state lives: the embedded file store (the default) or a
// Redis server named by `--store redis://HOST:PORT` or SWITCHBOARD_REDIS_URL,
// and the operator's secret key that seals vendor keys stored there
// (SWITCHBOARD_SECRET_KEY, or SWITCHBOARD_SECRET_KEY_FILE holding it).
#include <optional>
#include <string>
#include <string_view>

#include "core/config/environment.hpp"
#include "core/store/secret_box.hpp"

namespace sb::core {

struct RedisEndpoint {
    std::string host;  // a name or an address; an IPv6 address without brackets
    unsigned short port = 6379;

    // "redis://host:port", for logs (it holds no secret: credentials in the
    // URL are refused).
    std::string url() const;
};

// "redis://HOST[:PORT][/]". Throws std::invalid_argument saying what is
// wrong: another scheme, a user or password (secrets stay out of URLs and
// command lines), a database path, a query, a bad port.
RedisEndpoint parse_redis_url(std::string_view url);

// The store chosen by the --store flag's value (empty when not given) or
// else by SWITCHBOARD_REDIS_URL: nullopt for the file store ("file", or
// neither set). Throws std::invalid_argument on a malformed value, naming
// where it came from.
std::optional<RedisEndpoint> choose_store(std::string_view flag_value, const Environment &env);

// The secret key from SWITCHBOARD_SECRET_KEY or the file named by
// SWITCHBOARD_SECRET_KEY_FILE. Throws std::runtime_error when neither or
// both are set, or the value is not 64 hex digits; the message never holds
// the value.
SecretKey load_secret_key(const Environment &env);

}  // namespace sb::core
