#include "resque/worker.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "emit.hpp"
#include "heartbeat.hpp"
#include "hooks.hpp"
#include "notifier.hpp"
#include "protocol/worker.hpp"
#include "protocol/worker_scripts.hpp"
#include "queue_patterns.hpp"
#include "redis/commands.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/failure.hpp"
#include "resque/keys.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "time/timefmt.hpp"

namespace resque {

namespace {

std::string local_host() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// "host:pid" for the first worker a process creates, "host:pid+N" for the N-th further one.
std::string next_worker_name(const std::string& host) {
  static std::mutex mu;
  static pid_t seq_pid = 0;
  static int seq = 0;
  std::lock_guard<std::mutex> lock(mu);
  const pid_t pid = ::getpid();
  if (pid != seq_pid) {  // a forked child starts counting again
    seq_pid = pid;
    seq = 0;
  }
  return protocol::worker_name(host, pid, seq++);
}

// What the previous job's finish step must record.
struct Pending {
  protocol::Finish mode = protocol::Finish::None;
  std::string token;    // the job's token in worker:<id>, which guards its finish
  std::string payload;  // the job's raw payload (the guard when worker:<id> was removed)
  std::string failure;
};

// A prefix that makes step tokens unique across processes and worker objects (a restarted
// process may reuse a pid, and so a worker id).
std::string token_prefix() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

struct Worker::State {
  ConnectionOptions copts;
  std::shared_ptr<const JobRegistry> registry;
  WorkerOptions opts;
  Keys keys;
  std::string name, id, queues_str;
  bool dynamic = false;
  std::shared_ptr<detail::Notifier> notifier;
  detail::Notifier::Group* wake_group = nullptr;  // workers with the same queues share wake-ups
  std::shared_ptr<detail::Heartbeat> heartbeat;
  std::optional<protocol::WorkerKeys> wkeys;
  std::unique_ptr<Queue> queue;  // for plugins; its pool connects only when used

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> paused{false};
  std::atomic<bool> abandoned{false};
  std::atomic<bool> is_running{false};
  std::atomic<bool> is_busy{false};
  std::atomic<bool> is_idle{false};
  std::atomic<std::uint64_t> done{0};

  std::mutex mu;
  std::condition_variable cv;
  bool finished = true;
  std::thread thread;

  // Once stop() has given up on this worker (abandoned), its thread may outlive the Worker's
  // owner: it calls no more user code (logs, events) from then on.
  void log(LogLevel level, const std::string& msg) const {
    if (opts.log && !abandoned) opts.log(level, msg);
  }
  template <class F, class... A>
  void emit(const F& f, A&&... a) const {
    if (!abandoned) detail::safe_emit(opts.log, "worker", id, f, std::forward<A>(a)...);
  }
  void error(const std::string& msg) {
    log(LogLevel::Error, fmt::format("worker {}: {}", id, msg));
    emit(opts.events.on_error, id, msg);
  }

