#pragma once
// Helpers for the Queue integration tests: Redis dumps in the golden fixtures' format, loading
// a fixture into a live Redis, and catching error messages.
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "resque/connection.hpp"

namespace resque::test {

// Plain (std::map) JSON: dumps and fixtures compare regardless of key order.
using PlainJson = nlohmann::json;

inline PlainJson load_fixture(const std::string& relative) {
  const std::string path = std::string(RESQUE_TEST_FIXTURES) + "/" + relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  return PlainJson::parse(in);
}

// A fixture without what a dump does not produce ("decoded") and without the keys listed.
inline PlainJson comparable(PlainJson fixture, const std::set<std::string>& drop = {}) {
  PlainJson out = PlainJson::object();
  for (auto& [k, v] : fixture.items()) {
    if (drop.count(k)) continue;
    out[k] = {{"type", v["type"]}, {"ttl", v["ttl"]}, {"value", v["value"]}};
  }
  return out;
}

// Every key matching `pattern` -> {"type","ttl","value"}, as the fixtures' dump scripts write
// them (strings raw, lists in order, sets sorted, zsets [[member, score]], hashes as objects).
inline PlainJson dump(Connection& c, const std::string& pattern = "*") {
  std::set<std::string> keys;
  std::string cursor = "0";
  do {
    auto r = c.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r.element(0).string();
    for (auto& k : r.element(1).strings()) keys.insert(k);
  } while (cursor != "0");
  PlainJson out = PlainJson::object();
  for (const auto& k : keys) {
    const std::string type = c.command({"TYPE", k}).string();
    PlainJson value;
    if (type == "string") {
      value = c.command({"GET", k}).string();
    } else if (type == "list") {
      value = c.command({"LRANGE", k, "0", "-1"}).strings();
    } else if (type == "set") {
      auto m = c.command({"SMEMBERS", k}).strings();
      std::sort(m.begin(), m.end());
      value = m;
    } else if (type == "zset") {
      auto m = c.command({"ZRANGE", k, "0", "-1", "WITHSCORES"}).strings();
      value = PlainJson::array();
      for (std::size_t i = 0; i + 1 < m.size(); i += 2) {
        const double score = std::stod(m[i + 1]);
        if (score == static_cast<double>(static_cast<long long>(score)))
          value.push_back({m[i], static_cast<long long>(score)});
        else
          value.push_back({m[i], score});
      }
    } else if (type == "hash") {
      auto m = c.command({"HGETALL", k}).strings();
      value = PlainJson::object();
      for (std::size_t i = 0; i + 1 < m.size(); i += 2) value[m[i]] = m[i + 1];
    }
    out[k] = {{"type", type}, {"ttl", c.command({"TTL", k}).integer()}, {"value", value}};
  }
  return out;
}

// Writes a fixture's keys into Redis as they were (TTLs as given, when positive).
inline void restore(Connection& c, const PlainJson& fixture) {
  for (const auto& [k, v] : fixture.items()) {
    const std::string type = v["type"];
    const auto& value = v["value"];
    if (type == "string") {
      c.command({"SET", k, value.get<std::string>()});
    } else if (type == "list") {
      for (const auto& e : value) c.command({"RPUSH", k, e.get<std::string>()});
    } else if (type == "set") {
      for (const auto& e : value) c.command({"SADD", k, e.get<std::string>()});
    } else if (type == "zset") {
      for (const auto& e : value) c.command({"ZADD", k, e[1].dump(), e[0].get<std::string>()});
    } else if (type == "hash") {
      for (const auto& [f, fv] : value.items()) c.command({"HSET", k, f, fv.get<std::string>()});
    }
    if (v["ttl"].get<long long>() > 0) c.command({"EXPIRE", k, v["ttl"].dump()});
  }
}

// The message of the exception `f` throws ("" if none).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace resque::test
