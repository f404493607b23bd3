#include "protocol/worker_scripts.hpp"

#include "resque/error.hpp"
#include "scripts.hpp"

namespace resque::protocol {

namespace {
std::vector<std::string_view> views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

const char* finish_name(Finish f) {
  switch (f) {
    case Finish::None: return "";
    case Finish::Ok: return "ok";
    case Finish::Fail: return "fail";
    case Finish::Skip: return "skip";
    case Finish::Retry: return "retry";
  }
  return "";
}

// KEYS with the worker's own keys (for the teardown) appended last.
std::vector<std::string> with_own(std::vector<std::string> keys, const WorkerKeys& wk,
                                  bool name_keys) {
  auto own = wk.own_keys(name_keys);
  keys.insert(keys.end(), own.begin(), own.end());
  return keys;
}

void seen(std::vector<std::string>& argv, const std::optional<std::string>& v) {
  argv.push_back(v ? "1" : "0");
  argv.push_back(v.value_or(""));
}
}  // namespace

void register_worker(Connection& conn, const WorkerKeys& wk, const Registration& reg) {
  conn.eval(scripts::worker_register(), {wk.workers, wk.started, wk.heartbeats, wk.ping},
            {wk.id, reg.started, reg.heartbeat, reg.ping});
}

bool unregister_worker(Connection& conn, const WorkerKeys& wk) {
  const auto keys = with_own({wk.workers, wk.heartbeats, wk.inflight}, wk, true);
  return conn.eval(scripts::worker_unregister(), views(keys), {wk.id}).integer() == 1;
}

StepResult worker_step(Connection& conn, const StepArgs& a) {
  const WorkerKeys& wk = *a.worker;
  const Keys& k = *a.keys;
  // Kept across calls: a worker thread calls this for every job, and the key vector is the
  // same each time but for the finished job's counter and the queue list.
  thread_local std::vector<std::string> keys, argv;
  keys.clear();
  argv.clear();
  keys.insert(keys.end(),
              {wk.inflight, wk.status, k.stat("processed"), wk.processed, k.stat("failed"),
               wk.failed, k.failed(), k.pause_all(), k.recovered(a.finished_payload)});
  const StatusPieces pieces = status_pieces(a.run_at, wk.name, a.token);
  argv.insert(argv.end(),
              {finish_name(a.finish),
               a.finish == Finish::None ? std::string() : status_tail(wk.name, a.finished_token),
               a.finished_payload, a.failure, a.take ? "1" : "0", pieces.head, pieces.mid,
               pieces.tail, a.token});
  for (const auto& q : *a.queues) {
    keys.push_back(k.queue(q));
    argv.push_back(q);
  }
  const Reply r = conn.eval(scripts::worker_step(), views(keys), views(argv));
  StepResult out;
  if (r.is_nil()) return out;
  if (r.type() != Reply::Type::Array || (r.size() != 1 && r.size() != 3))
    throw ProtocolError("worker step: unexpected reply shape");
  if (r.size() == 1) {
    out.kind = StepResult::Kind::Paused;
    return out;
  }
  out.kind = StepResult::Kind::Job;
  out.queue = r.element(0).string();
  out.payload = r.element(1).string();
  out.token = r.element(2).string();
  return out;
}

bool force_clean_worker(Connection& conn, const Keys& keys, const WorkerKeys& wk,
                        const ForceCleanArgs& a) {
  const auto k =
      with_own({wk.workers, wk.heartbeats, wk.status, wk.inflight, keys.failed()}, wk, true);
  std::vector<std::string> argv{wk.id};
  seen(argv, a.status);
  seen(argv, a.inflight);
  argv.push_back(a.record);
  return conn.eval(scripts::force_clean_worker(), views(k), views(argv)).integer() == 1;
}

RecoverResult recover_worker(Connection& conn, const Keys& keys, const WorkerKeys& wk,
                             const RecoverArgs& a) {
  using Kind = RecoverArgs::Kind;
  std::vector<std::string> k{wk.workers,  wk.heartbeats, wk.status,           wk.ping,
                             wk.inflight, keys.failed(), keys.stat("failed"), keys.queues()};
  std::vector<std::string> argv{wk.id};
  seen(argv, a.heartbeat);
  seen(argv, a.ping);
  seen(argv, a.status);
  argv.push_back(a.kind == Kind::Cpp ? "cpp" : a.kind == Kind::Ruby ? "ruby" : "node");
  argv.push_back(std::to_string(a.max_recoveries));
  argv.push_back(std::to_string(a.counter_ttl));
  argv.push_back(a.foreign_record);
  argv.push_back(keys.enqueue_channel());
  const auto& items = a.kind == Kind::Cpp ? a.items : std::vector<RecoverArgs::Item>{};
  argv.push_back(std::to_string(items.size()));
  for (const auto& it : items) {
    k.push_back(keys.queue(it.queue));
    k.push_back(keys.recovered(it.payload));
    argv.insert(argv.end(), {it.payload, it.queue, it.record});
  }
  k = with_own(std::move(k), wk, a.kind != Kind::Ruby);
  const Reply r = conn.eval(scripts::recover_worker(), views(k), views(argv));
  RecoverResult out;
  if (r.element(0).string() != "ok") {
    out.changed = true;
    return out;
  }
  out.requeued = r.element(1).strings();
  out.failed = r.element(2).strings();
  return out;
}

}  // namespace resque::protocol
