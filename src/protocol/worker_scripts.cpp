#include "protocol/worker_scripts.hpp"

#include "redis/sha1.hpp"
#include "resque/error.hpp"
#include "scripts.hpp"
#include "time/timefmt.hpp"

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
  conn.eval(scripts::worker_register(), {wk.workers, wk.started, wk.heartbeats, wk.ping, wk.index},
            {wk.id, reg.started, reg.heartbeat, reg.ping});
}

bool unregister_worker(Connection& conn, const WorkerKeys& wk) {
  const auto keys = with_own({wk.workers, wk.heartbeats, wk.inflight, wk.index}, wk, true);
  return conn.eval(scripts::worker_unregister(), views(keys), {wk.id}).integer() == 1;
}

// KEYS: 8 fixed, the finished job's counter (KEYS[9]), worker:<id>:started (KEYS[10]), the
// in-flight job's queue (KEYS[11]), then one per queue; ARGV: 9 per step, the worker's id, name and
// started value, then one name per queue (see worker_step.lua).
constexpr std::size_t kFixedKeys = 11, kCounterKey = 8, kStepArgs = 12;

WorkerStep::WorkerStep(const Keys& keys, const WorkerKeys& worker) : keys_(keys), worker_(worker) {
  keys_v_ = {worker.inflight,     worker.status,  keys.stat("processed"), worker.processed,
             keys.stat("failed"), worker.failed,  keys.failed(),          keys.pause_all(),
             std::string(),       worker.started, worker.inflight_queue};
  argv_.resize(kStepArgs);
  argv_[9] = worker.id;
  argv_[10] = worker.name;
  // Written back by a finish that finds a peer deleted it (pruners reconcile): the time this
  // stepper was made, which is when its worker registered.
  argv_[11] = detail::ruby_started(std::chrono::system_clock::now());
}

StepResult WorkerStep::run(Connection& conn, const StepArgs& a,
                           const std::vector<std::string>& queues) {
  if (queues != queues_) {
    queues_ = queues;
    keys_v_.resize(kFixedKeys);
    argv_.resize(kStepArgs);
    for (const auto& q : queues_) {
      keys_v_.push_back(keys_.queue(q));
      argv_.push_back(q);
    }
  }
  // The finished job's digest names its recovery counter and guards a finish without status.
  const std::string digest =
      a.finish == Finish::None ? std::string() : detail::sha1_hex(a.finished_payload);
  keys_v_[kCounterKey] = keys_.key("resque-cpp:recovered:" + digest);
  const StatusPieces pieces = status_pieces(a.run_at, worker_.name, a.token);
  argv_[0] = finish_name(a.finish);
  argv_[1] = a.finish == Finish::None ? std::string() : status_tail(worker_.name, a.finished_token);
  argv_[2] = digest;
  argv_[3] = a.failure;
  argv_[4] = a.take ? "1" : "0";
  argv_[5] = pieces.head;
  argv_[6] = pieces.mid;
  argv_[7] = pieces.tail;
  argv_[8] = a.token;
  if (a.only_queue && *a.only_queue < queues_.size()) {
    // One queue: the script's single-LPOP path (a worker on "*" with 1,000 queues otherwise
    // sends, and Lua interns, 2,000 strings per step).
    key_views_.assign(keys_v_.begin(), keys_v_.begin() + kFixedKeys);
    key_views_.push_back(keys_v_[kFixedKeys + *a.only_queue]);
    arg_views_.assign(argv_.begin(), argv_.begin() + kStepArgs);
    arg_views_.push_back(argv_[kStepArgs + *a.only_queue]);
  } else {
    key_views_.assign(keys_v_.begin(), keys_v_.end());
    arg_views_.assign(argv_.begin(), argv_.end());
  }
  const Reply r = conn.eval(scripts::worker_step(), key_views_, arg_views_);
  StepResult out;
  if (r.is_nil()) return out;
  if (r.type() != Reply::Type::Array || r.size() < 1 || r.size() == 2 || r.size() > 4)
    throw ProtocolError("worker step: unexpected reply shape");
  if (r.size() == 1) {
    out.kind = StepResult::Kind::Paused;
    return out;
  }
  out.kind = StepResult::Kind::Job;
  out.queue = r.element(0).string();
  out.payload = r.element(1).string();
  out.token = r.element(2).string();
  if (r.size() == 4) out.more = r.element(3).integer() == 1;
  return out;
}

bool force_clean_worker(Connection& conn, const Keys& keys, const WorkerKeys& wk,
                        const ForceCleanArgs& a) {
  const auto k = with_own(
      {wk.workers, wk.heartbeats, wk.status, wk.inflight, keys.failed(), wk.index}, wk, true);
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
                             wk.inflight, keys.failed(), keys.stat("failed"), keys.queues(),
                             wk.index};
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
  argv.push_back(wk.name);
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
