#include "protocol/scheduler_scripts.hpp"

#include <charconv>

#include "resque/error.hpp"
#include "scripts.hpp"

namespace resque::protocol {

namespace {
std::vector<std::string_view> views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}
}  // namespace

DueBatch delayed_due(Connection& conn, const Keys& keys, long long batch,
                     std::optional<std::int64_t> upto) {
  std::vector<std::string> argv{keys.prefix(), std::to_string(batch)};
  if (upto) argv.push_back(std::to_string(*upto));
  const Reply r = conn.eval(scripts::delayed_due(), {keys.delayed_schedule()}, views(argv));
  DueBatch out;
  const std::string_view now = r.element(0).str();
  if (std::from_chars(now.data(), now.data() + now.size(), out.now).ec != std::errc())
    throw ProtocolError("delayed_due: the time is not a number");
  for (std::size_t i = 1; i + 1 < r.size(); i += 2) {
    DueTimestamp d;
    d.ts = r.element(i).string();
    if (r.element(i + 1).is_nil())
      d.wrong_type = true;
    else
      d.items = r.element(i + 1).strings();
    out.due.push_back(std::move(d));
  }
  return out;
}

std::vector<std::vector<bool>> promote(Connection& conn, const Keys& keys,
                                       const std::vector<PromoteGroup>& groups) {
  std::vector<std::string> k{keys.delayed_schedule(), keys.queues(), keys.failed()};
  std::vector<std::string> argv{keys.enqueue_channel(), keys.prefix(),
                                std::to_string(groups.size())};
  std::size_t total = 0;
  for (const auto& g : groups) total += g.moves.size();
  k.reserve(3 + groups.size() * 2 + total * 2);
  argv.reserve(3 + groups.size() * 3 + total * 4);
  for (const auto& g : groups) {
    k.push_back(keys.key("delayed:" + g.ts));
    k.push_back(keys.promoted(g.ts));
    argv.insert(argv.end(), {g.ts, "delayed:" + g.ts, std::to_string(g.moves.size())});
    for (const auto& m : g.moves) {
      k.push_back(keys.timestamps(m.raw));
      argv.push_back(m.raw);
      switch (m.action) {
        case PromoteAction::Push:
          k.push_back(keys.queue(m.queue));
          argv.insert(argv.end(), {"push", m.queue, m.payload});
          break;
        case PromoteAction::Fail:
          k.push_back(keys.failed());
          argv.insert(argv.end(), {"fail", m.record, ""});
          break;
        case PromoteAction::Defer:
          k.push_back(keys.delayed(m.defer_to));
          argv.insert(argv.end(), {"defer", std::to_string(m.defer_to),
                                   "delayed:" + std::to_string(m.defer_to)});
          break;
        case PromoteAction::Drop:
          k.push_back(keys.failed());  // unused
          argv.insert(argv.end(), {"drop", "", ""});
          break;
      }
    }
  }
  const Reply r = conn.eval(scripts::promote(), views(k), views(argv));
  std::vector<std::vector<bool>> out;
  std::size_t at = 0;
  for (const auto& g : groups) {
    std::vector<bool> moved(g.moves.size(), false);
    for (std::size_t i = 0; i < g.moves.size(); ++i, ++at)
      moved[i] = at < r.size() && r.element(at).integer() == 1;
    out.push_back(std::move(moved));
  }
  return out;
}

std::vector<bool> promote(Connection& conn, const Keys& keys, const std::string& ts,
                          const std::vector<PromoteMove>& moves) {
  return promote(conn, keys, std::vector<PromoteGroup>{{ts, moves}}).front();
}

bool schedule_fire(Connection& conn, const Keys& keys, const FireArgs& a) {
  const std::string queue = a.queue.value_or("");
  return conn.eval(scripts::schedule_fire(),
                   {keys.last_enqueued_at(), keys.queues(), keys.queue(queue)},
                   {keys.enqueue_channel(), a.name, a.last_seen ? "1" : "0",
                    a.last_seen.value_or(""), a.record, queue, a.payload})
             .integer() == 1;
}

}  // namespace resque::protocol
