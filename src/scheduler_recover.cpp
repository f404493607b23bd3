// Dead workers: found by their heartbeats (resque-cpp's and Ruby's workers:heartbeat entries,
// node's and resque-cpp's worker:ping:<name> keys), recovered one script per worker.
//
// Cost O(workers), not O(keys): a check reads workers:heartbeat, the `workers` set and
// resque-cpp's index of its workers (Keys::cpp_workers, kept by the register/teardown scripts
// and the heartbeat), then the ping key of every name found there and whether each indexed
// worker's inflight:<id> exists. Only every kOrphanScanInterval (and at a Scheduler's first
// check) does it SCAN the keyspace for worker:ping:* and inflight:* keys no index names:
// in-flight lists of workers that registered before the index existed or whose index entry was
// lost, and node workers whose `workers` entry is gone but whose ping stayed.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "protocol/worker.hpp"
#include "protocol/worker_scripts.hpp"
#include "redis/commands.hpp"
#include "resque/error.hpp"
#include "resque/failure.hpp"
#include "resque/lock.hpp"
#include "scheduler_state.hpp"
#include "scripts.hpp"
#include "time/timefmt.hpp"

namespace resque {

namespace {

const char* kind_name(RecoveredWorker::Kind k) {
  switch (k) {
    case RecoveredWorker::Kind::ResqueCpp: return "resque-cpp";
    case RecoveredWorker::Kind::Ruby: return "Ruby";
    case RecoveredWorker::Kind::Node: return "node-resque";
  }
  return "?";
}

// How often the dead-worker check also scans the whole keyspace for orphans (above).
constexpr std::chrono::minutes kOrphanScanInterval{10};

struct Candidate {
  std::string id, name;
  RecoveredWorker::Kind kind;
  long long silent;
};

}  // namespace

std::size_t Scheduler::State::recover_dead_workers(Connection& conn) {
  const std::int64_t now = detail::server_time(conn);
  std::map<std::string, std::string> heartbeats;
  {
    const auto all = conn.command({"HGETALL", keys.heartbeats()}).strings();
    for (std::size_t i = 0; i + 1 < all.size(); i += 2) heartbeats[all[i]] = all[i + 1];
  }
  const auto index_list = conn.command({"SMEMBERS", keys.cpp_workers()}).strings();
  const std::set<std::string> indexed(index_list.begin(), index_list.end());
  std::vector<std::string> members = conn.command({"SMEMBERS", keys.workers()}).strings();
  const auto steady_now = std::chrono::steady_clock::now();
  const bool full_scan = !last_orphan_scan || steady_now - *last_orphan_scan >= kOrphanScanInterval;

  const std::string ping_prefix = keys.worker_ping("");
  const std::string inflight_prefix = keys.inflight("");
  std::map<std::string, std::string> pings;  // name -> raw ping JSON
  std::set<std::string> inflight_ids;
  if (full_scan) {
    const auto ks = detail::scan_keys(conn, detail::glob_escape(ping_prefix) + "*");
    const auto values = detail::get_many(conn, ks);
    for (std::size_t i = 0; i < ks.size(); ++i)
      if (values[i]) pings[ks[i].substr(ping_prefix.size())] = *values[i];
    for (const auto& k : detail::scan_keys(conn, detail::glob_escape(inflight_prefix) + "*"))
      inflight_ids.insert(k.substr(inflight_prefix.size()));
    last_orphan_scan = steady_now;
  } else {
    std::set<std::string> names;
    for (const auto& [id, v] : heartbeats) names.insert(protocol::parse_worker_id(id).name);
    for (const auto& id : indexed) names.insert(protocol::parse_worker_id(id).name);
    for (const auto& id : members) names.insert(protocol::parse_worker_id(id).name);
    std::vector<std::string> ks;
    for (const auto& n : names) ks.push_back(ping_prefix + n);
    const auto values = detail::get_many(conn, ks);
    for (std::size_t i = 0; i < ks.size(); ++i)
      if (values[i]) pings[ks[i].substr(ping_prefix.size())] = *values[i];
    std::vector<std::vector<std::string>> exists;
    for (const auto& id : indexed) exists.push_back({"EXISTS", keys.inflight(id)});
    if (!exists.empty()) {
      const auto replies = conn.pipeline(exists);
      std::size_t i = 0;
      for (const auto& id : indexed) {
        const auto& r = replies[i++];
        if (r.is_error()) throw ReplyError(fmt::format("reading worker {}: {}", id, r.str()));
        if (r.integer() > 0) inflight_ids.insert(id);
      }
    }
  }

  std::set<std::string> ids;
  for (const auto& [id, v] : heartbeats) ids.insert(id);
  ids.insert(inflight_ids.begin(), inflight_ids.end());
  ids.insert(indexed.begin(), indexed.end());

  std::vector<Candidate> dead;
  std::set<std::string> claimed;  // ping names that belong to resque-cpp workers
  for (const auto& id : ids) {
    const std::string name = protocol::parse_worker_id(id).name;
    const auto hb = heartbeats.find(id);
    const auto pg = pings.find(name);
    // Ruby workers write no ping key and keep nothing in flight. An indexed worker is ours
    // even when a peer's cleanup deleted its ping (node) or its heartbeat (Ruby).
    const bool cpp = indexed.count(id) > 0 || inflight_ids.count(id) > 0 || pg != pings.end();
    std::optional<std::int64_t> last;
    if (hb != heartbeats.end()) last = protocol::decode_heartbeat(hb->second);
    if (cpp) {
      claimed.insert(name);
      if (pg != pings.end())
        if (auto p = protocol::decode_ping(pg->second).time; p && (!last || *p > *last)) last = p;
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
  for (const auto& [name, raw] : pings) {
    if (claimed.count(name)) continue;
    const protocol::Ping ping = protocol::decode_ping(raw);
    const auto p = ping.time;
    if (!p || now - *p <= opts.node_dead_worker_threshold.count()) continue;
    std::string id = name + ":" + ping.queues;
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
    const protocol::WorkerKeys wk(keys, c.id, c.name);
    // One pipeline, so the three are read back to back. The recover script re-checks the
    // status and the in-flight list; the kept queue changes only with them (worker_step.lua).
    const auto read = conn.pipeline(
        {{"GET", wk.status}, {"LRANGE", wk.inflight, "0", "-1"}, {"GET", wk.inflight_queue}});
    for (std::size_t i = 0; i < 2; ++i)
      if (read[i].is_error())
        throw ReplyError(fmt::format("reading worker {}: {}", c.id, read[i].str()));
    const std::optional<std::string> status = read[0].opt_string();
    const auto hb = heartbeats.find(c.id);
    const auto pg = pings.find(c.name);
    const auto decoded = status ? protocol::decode_status(*status) : std::nullopt;
    protocol::RecoverArgs args;
    args.kind = c.kind == RecoveredWorker::Kind::ResqueCpp ? protocol::RecoverArgs::Kind::Cpp
                : c.kind == RecoveredWorker::Kind::Ruby    ? protocol::RecoverArgs::Kind::Ruby
                                                           : protocol::RecoverArgs::Kind::Node;
    if (hb != heartbeats.end()) args.heartbeat = hb->second;
    if (pg != pings.end()) args.ping = pg->second;
    args.status = status;
    args.max_recoveries = opts.max_recoveries;
    args.counter_ttl = opts.recovery_count_ttl.count();
    std::string payload_text;
    if (c.kind != RecoveredWorker::Kind::ResqueCpp && status) {
      // As Ruby's prune_dead_workers records it.
      std::string klass = "(unknown)", queue;
      payload_text = *status;
      if (decoded && !decoded->payload.is_null()) {
        payload_text = encode_json(decoded->payload);
        if (!decoded->klass().empty()) klass = decoded->klass();
        if (decoded->payload.is_object() && decoded->payload.contains("queue") &&
            decoded->payload["queue"].is_string())
          queue = decoded->payload["queue"].get<std::string>();
      }
      if (decoded && !decoded->queue.empty()) queue = decoded->queue;
      args.foreign_record = encode_failure({failed_at,
                                            payload_text,
                                            std::string(failure_kind::kPruneDeadWorkerDirtyExit),
                                            protocol::dirty_exit_error(c.id, klass),
                                            {},
                                            c.id,
                                            queue});
    }
    if (c.kind == RecoveredWorker::Kind::ResqueCpp) {
      std::string status_queue = decoded ? decoded->queue : std::string();
      // A peer's pruner may have deleted the status, and a Ruby-dialect payload names no queue.
      // The worker step kept the queue of the job it pushed last (the list's last entry) beside
      // the in-flight copy; a wrong type there (anyone may write it) reads as not kept.
      std::string kept_queue;
      if (read[2].type() == Reply::Type::String) kept_queue = read[2].string();
      // Jobs taken by a version that kept no queue: a worker that listens on one concrete
      // queue can only have taken its job from there.
      if (status_queue.empty() && kept_queue.empty()) {
        try {
          const auto w = protocol::parse_worker_id(c.id);
          if (w.queues.size() == 1 && w.queues[0].find_first_of("*?[") == std::string::npos)
            status_queue = w.queues[0];
        } catch (const Error&) {
        }
      }
      auto inflight = read[1].strings();
      for (std::size_t i = 0; i < inflight.size(); ++i) {
        auto& raw = inflight[i];
        protocol::RecoverArgs::Item item;
        item.queue = status_queue;
        if (item.queue.empty() && i + 1 == inflight.size()) item.queue = kept_queue;
        if (item.queue.empty()) {
          try {
            item.queue = decode_payload(raw).queue;
          } catch (const EncodingError&) {
          }
        }
        const std::string error =
            item.queue.empty()
                ? fmt::format(
                      "Worker {} died while performing it, and the job names no queue to "
                      "put it back on",
                      c.id)
                : fmt::format(
                      "Worker {} died while performing it; workers died while performing "
                      "it {} times (max_recoveries {}), so it is not put back again",
                      c.id, opts.max_recoveries + 1, opts.max_recoveries);
        item.record = encode_failure(
            {failed_at, raw, std::string(failure_kind::kWorkerDied), error, {}, c.id, item.queue});
        item.payload = std::move(raw);
        args.items.push_back(std::move(item));
      }
    }
    const protocol::RecoverResult res = protocol::recover_worker(conn, keys, wk, args);
    if (res.changed) {
      log(LogLevel::Debug,
          fmt::format("scheduler={} worker={} came back to life; left alone", opts.name, c.id));
      continue;
    }
    RecoveredWorker rw;
    rw.worker_id = c.id;
    rw.kind = c.kind;
    rw.silent_for = c.silent;
    rw.requeued = res.requeued;
    if (c.kind == RecoveredWorker::Kind::ResqueCpp)
      rw.failed = res.failed;
    else if (status)
      rw.failed.push_back(payload_text);
    ++recovered;
    // job_stats(): by class and the queue each job was taken from.
    auto queue_of = [&](const std::string& raw) {
      for (const auto& item : args.items)
        if (item.payload == raw) return item.queue;
      return decoded ? decoded->queue : std::string();
    };
    for (const auto& raw : rw.requeued) count_recovered(raw, queue_of(raw), false);
    for (const auto& raw : rw.failed) count_recovered(raw, queue_of(raw), true);
    log(rw.failed.empty() ? LogLevel::Info : LogLevel::Warning,
        fmt::format("scheduler={} worker={} {} worker was dead (silent for {} s): {} job(s) put "
                    "back, {} sent to the failed list; unregistered",
                    opts.name, c.id, kind_name(c.kind), c.silent, rw.requeued.size(),
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
