#include "redis_dump.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace resque::test {

namespace {

// "1900000000" -> 1900000000 (integer), "1.5" -> 1.5, "inf" stays a string.
Json score_value(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(s.c_str(), &end, 10);
  if (errno == 0 && end != s.c_str() && *end == '\0') return Json(i);
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  if (errno == 0 && end != s.c_str() && *end == '\0' && d == d && d - d == 0) return Json(d);
  return Json(s);
}

Json key_value(Connection& redis, const std::string& key, const std::string& type) {
  if (type == "string") return Json(redis.command({"GET", key}).string());
  if (type == "list") return Json(redis.command({"LRANGE", key, "0", "-1"}).strings());
  if (type == "set") {
    auto members = redis.command({"SMEMBERS", key}).strings();
    std::sort(members.begin(), members.end());
    return Json(members);
  }
  if (type == "zset") {
    const auto flat = redis.command({"ZRANGE", key, "0", "-1", "WITHSCORES"}).strings();
    Json out = Json::array();
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
      out.push_back(Json::array({flat[i], score_value(flat[i + 1])}));
    return out;
  }
  if (type == "hash") {
    const auto flat = redis.command({"HGETALL", key}).strings();
    std::map<std::string, std::string> sorted;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) sorted[flat[i]] = flat[i + 1];
    Json out = Json::object();
    for (const auto& [f, v] : sorted) out[f] = v;
    return out;
  }
  return Json(nullptr);  // streams and modules' types: only the type is shown
}

}  // namespace

Json dump_redis(Connection& redis, const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    Reply r = redis.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r.element(0).string();
    for (auto& k : r.element(1).strings()) keys.push_back(std::move(k));
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may repeat a key
  Json out = Json::object();
  for (const auto& key : keys) {
    const std::string type = redis.command({"TYPE", key}).string();
    if (type == "none") continue;  // expired or deleted meanwhile
    Json entry = Json::object();
    entry["ttl"] = redis.command({"TTL", key}).integer();
    entry["type"] = type;
    entry["value"] = key_value(redis, key, type);
    out[key] = std::move(entry);
  }
  return out;
}

Json load_fixture(const std::string& relative_path) {
  const std::string path = std::string(RESQUE_TEST_FIXTURES) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Json fixture = decode_json(ss.str());
  // Json objects compare in order, so lay every entry out as dump_redis() does: keys sorted,
  // members ttl, type, value; set members and hash fields sorted; no "decoded".
  std::map<std::string, Json> sorted;
  for (auto& [key, stored] : fixture.items()) {
    Json entry = Json::object();
    entry["ttl"] = stored.at("ttl");
    entry["type"] = stored.at("type");
    Json value = stored.at("value");
    if (entry["type"] == "set" && value.is_array()) {
      std::sort(value.begin(), value.end());
    } else if (entry["type"] == "hash" && value.is_object()) {
      std::map<std::string, Json> fields;
      for (auto& [f, v] : value.items()) fields[f] = v;
      value = Json::object();
      for (auto& [f, v] : fields) value[f] = std::move(v);
    }
    entry["value"] = std::move(value);
    sorted[key] = std::move(entry);
  }
  Json out = Json::object();
  for (auto& [key, entry] : sorted) out[key] = std::move(entry);
  return out;
}

Json without_keys(Json dump, const std::vector<std::string>& keys) {
  for (const auto& k : keys) dump.erase(k);
  return dump;
}

Json normalize_ttls(Json dump) {
  for (auto& [key, entry] : dump.items())
    if (entry.is_object() && entry.contains("ttl") && entry["ttl"].is_number_integer() &&
        entry["ttl"].get<long long>() > 0)
      entry["ttl"] = "<TTL>";
  return dump;
}

}  // namespace resque::test