  void run_loop();
  bool register_self(Connection& conn);
  Pending perform(Connection& conn, const std::string& popped_queue, const std::string& raw);
};

bool Worker::State::register_self(Connection& conn) {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_requested) {
    try {
      // Redis' clock, as the heartbeat thread uses it: a host whose clock is behind must not
      // register as already stale.
      protocol::register_worker(
          conn, *wkeys, protocol::registration(detail::server_time(conn), name, queues_str));
      return true;
    } catch (const Error& e) {
      error(fmt::format("registering: {}", e.what()));
      notifier->wait(notifier->generation(), backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  return false;
}

Pending Worker::State::perform(Connection& conn, const std::string& popped_queue,
                               const std::string& raw) {
  Pending out;
  const auto t0 = std::chrono::steady_clock::now();
  Job job;
  std::string queue_name = popped_queue;
  auto fail = [&](std::string_view kind, const std::string& err) {
    const std::string exc(kind);
    out.mode = protocol::Finish::Fail;
    out.failure = encode_failure({{}, raw, exc, err, {}, id, queue_name});
    log(LogLevel::Warning,
        fmt::format("worker {}: job {} failed: {}: {}", id, job.klass, exc, err));
    emit(opts.events.on_failure, id, job, exc, err);
  };
  try {
    job = decode_payload(raw);
  } catch (const EncodingError& e) {
    // Ruby loses such a job and its worker dies; we keep the raw payload in the failure.
    fail(failure_kind::kEncodingError, e.what());
    return out;
  }
  if (queue_name.empty()) queue_name = job.queue;
  if (job.queue.empty()) job.queue = queue_name;
  const JobDefinition* def = registry ? registry->find(job.klass) : nullptr;
  if (def == nullptr || !def->perform) {
    fail(failure_kind::kUnknownJobClass, fmt::format("No job defined for class \"{}\"", job.klass));
    return out;
  }
  emit(opts.events.on_job, id, job);
  auto ctx = HookContext::for_perform(job, conn, keys, *queue, id);
  bool performed = false;
  std::string vetoed_by;
  try {
    if (detail::run_before_perform(def, ctx, &vetoed_by)) {
      performed = true;
      try {
        def->perform(job);
      } catch (...) {
        ctx.error = std::current_exception();
      }
      detail::run_after_perform(def, ctx);
    }
  } catch (...) {
    // A before_perform hook that throws fails the job like perform would (the plugins before
    // it have released what they took).
    ctx.error = std::current_exception();
    performed = true;
  }
  if (!performed) {
    out.mode = protocol::Finish::Skip;
    if (!ctx.re_enqueued_by.empty()) {
      log(LogLevel::Debug,
          fmt::format("worker {}: job {} re-enqueued by {}", id, job.klass, ctx.re_enqueued_by));
      emit(opts.events.on_re_enqueue, id, job, ctx.re_enqueued_by);
    } else {
      log(LogLevel::Debug, fmt::format("worker {}: job {} vetoed by {}", id, job.klass, vetoed_by));
      emit(opts.events.on_veto, id, job, vetoed_by);
    }
    return out;
  }
  if (!ctx.error && !ctx.re_enqueued_by.empty()) {
    // An after_perform hook turned the failure into a later retry (Retry): recorded as
    // node-resque's Retry nets it out, stat:failed +1 and stat:processed unchanged.
    out.mode = protocol::Finish::Retry;
    log(LogLevel::Info, fmt::format("worker {}: job {} failed and was re-enqueued by {}", id,
                                    job.klass, ctx.re_enqueued_by));
    emit(opts.events.on_re_enqueue, id, job, ctx.re_enqueued_by);
    return out;
  }
  if (ctx.error) {
    try {
      detail::run_on_failure(def, ctx);
    } catch (const std::exception& e) {
      log(LogLevel::Error, fmt::format("worker {}: on_failure hook threw: {}", id, e.what()));
    } catch (...) {
      log(LogLevel::Error, fmt::format("worker {}: on_failure hook threw", id));
    }
    auto [exc, err] = describe_exception(ctx.error);
    fail(exc, err);
    return out;
  }
  out.mode = protocol::Finish::Ok;
  emit(
      opts.events.on_success, id, job,
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
  return out;
}

void Worker::State::run_loop() {
  is_running = true;
  emit(opts.events.on_start, id);
  log(LogLevel::Info, fmt::format("worker {} starting", id));
  Connection conn(copts);
  if (!register_self(conn)) {
    is_running = false;
    emit(opts.events.on_end, id);
    return;
  }
  heartbeat->add({id,
                  name,
                  queues_str,
                  opts.heartbeat_interval,
                  [this] { emit(opts.events.on_ping, id); },
                  {}});

  std::vector<std::string> queues = opts.queues;
  auto last_refresh = std::chrono::steady_clock::time_point{};
  auto refresh = [&] {
    if (!dynamic) return;
    queues =
        detail::resolve_queues(opts.queues, conn.command({"SMEMBERS", keys.queues()}).strings());
    last_refresh = std::chrono::steady_clock::now();
  };

  protocol::WorkerStep stepper(keys, *wkeys);
  Pending pending;
  const std::string token_base = token_prefix();
  std::uint64_t token_seq = 0;
  bool pause_announced = false;
  bool was_idle = false;  // the last step found nothing and this worker waited
  auto backoff = std::chrono::milliseconds(50);
  std::chrono::seconds run_at_second{-1};
  std::string run_at;
  for (;;) {
    const bool stop = stop_requested;
    const bool pause = paused;
    const bool take = !stop && !pause;
    if (!take && pending.mode == protocol::Finish::None) {
      if (stop) break;
      is_idle = true;
      if (!pause_announced) {
        pause_announced = true;
        emit(opts.events.on_pause, id);
      }
      notifier->wait(notifier->generation(), opts.poll_interval);
      continue;
    }
    const std::uint64_t gen = notifier->generation();
    protocol::StepResult r;
    try {
      if (take && dynamic && std::chrono::steady_clock::now() - last_refresh > opts.poll_interval)
        refresh();
      // The status's run_at has a resolution of one second: format it once per second, not
      // once per job (strftime was a visible share of the step's client-side cost).
      const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch());
      if (now_s != run_at_second) {
        run_at_second = now_s;
        run_at = detail::iso_utc_z(std::chrono::system_clock::time_point(now_s));
      }
      protocol::StepArgs step;
      step.finish = pending.mode;
      step.finished_token = pending.token;
      step.finished_payload = pending.payload;
      step.failure = pending.failure;
      step.take = take;
      step.run_at = run_at;
      step.token = fmt::format("{}-{}", token_base, ++token_seq);
      r = stepper.run(conn, step, queues);
      backoff = std::chrono::milliseconds(50);
    } catch (const Error& e) {
      // Redis down or restarting: keep `pending` and send the same step again later; the step
      // is idempotent (see worker_step.lua), so nothing is lost or done twice.
      error(fmt::format("{} (retrying in {} ms)", e.what(), backoff.count()));
      notifier->wait(notifier->generation(), backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    if (pending.mode != protocol::Finish::None) ++done;
    pending = Pending{};
    if (!take) continue;
    if (r.kind == protocol::StepResult::Kind::Idle) {
      is_idle = true;
      pause_announced = false;  // looking for work again: the next pause is announced
      emit(opts.events.on_poll, id);
      notifier->wait_for_work(wake_group, gen, opts.poll_interval);
      was_idle = true;
      last_refresh = {};  // re-read "*" queues while idle
      continue;
    }
    if (r.kind == protocol::StepResult::Kind::Paused) {  // the pause-all-workers key
      is_idle = true;
      if (!pause_announced) {
        pause_announced = true;
        emit(opts.events.on_pause, id);
        log(LogLevel::Info, fmt::format("worker {} paused by pause-all-workers", id));
      }
      notifier->wait(gen, opts.poll_interval);
      continue;
    }
    pause_announced = false;
    if (was_idle && r.more) {
      // Woken (or polling) and found a job whose queue holds more: wake the next idle worker
      // of the group, which does the same. One that takes the last job wakes nobody.
      notifier->wake_one(wake_group);
    }
    was_idle = false;
    is_idle = false;
    is_busy = true;
    const std::string popped_queue = r.queue;
    std::string raw = std::move(r.payload);
    try {
      pending = perform(conn, popped_queue, raw);
    } catch (...) {
      // perform() records every failure itself; this is the last line of defence so that no
      // input can end the thread (std::terminate) with the job left in flight.
      auto [exc, err] = describe_exception(std::current_exception());
      pending = Pending{};
      pending.mode = protocol::Finish::Fail;
      pending.failure =
          encode_failure({{}, raw, exc, "while recording the job: " + err, {}, id, popped_queue});
    }
    pending.token = std::move(r.token);
    pending.payload = std::move(raw);
    is_busy = false;
    if (abandoned) return;  // stop() gave up on us: the job stays in flight for recovery
  }

  heartbeat->remove(id);
  try {
    if (!protocol::unregister_worker(conn, *wkeys))
      log(LogLevel::Warning,
          fmt::format("worker {}: a job is still in flight; registration kept for recovery", id));
  } catch (const Error& e) {
    error(fmt::format("unregistering: {}", e.what()));
  }
  log(LogLevel::Info, fmt::format("worker {} stopped", id));
  is_running = false;
  emit(opts.events.on_end, id);
}

Worker::Worker(ConnectionOptions connection, std::shared_ptr<const JobRegistry> registry,
               WorkerOptions options)
    : state_(std::make_shared<State>()) {
  auto& s = *state_;
  if (options.queues.empty()) throw ConfigError("a worker needs at least one queue");
  for (const auto& q : options.queues) protocol::validate_queue_name(q, "worker queue");
  if (options.host.empty()) options.host = local_host();
  if (options.host.find(':') != std::string::npos)
    throw ConfigError(fmt::format("worker host name '{}' contains ':'", options.host));
  s.keys = Keys(connection.key_namespace);
  s.copts = std::move(connection);
  s.registry = std::move(registry);
  s.opts = std::move(options);
  s.name = next_worker_name(s.opts.host);
  std::vector<std::string> shown;  // Ruby leaves "!exclusions" out of the id
  for (const auto& q : s.opts.queues)
    if (q[0] != '!') shown.push_back(q);
  s.id = protocol::worker_id(s.name, shown);
  s.queues_str = s.id.substr(s.name.size() + 1);
  s.wkeys.emplace(s.keys, s.id, s.name);
  s.dynamic = detail::queues_are_dynamic(s.opts.queues);
  s.notifier = detail::Notifier::get(s.copts);
  s.wake_group = s.notifier->group(s.opts.queues);
  s.heartbeat = detail::Heartbeat::get(s.copts);
  ConnectionOptions qopts = s.copts;
  s.queue = std::make_unique<Queue>(std::make_shared<ConnectionPool>(qopts, 1), s.registry);
}

Worker::~Worker() {
  stop();
}

const std::string& Worker::id() const {
  return state_->id;
}
const std::string& Worker::name() const {
  return state_->name;
}

void Worker::start() {
  auto s = state_;
  std::lock_guard<std::mutex> lock(s->mu);
  if (!s->finished) return;
  s->finished = false;
  s->stop_requested = false;
  if (s->thread.joinable()) s->thread.join();
  s->thread = std::thread([s] {
    s->run_loop();
    {
      std::lock_guard<std::mutex> l(s->mu);
      s->finished = true;
    }
    s->cv.notify_all();
  });
}

void Worker::run() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->finished = false;
  }
  state_->run_loop();
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->finished = true;
  }
  state_->cv.notify_all();
}

void Worker::request_stop() {
  state_->stop_requested = true;
  state_->notifier->wake_all();
}

bool Worker::stop(std::chrono::milliseconds deadline) {
  auto s = state_;
  if (s->abandoned) return false;  // already given up on; its thread is detached
  request_stop();
  // From the worker's own thread (an event callback) waiting would never end: the loop sees
  // the request when the callback returns.
  if (s->thread.get_id() == std::this_thread::get_id()) return true;
  std::unique_lock<std::mutex> lock(s->mu);
  bool ok = true;
  if (deadline == std::chrono::milliseconds::max()) {
    s->cv.wait(lock, [&] { return s->finished; });
  } else if (!s->cv.wait_for(lock, deadline, [&] { return s->finished; })) {
    ok = false;
    s->abandoned = true;
    s->log(LogLevel::Warning,
           fmt::format("worker {}: stop deadline passed while a job was running; the job stays "
                       "in flight for recovery by a Scheduler",
                       s->id));
    // No more heartbeats: the worker now looks dead, which is what lets recovery take the job.
    lock.unlock();
    s->heartbeat->remove(s->id);
    lock.lock();
    if (s->thread.joinable()) s->thread.detach();
    return false;
  }
  // Joined under the lock so that concurrent stop() calls do not both join; the thread no
  // longer takes the lock once `finished` is set.
  if (s->thread.joinable()) s->thread.join();
  return ok;
}

void Worker::pause() {
  state_->paused = true;
}

void Worker::resume() {
  state_->paused = false;
  state_->notifier->wake_all();
}

bool Worker::running() const {
  return state_->is_running;
}
bool Worker::busy() const {
  return state_->is_busy;
}
bool Worker::idle() const {
  return state_->is_idle;
}
std::uint64_t Worker::jobs_done() const {
  return state_->done;
}

}  // namespace resque
