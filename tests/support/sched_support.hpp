#pragma once
// Helpers for the scheduler tests: loading golden Redis snapshots (tests/fixtures/{ruby,node},
// {KEY: {"type","ttl","value"}}) into a server, reading keys back, and fast scheduler options.
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "resque/connection.hpp"
#include "resque/json.hpp"
#include "resque/scheduler.hpp"

namespace resque::test {

inline Json read_fixture(const std::string& relative) {
  const std::string path = std::string(RESQUE_TEST_FIXTURES) + "/" + relative;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Json::parse(ss.str());
}

/// Writes every key of a snapshot as it was stored (raw values, TTLs dropped).
inline void load_fixture(Connection& c, const Json& snapshot) {
  for (const auto& [key, e] : snapshot.items()) {
    const std::string type = e.at("type").get<std::string>();
    const Json& v = e.at("value");
    c.command({"DEL", key});
    if (type == "string") {
      c.command({"SET", key, v.get<std::string>()});
    } else if (type == "list") {
      for (const auto& item : v) c.command({"RPUSH", key, item.get<std::string>()});
    } else if (type == "set") {
      for (const auto& item : v) c.command({"SADD", key, item.get<std::string>()});
    } else if (type == "zset") {
      for (const auto& item : v)
        c.command({"ZADD", key, std::to_string(item[1].get<double>()), item[0].get<std::string>()});
    } else if (type == "hash") {
      for (const auto& [f, x] : v.items()) c.command({"HSET", key, f, x.get<std::string>()});
    } else {
      throw std::runtime_error("fixture key " + key + " has unknown type " + type);
    }
  }
}

inline std::set<std::string> all_keys(Connection& c) {
  auto v = c.command({"KEYS", "*"}).strings();
  return {v.begin(), v.end()};
}

inline std::vector<std::string> list(Connection& c, const std::string& key) {
  return c.command({"LRANGE", key, "0", "-1"}).strings();
}

inline std::int64_t redis_now(Connection& c) {
  return std::stoll(c.command({"TIME"}).element(0).string());
}

/// Options for tests: quick polls, short lock TTL, small thresholds, UTC crons.
inline SchedulerOptions fast_scheduler(const std::string& name) {
  SchedulerOptions o;
  o.name = name;
  o.poll_interval = std::chrono::milliseconds(50);
  o.leader_lock_ttl = std::chrono::seconds(2);
  o.dead_worker_check_interval = std::chrono::milliseconds(100);
  o.dead_worker_threshold = std::chrono::seconds(3);
  o.veto_retry_delay = std::chrono::seconds(1);
  o.cron_time_zone = "UTC";
  return o;
}

}  // namespace resque::test
