// Queue: removing jobs (by value), queues, delayed jobs and locks.
#include <fmt/format.h>

#include <map>
#include <set>

#include "queue_internal.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"
#include "scripts.hpp"

namespace resque {

namespace {

// Removes the entries of `list` for which `match` holds, at most `count` (0 = all): decode and
// match here (by value, any dialect), remove by the stored bytes in one script.
template <class Match>
long long remove_matching(Connection& conn, const std::string& list, long long count, Match match) {
  const auto raws = conn.command({"LRANGE", list, "0", "-1"}).strings();
  // Distinct raw strings in order of first appearance, with how often each was seen.
  std::vector<std::string> order;
  std::map<std::string, long long> seen;
  long long matched = 0;
  for (const auto& raw : raws) {
    if (count > 0 && matched >= count) break;
    Job job;
    try {
      job = decode_payload(raw);
    } catch (const EncodingError&) {
      continue;  // not a job we could match; never removed by value
    }
    if (!match(job)) continue;
    ++matched;
    if (seen[raw]++ == 0) order.push_back(raw);
  }
  if (order.empty()) return 0;
  std::vector<std::string_view> args;
  args.reserve(1 + order.size() * 2);
  const std::string limit = std::to_string(count > 0 ? count : 0);
  std::vector<std::string> counts;
  counts.reserve(order.size());
  for (const auto& raw : order) counts.push_back(std::to_string(seen[raw]));
  args.push_back(limit);
  for (std::size_t i = 0; i < order.size(); ++i) {
    args.push_back(order[i]);
    args.push_back(counts[i]);
  }
  return conn.eval(scripts::del_matching(), {list}, args).integer();
}

}  // namespace

long long Queue::del(const std::string& queue, const std::string& klass, const Json& args,
                     long long count) {
  detail::require_name(queue, "queue name");
  validate_class_name(klass);
  if (count < 0) throw ConfigError(fmt::format("del: count must be >= 0, got {}", count));
  const Json wanted = detail::normalize_args(args);
  auto conn = pool_->acquire();
  return remove_matching(*conn, keys_.queue(queue), count, [&](const Job& job) {
    return job.klass == klass && detail::same_value(job.args, wanted);
  });
}

long long Queue::del_by_class(const std::string& queue, const std::string& klass) {
  detail::require_name(queue, "queue name");
  validate_class_name(klass);
  auto conn = pool_->acquire();
  return remove_matching(*conn, keys_.queue(queue), 0,
                         [&](const Job& job) { return job.klass == klass; });
}

void Queue::del_queue(const std::string& queue) {
  detail::require_name(queue, "queue name");
  auto conn = pool_->acquire();
  conn->eval(scripts::del_queue(), {keys_.queue(queue), keys_.queues()}, {queue});
}

std::vector<std::int64_t> Queue::del_delayed(const std::string& queue, const std::string& klass,
                                             const Json& args) {
  const Job job = detail::make_job(queue, klass, args);
  const std::string node_item = encode_payload(job);
  const std::string ruby_item = encode_ruby_delayed(job);
  auto conn = pool_->acquire();
  auto r = conn->eval(
      scripts::del_delayed(),
      {keys_.delayed_schedule(), keys_.timestamps(node_item), keys_.timestamps(ruby_item)},
      {keys_.prefix(), node_item, ruby_item});
  std::set<std::int64_t> out;
  for (const auto& s : r.strings()) {
    try {
      out.insert(std::stoll(s));
    } catch (const std::exception&) {
      // a member "delayed:<not a number>" written by someone else; nothing to report
    }
  }
  return {out.begin(), out.end()};
}

bool Queue::del_lock(const std::string& key) {
  // Only lock keys: this must not become a way to delete arbitrary keys by mistake.
  if (key.rfind("lock:", 0) != 0 && key.rfind("workerslock:", 0) != 0)
    throw ConfigError(fmt::format(
        "del_lock: '{}' is not a lock key (expected \"lock:...\" or \"workerslock:...\")", key));
  auto conn = pool_->acquire();
  return conn->command({"DEL", keys_.key(key)}).integer() > 0;
}

}  // namespace resque
