// Queue: removing jobs (by value), queues, delayed jobs and locks.
#include <fmt/format.h>

#include <map>

#include "protocol/queue_scripts.hpp"
#include "queue_internal.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

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
  protocol::DelMatchingArgs args{list, count > 0 ? count : 0, {}};
  args.entries.reserve(order.size());
  for (auto& raw : order) {
    const long long times = seen[raw];
    args.entries.emplace_back(std::move(raw), times);
  }
  return protocol::del_matching(conn, args);
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
  protocol::del_queue(*conn, keys_, queue);
}

std::vector<std::int64_t> Queue::del_delayed(const std::string& queue, const std::string& klass,
                                             const Json& args) {
  const Job job = detail::make_job(queue, klass, args);
  const protocol::DelDelayedArgs items{encode_delayed(job, Dialect::node),
                                       encode_ruby_delayed(job)};
  auto conn = pool_->acquire();
  return protocol::del_delayed(*conn, keys_, items);
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
