#pragma once
// Snapshot of a Redis database as JSON, in the shape of the golden fixtures
// (tests/fixtures/{node,ruby}/*.json):
//   { "<key>": {"ttl": <seconds, -1 = none>, "type": "string|list|set|zset|hash",
//               "value": <see below>}, ... }   keys sorted bytewise
// value: string -> the string; list -> array in list order; set -> sorted array of members;
// zset -> [[member, score], ...] in Redis order (score an integer when it is one);
// hash -> object of field -> value, fields sorted. Strings are the raw stored bytes.
// Used to compare what resque-cpp writes with what the peers wrote.

#include <string>
#include <vector>

#include "resque/connection.hpp"
#include "resque/json.hpp"

namespace resque::test {

/// Every key matching `pattern` (SCAN MATCH) with its type, TTL and value.
Json dump_redis(Connection& redis, const std::string& pattern = "*");

/// A fixture file under tests/fixtures (e.g. "node/01_enqueue.json"), with the Ruby fixtures'
/// "decoded" members removed so it has the same shape as dump_redis(). Throws on a missing or
/// invalid file.
Json load_fixture(const std::string& relative_path);

/// The dump without the given keys (e.g. node's "resque:connection_test_key").
Json without_keys(Json dump, const std::vector<std::string>& keys);

/// Positive TTLs replaced with "<TTL>" (they depend on timing), as the fixtures' normalized
/// form does.
Json normalize_ttls(Json dump);

}  // namespace resque::test
