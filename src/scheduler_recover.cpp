// Dead workers: found by their heartbeats (resque-cpp's and Ruby's workers:heartbeat entries,
// node's and resque-cpp's worker:ping:<name> keys), recovered one script per worker.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "failure.hpp"
#include "resque/error.hpp"
#include "resque/lock.hpp"
#include "scheduler_state.hpp"
#include "scripts.hpp"
#include "timefmt.hpp"

namespace resque {

namespace {

std::string glob_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

std::set<std::string> scan(Connection& conn, const std::string& pattern) {
  std::set<std::string> out;  // SCAN may return a key twice
  std::string cursor = "0";
  do {
    const Reply r = conn.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = r.element(0).string();
    for (auto& k : r.element(1).strings()) out.insert(std::move(k));
  } while (cursor != "0");
  return out;
}

// "host:pid:queues" -> "host:pid" (Ruby ids may have ':' in their queues; names never do).
std::string name_of(const std::string& id) {
  const auto a = id.find(':');
  if (a == std::string::npos) return id;
  const auto b = id.find(':', a + 1);
  return b == std::string::npos ? id : id.substr(0, b);
}

std::optional<std::int64_t> ping_time(const std::string& raw) {
  try {
    const Json j = decode_json(raw);
    if (j.is_object() && j.contains("time") && j["time"].is_number())
      return static_cast<std::int64_t>(j["time"].get<double>());
  } catch (const EncodingError&) {
  }
  return std::nullopt;
}

std::optional<std::int64_t> heartbeat_time(const std::string& raw) {
  if (auto tp = detail::parse_time(raw))
    return std::chrono::duration_cast<std::chrono::seconds>(tp->time_since_epoch()).count();
  return std::nullopt;
}

const char* kind_name(RecoveredWorker::Kind k) {
  switch (k) {
    case RecoveredWorker::Kind::ResqueCpp: return "resque-cpp";
    case RecoveredWorker::Kind::Ruby: return "Ruby";
    case RecoveredWorker::Kind::Node: return "node-resque";
  }
  return "?";
}

struct Candidate {
  std::string id, name;
  RecoveredWorker::Kind kind;
  long long silent;
};

}  // namespace

std::size_t Scheduler::State::recover_dead_workers(Connection& conn) {
  const std::int64_t now = std::stoll(conn.command({"TIME"}).element(0).string());
  std::map<std::string, std::string> heartbeats;
  {
    const auto all = conn.command({"HGETALL", keys.heartbeats()}).strings();
    for (std::size_t i = 0; i + 1 < all.size(); i += 2) heartbeats[all[i]] = all[i + 1];
  }
  const std::string ping_prefix = keys.worker_ping("");
  std::map<std::string, std::string> pings;  // name -> raw ping JSON
  {
    const auto found = scan(conn, glob_escape(ping_prefix) + "*");
    std::vector<std::string> ks(found.begin(), found.end());
    for (std::size_t i = 0; i < ks.size(); i += 500) {
      std::vector<std::string_view> argv = {"MGET"};
      for (std::size_t j = i; j < ks.size() && j < i + 500; ++j) argv.push_back(ks[j]);
      const Reply r = conn.command(argv);
      for (std::size_t j = 0; j + 1 < argv.size(); ++j)
        if (!r.element(j).is_nil())
          pings[ks[i + j].substr(ping_prefix.size())] = r.element(j).string();
    }
  }
  const std::string inflight_prefix = keys.inflight("");
  std::set<std::string> inflight_ids;
  for (const auto& k : scan(conn, glob_escape(inflight_prefix) + "*"))
    inflight_ids.insert(k.substr(inflight_prefix.size()));

  std::set<std::string> ids;
  for (const auto& [id, v] : heartbeats) ids.insert(id);
  ids.insert(inflight_ids.begin(), inflight_ids.end());

  std::vector<Candidate> dead;
  std::set<std::string> claimed;  // ping names that belong to resque-cpp workers
  for (const auto& id : ids) {
    const std::string name = name_of(id);
    const auto hb = heartbeats.find(id);
    const auto pg = pings.find(name);
    // Ruby workers write no ping key and keep nothing in flight.
    const bool cpp = inflight_ids.count(id) > 0 || pg != pings.end();
    std::optional<std::int64_t> last;
    if (hb != heartbeats.end()) last = heartbeat_time(hb->second);
    if (cpp) {
      claimed.insert(name);
      if (pg != pings.end())
        if (auto p = ping_time(pg->second); p && (!last || *p > *last)) last = p;
      // No heartbeat and no ping at all: an orphaned in-flight list (e.g. a Ruby worker's
      // pruning unregistered the dead worker but knew nothing of its in-flight job).
      if (last && now - *last <= opts.dead_worker_threshold.count()) continue;
      dead.push_back({id, name, RecoveredWorker::Kind::ResqueCpp, last ? now - *last : -1});
    } else {
      // A heartbeat Ruby cannot parse is left alone (Ruby's own pruner crashes on it).
      if (!last || now - *last <= opts.ruby_dead_worker_threshold.count()) continue;
      dead.push_back({id, name, RecoveredWorker::Kind::Ruby, now - *last});
    }
  }
  std::vector<std::string> members;
  bool members_read = false;
  for (const auto& [name, raw] : pings) {
    if (claimed.count(name)) continue;
    const auto p = ping_time(raw);
    if (!p || now - *p <= opts.node_dead_worker_threshold.count()) continue;
    if (!members_read) {
      members = conn.command({"SMEMBERS", keys.workers()}).strings();
      members_read = true;
    }
    std::string queues;
    try {
      const Json j = decode_json(raw);
      if (j.contains("queues") && j["queues"].is_string()) queues = j["queues"].get<std::string>();
    } catch (const EncodingError&) {
    }
    std::string id = name + ":" + queues;
    if (std::find(members.begin(), members.end(), id) == members.end())
      for (const auto& m : members)
        if (m.rfind(name + ":", 0) == 0) {
          id = m;
          break;
        }
    dead.push_back({id, name, RecoveredWorker::Kind::Node, now - *p});
  }
  if (dead.empty()) return 0;

  // Ruby workers prune only while holding this lock; holding it ourselves keeps a starting Ruby
  // worker from recording the same dead worker's job a second time.
  const std::string prune_lock = keys.key("pruning_dead_workers_in_progress");
  bool ruby_lock = false;
  for (const auto& c : dead)
    if (c.kind == RecoveredWorker::Kind::Ruby) {
      ruby_lock = !conn.command({"SET", prune_lock, opts.name, "EX", "60", "NX"}).is_nil();
      break;
    }

  const auto failed_at = detail::ruby_failed_at(std::chrono::system_clock::now());
  std::size_t recovered = 0;
  for (const auto& c : dead) {
    if (c.kind == RecoveredWorker::Kind::Ruby && !ruby_lock) continue;  // a Ruby worker prunes
    const Reply st = conn.command({"GET", keys.worker(c.id)});
    const std::optional<std::string> status = st.opt_string();
    const auto hb = heartbeats.find(c.id);
    const auto pg = pings.find(c.name);
    std::string record, payload_text;
    if (c.kind != RecoveredWorker::Kind::ResqueCpp && status) {
      // As Ruby's prune_dead_workers records it.
      std::string klass = "(unknown)", queue;
      payload_text = *status;
      try {
        const Json s = decode_json(*status);
        if (s.is_object() && s.contains("payload")) {
          const Json& p = s["payload"];
          payload_text = encode_json(p);
          if (p.is_object() && p.contains("class") && p["class"].is_string())
            klass = p["class"].get<std::string>();
          if (p.is_object() && p.contains("queue") && p["queue"].is_string())
            queue = p["queue"].get<std::string>();
        }
        if (s.is_object() && s.contains("queue") && s["queue"].is_string())
          queue = s["queue"].get<std::string>();
      } catch (const Error&) {
      }
      record = detail::failure_record(
          payload_text, "Resque::PruneDeadWorkerDirtyExit",
          fmt::format("Worker {} did not gracefully exit while processing {}", c.id, klass), {},
          c.id, queue);
    }
    const char* kind = c.kind == RecoveredWorker::Kind::ResqueCpp ? "cpp"
                       : c.kind == RecoveredWorker::Kind::Ruby    ? "ruby"
                                                                  : "node";
    const std::string none;
    const std::vector<std::string> argv = {keys.prefix(),
                                           c.id,
                                           c.name,
                                           kind,
                                           hb != heartbeats.end() ? "1" : "0",
                                           hb != heartbeats.end() ? hb->second : none,
                                           pg != pings.end() ? "1" : "0",
                                           pg != pings.end() ? pg->second : none,
                                           status ? "1" : "0",
                                           status ? *status : none,
                                           std::to_string(opts.max_recoveries),
                                           failed_at,
                                           std::to_string(opts.recovery_count_ttl.count()),
                                           record,
                                           keys.enqueue_channel()};
    const Reply r = conn.eval(scripts::recover_worker(), {},
                              std::vector<std::string_view>(argv.begin(), argv.end()));
    if (r.element(0).string() != "ok") {
      log(LogLevel::Debug,
          fmt::format("scheduler {}: worker {} came back to life; left alone", opts.name, c.id));
      continue;
    }
    RecoveredWorker rw;
    rw.worker_id = c.id;
    rw.kind = c.kind;
    rw.silent_for = c.silent;
    rw.requeued = r.element(1).strings();
    if (c.kind == RecoveredWorker::Kind::ResqueCpp)
      rw.failed = r.element(2).strings();
    else if (status)
      rw.failed.push_back(payload_text);
    ++recovered;
    log(rw.failed.empty() ? LogLevel::Info : LogLevel::Warning,
        fmt::format("scheduler {}: {} worker {} was dead (silent for {} s): {} job(s) put back, "
                    "{} sent to the failed list; unregistered",
                    opts.name, kind_name(c.kind), c.id, c.silent, rw.requeued.size(),
                    rw.failed.size()));
    emit(opts.events.on_worker_recovered, rw);
  }
  if (ruby_lock) {
    // Released only if still ours (it has a TTL; someone may hold it by now).
    Lock(prune_lock).release(conn, opts.name);
  }
  return recovered;
}

}  // namespace resque
