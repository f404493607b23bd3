// Queue: read-only inspection of queues, delayed jobs, locks, stats and workers, whoever wrote
// them (Ruby, node, resque-cpp).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "protocol/worker.hpp"
#include "queue_internal.hpp"
#include "redis/commands.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

namespace resque {

namespace {
using detail::get_many;
using detail::scan_keys;

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// GET of many keys in one round trip; keys that vanished meanwhile are left out.
std::vector<std::pair<std::string, std::string>> get_all(Connection& conn,
                                                         const std::vector<std::string>& keys) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto values = get_many(conn, keys);
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (values[i]) out.emplace_back(keys[i], std::move(*values[i]));
  return out;
}

// "delayed:<S>" (a timestamps: member) -> S.
std::optional<std::int64_t> delayed_member_ts(std::string_view member) {
  constexpr std::string_view kPrefix = "delayed:";
  if (member.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return to_int(member.substr(kPrefix.size()));
}

}  // namespace

std::vector<std::string> Queue::queues() {
  auto conn = pool_->acquire();
  auto names = conn->command({"SMEMBERS", keys_.queues()}).strings();
  std::sort(names.begin(), names.end());
  return names;
}

long long Queue::length(const std::string& queue) {
  detail::require_name(queue, "queue name");
  auto conn = pool_->acquire();
  return conn->command({"LLEN", keys_.queue(queue)}).integer();
}

std::vector<Job> Queue::queued(const std::string& queue, long long start, long long stop) {
  detail::require_name(queue, "queue name");
  auto conn = pool_->acquire();
  auto raws =
      conn->command({"LRANGE", keys_.queue(queue), std::to_string(start), std::to_string(stop)})
          .strings();
  return detail::decode_jobs(raws, queue);
}

std::vector<std::int64_t> Queue::timestamps() {
  auto conn = pool_->acquire();
  auto members = conn->command({"ZRANGE", keys_.delayed_schedule(), "0", "-1"}).strings();
  std::vector<std::int64_t> out;
  out.reserve(members.size());
  for (const auto& m : members)
    if (auto ts = to_int(m)) out.push_back(*ts);
  // Numerically: node sorts its millisecond strings lexicographically, which is wrong.
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<Job> Queue::delayed_at(std::int64_t timestamp) {
  auto conn = pool_->acquire();
  auto raws = conn->command({"LRANGE", keys_.delayed(timestamp), "0", "-1"}).strings();
  return detail::decode_jobs(raws, "");
}

std::map<std::int64_t, std::vector<Job>> Queue::all_delayed() {
  const auto stamps = timestamps();
  std::map<std::int64_t, std::vector<Job>> out;
  if (stamps.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(stamps.size());
  for (auto ts : stamps) commands.push_back({"LRANGE", keys_.delayed(ts), "0", "-1"});
  auto conn = pool_->acquire();
  auto replies = conn->pipeline(commands);
  for (std::size_t i = 0; i < stamps.size(); ++i) {
    if (replies[i].is_error())
      throw ReplyError(fmt::format("LRANGE {} on {}: {}", commands[i][1],
                                   pool_->options().describe(), replies[i].str()));
    // A schedule entry can outlive its list for a moment (node's delDelayed leaves it for the
    // scheduler to drop); such timestamps hold no jobs and are left out.
    auto jobs = detail::decode_jobs(replies[i].strings(), "");
    if (!jobs.empty()) out.emplace(stamps[i], std::move(jobs));
  }
  return out;
}

std::vector<std::int64_t> Queue::scheduled_at(const std::string& queue, const std::string& klass,
                                              const Json& args) {
  const Job job = detail::make_job(queue, klass, args);
  auto conn = pool_->acquire();
  auto replies = conn->pipeline({{"SMEMBERS", keys_.timestamps(encode_delayed(job, Dialect::node))},
                                 {"SMEMBERS", keys_.timestamps(encode_ruby_delayed(job))}});
  std::set<std::int64_t> found;
  for (auto& r : replies) {
    if (r.is_error())
      throw ReplyError(
          fmt::format("SMEMBERS timestamps on {}: {}", pool_->options().describe(), r.str()));
    for (const auto& m : r.strings())
      if (auto ts = delayed_member_ts(m)) found.insert(*ts);
  }
  return {found.begin(), found.end()};
}

std::map<std::string, std::string> Queue::locks() {
  auto conn = pool_->acquire();
  auto keys = scan_keys(*conn, keys_.pattern("lock:*"));
  auto more = scan_keys(*conn, keys_.pattern("workerslock:*"));
  keys.insert(keys.end(), more.begin(), more.end());
  std::map<std::string, std::string> out;
  for (auto& [k, v] : get_all(*conn, keys)) out.emplace(std::string(keys_.strip(k)), std::move(v));
  return out;
}

std::map<std::string, long long> Queue::stats() {
  auto conn = pool_->acquire();
  auto keys = scan_keys(*conn, keys_.pattern("stat:*"));
  std::map<std::string, long long> out;
  const std::string stat_prefix = keys_.stat("");
  for (auto& [k, v] : get_all(*conn, keys)) {
    auto n = to_int(v);
    if (!n) continue;  // not a counter (nobody writes one; skip rather than fail)
    out.emplace(k.substr(stat_prefix.size()), *n);
  }
  return out;
}

std::vector<WorkerInfo> Queue::workers() {
  auto conn = pool_->acquire();
  auto ids = conn->command({"SMEMBERS", keys_.workers()}).strings();
  std::sort(ids.begin(), ids.end());
  std::vector<WorkerInfo> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.push_back(protocol::parse_worker_id(id));
  return out;
}

namespace {
using detail::get_many;
using detail::scan_keys;
// A worker status as stored: JSON (Ruby's or node's), or the raw text when it is not JSON.
Json parse_status(const std::string& raw) {
  try {
    return decode_json(raw);
  } catch (const EncodingError&) {
    return Json(raw);
  }
}
}  // namespace

std::optional<Json> Queue::working_on(const std::string& worker_id) {
  detail::require_name(worker_id, "worker id");
  auto conn = pool_->acquire();
  auto v = conn->command({"GET", keys_.worker(worker_id)}).opt_string();
  if (!v) return std::nullopt;
  return parse_status(*v);
}

std::map<std::string, Json> Queue::all_working_on() {
  auto conn = pool_->acquire();
  auto ids = conn->command({"SMEMBERS", keys_.workers()}).strings();
  std::map<std::string, Json> out;
  if (ids.empty()) return out;
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(keys_.worker(id));
  std::vector<std::string_view> argv{"MGET"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  auto r = conn->command(argv);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto v = r.element(i).opt_string();
    out.emplace(ids[i], v ? parse_status(*v) : Json("started"));
  }
  return out;
}

}  // namespace resque
