#pragma once
// Small Redis command helpers used across the library: server time, SCAN with a pattern, glob
// escaping and batched GET. One implementation each, so their edge cases (SCAN returning a key
// twice, a TIME reply that is not a number, MGET argument limits) are handled in one place.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resque/connection.hpp"

namespace resque::detail {

/// Redis' clock (TIME), whole seconds since the epoch. Scripts and peers judge liveness on
/// Redis' clock, so hosts with skewed clocks agree. Throws ProtocolError on a malformed reply.
std::int64_t server_time(Connection& conn);

/// `s` with the glob characters of SCAN MATCH / KEYS patterns escaped, so "app[1]" matches only
/// itself.
std::string glob_escape(std::string_view s);

/// Every key matching `pattern` (a glob, already escaped where needed), by SCAN (never KEYS,
/// which blocks the server), sorted and without duplicates (SCAN may return a key twice).
std::vector<std::string> scan_keys(Connection& conn, const std::string& pattern);

/// GET of many keys, `batch` keys per MGET, all batches in one round trip. Element i is the
/// value of keys[i], or nullopt when the key does not exist or holds another type.
std::vector<std::optional<std::string>> get_many(Connection& conn,
                                                 const std::vector<std::string>& keys,
                                                 std::size_t batch = 500);

}  // namespace resque::detail
