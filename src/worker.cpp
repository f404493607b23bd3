#include "resque/worker.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "emit.hpp"
#include "heartbeat.hpp"
#include "hooks.hpp"
#include "log_limit.hpp"
#include "notifier.hpp"
#include "own_thread.hpp"
#include "protocol/worker.hpp"
#include "protocol/worker_scripts.hpp"
#include "queue_patterns.hpp"
#include "redis/cluster.hpp"
#include "redis/commands.hpp"
#include "resque/backtrace.hpp"
#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/failure.hpp"
#include "resque/keys.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "sticky_queue.hpp"
#include "time/timefmt.hpp"
#include "worker_internal.hpp"

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

// The worker whose loop runs on this thread (in start()'s thread or in run()), so that stop()
// called from a job, hook or event callback knows not to wait for itself.
thread_local const Worker::State* tl_current_worker = nullptr;

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
  std::atomic<std::uint64_t> abandoned_jobs{0};
  // For health(): written by the worker's thread, read by any.
  std::atomic<bool> is_connected{false};
  std::atomic<bool> is_registered{false};
  std::atomic<std::int64_t> last_finished_ms{0};  // system clock, ms since the epoch
  mutable std::mutex stats_mu;                    // guards stats
  JobStatsMap stats;
  mutable std::mutex health_mu;  // guards last_error*
  std::string last_error;
  std::chrono::system_clock::time_point last_error_at{};

  detail::LogLimiter limiter;

  std::mutex mu;
  std::condition_variable cv;
  bool finished = true;
  std::thread thread;

  ~State() { detail::join_or_detach(thread); }  // own_thread.hpp

  // Once stop() has given up on this worker (abandoned), its thread may outlive the Worker's
  // owner: it calls no more user code (logs, events) from then on.
  void log(LogLevel level, const std::string& msg) const {
    if (opts.log && !abandoned) opts.log(level, msg);
  }
  template <class F, class... A>
  void emit(const F& f, A&&... a) const {
    if (!abandoned) detail::safe_emit(opts.log, "worker", id, f, std::forward<A>(a)...);
  }
  // An error the worker recovers from by retrying: logged rate-limited by kind (the default
  // sink must not be flooded while Redis is down), reported to on_error every time.
  void error(const std::string& msg) {
    {
      std::lock_guard<std::mutex> lock(health_mu);
      last_error = msg;
      last_error_at = std::chrono::system_clock::now();
    }
    // After the error is recorded, so a health() that sees "not connected" also sees why.
    is_connected = false;
    if (!abandoned) detail::log_retried_error(opts.log, limiter, "worker=" + id, msg);
    emit(opts.events.on_error, id, msg);
  }
  // The structured fields of a line about a job.
  std::string fields(const Job& job, const std::string& popped_from) const {
    return fmt::format("worker={} queue={} class={}", id,
                       popped_from.empty() ? job.queue : popped_from, job.klass);
  }

  // Counts one job's outcome; `timed`: it was performed (its duration goes into the sums).
  void tally(const Job& job, const std::string& queue_name, std::uint64_t JobStats::*field,
             bool timed, std::chrono::steady_clock::time_point t0) {
    const auto d = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);
    std::lock_guard<std::mutex> lock(stats_mu);
    JobStats& st = stats[{job.klass, queue_name.empty() ? job.queue : queue_name}];
    ++(st.*field);
    if (!timed) return;
    st.perform_time += d;
    ++st.performed;
    const double secs = static_cast<double>(d.count()) / 1e6;
    std::size_t i = 0;
    while (i < kPerformBuckets.size() && secs > kPerformBuckets[i]) ++i;
    ++st.perform_buckets[i];
  }

  // The queue latency of a job whose payload carries "enqueued_at" (epoch seconds).
  void tally_latency(const Job& job, const std::string& queue_name) {
    auto it = job.extra.find("enqueued_at");
    if (it == job.extra.end() || !it->is_number()) return;
    const double now = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count()) /
                       1e6;
    const double secs = std::max(0.0, now - it->get<double>());
    std::lock_guard<std::mutex> lock(stats_mu);
    JobStats& st = stats[{job.klass, queue_name.empty() ? job.queue : queue_name}];
    st.latency_time += std::chrono::microseconds(static_cast<std::int64_t>(secs * 1e6));
    ++st.latency_samples;
    std::size_t i = 0;
    while (i < kPerformBuckets.size() && secs > kPerformBuckets[i]) ++i;
    ++st.latency_buckets[i];
  }

  void run_loop();
  bool register_self(Connection& conn);
  Pending perform(Connection& conn, const std::string& popped_queue, const std::string& raw);
};

bool Worker::State::register_self(Connection& conn) {
  auto backoff = copts.reconnect_backoff_min;
  while (!stop_requested) {
    try {
      // Redis' clock, as the heartbeat thread uses it: a host whose clock is behind must not
      // register as already stale.
      protocol::register_worker(
          conn, *wkeys, protocol::registration(detail::server_time(conn), name, queues_str));
      is_connected = true;
      is_registered = true;
      return true;
    } catch (const Error& e) {
      error(fmt::format("registering: {}", e.what()));
      notifier->wait(notifier->generation(), backoff);
      backoff = std::min(backoff * 2, copts.reconnect_backoff_max);
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
  StackTrace trace;            // where the job failed (backtrace.hpp), resolved only if recorded
  std::exception_ptr traced;   // the error it belongs to
  bool timed_failure = false;  // the failure came from performing it (not decoding, no class)
  auto fail = [&](std::string_view kind, const std::string& err) {
    const std::string exc(kind);
    out.mode = protocol::Finish::Fail;
    out.failure = encode_failure({{}, raw, exc, err, trace.frames(), id, queue_name});
    log(LogLevel::Warning, fmt::format("{} job failed: {}: {}", fields(job, queue_name), exc, err));
    tally(job, queue_name, &JobStats::failed, timed_failure, t0);
    emit(opts.events.on_failure, id, job, exc, err);
  };
  if (opts.max_payload_bytes != 0 && raw.size() > opts.max_payload_bytes) {
    // Not decoded at all (that is what the limit protects); kept whole in the failure record.
    fail(failure_kind::kEncodingError,
         fmt::format("payload of {} bytes is over max_payload_bytes ({} bytes); not performed",
                     raw.size(), opts.max_payload_bytes));
    return out;
  }
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
  tally_latency(job, queue_name);
  auto ctx = HookContext::for_perform(job, conn, keys, *queue, id);
  bool performed = false;
  std::string vetoed_by;
  try {
    if (detail::run_before_perform(def, ctx, &vetoed_by)) {
      performed = true;
      // resque::throw_trace (opt-in) records throws only within this scope, which also
      // covers the catch, so of_failure finds the throw site before the scope forgets it.
      {
        detail::ThrowTraceScope throw_scope;
        try {
          def->perform(job);
        } catch (...) {
          ctx.error = std::current_exception();
          // Here, next to the job's frames, for an exception that carries none.
          trace = StackTrace::of_failure(traced = ctx.error);
        }
      }
      detail::run_after_perform(def, ctx);
    }
  } catch (...) {
    // A before_perform hook that throws fails the job like perform would (the plugins before
    // it have released what they took).
    ctx.error = std::current_exception();
    trace = StackTrace::of_failure(traced = ctx.error);
    performed = true;
  }
  if (!performed) {
    out.mode = protocol::Finish::Skip;
    if (!ctx.re_enqueued_by.empty()) {
      tally(job, queue_name, &JobStats::re_enqueued, false, t0);
      log(LogLevel::Debug,
          fmt::format("{} job re-enqueued by {}", fields(job, queue_name), ctx.re_enqueued_by));
      emit(opts.events.on_re_enqueue, id, job, ctx.re_enqueued_by);
    } else {
      tally(job, queue_name, &JobStats::vetoed, false, t0);
      log(LogLevel::Debug, fmt::format("{} job vetoed by {}", fields(job, queue_name), vetoed_by));
      emit(opts.events.on_veto, id, job, vetoed_by);
    }
    return out;
  }
  if (!ctx.error && !ctx.re_enqueued_by.empty()) {
    // An after_perform hook turned the failure into a later retry (Retry): recorded as
    // node-resque's Retry nets it out, stat:failed +1 and stat:processed unchanged.
    out.mode = protocol::Finish::Retry;
    tally(job, queue_name, &JobStats::retried, true, t0);
    log(LogLevel::Info, fmt::format("{} job failed and was re-enqueued by {}",
                                    fields(job, queue_name), ctx.re_enqueued_by));
    emit(opts.events.on_re_enqueue, id, job, ctx.re_enqueued_by);
    return out;
  }
  if (ctx.error) {
    try {
      detail::run_on_failure(def, ctx);
    } catch (const std::exception& e) {
      log(LogLevel::Error,
          fmt::format("{} on_failure hook threw: {}", fields(job, queue_name), e.what()));
    } catch (...) {
      log(LogLevel::Error, fmt::format("{} on_failure hook threw", fields(job, queue_name)));
    }
    auto [exc, err] = describe_exception(ctx.error);
    // An after_perform hook may have replaced the error: its own frames, if it carries any.
    if (ctx.error != traced) trace = StackTrace::of_failure(ctx.error);
    timed_failure = true;
    fail(exc, err);
    return out;
  }
  out.mode = protocol::Finish::Ok;
  tally(job, queue_name, &JobStats::processed, true, t0);
  emit(
      opts.events.on_success, id, job,
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
  return out;
}

void Worker::State::run_loop() {
  struct CurrentGuard {
    const State* prev;
    explicit CurrentGuard(const State* s) : prev(tl_current_worker) { tl_current_worker = s; }
    ~CurrentGuard() { tl_current_worker = prev; }
  } current(this);
  is_running = true;
  emit(opts.events.on_start, id);
  log(LogLevel::Info, fmt::format("worker={} starting", id));
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
  detail::StickyQueue sticky(opts.priority_recheck_interval);
  auto last_refresh = std::chrono::steady_clock::time_point{};
  auto refresh = [&] {
    if (!dynamic) return;
    queues =
        detail::resolve_queues(opts.queues, conn.command({"SMEMBERS", keys.queues()}).strings());
    last_refresh = std::chrono::steady_clock::now();
    sticky.reset();  // the list may have changed
  };

  protocol::WorkerStep stepper(keys, *wkeys);
  Pending pending;
  const std::string token_base = token_prefix();
  std::uint64_t token_seq = 0;
  bool pause_announced = false;
  bool was_idle = false;  // the last step found nothing and this worker waited
  // The connection's own backoff settings (not a private schedule), between retried steps.
  auto backoff = copts.reconnect_backoff_min;
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
    bool only_step = false;  // this step took from the sticky queue alone
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
      const auto step_start = std::chrono::steady_clock::now();
      // Read before the step: an enqueue announced while it runs makes the next step full.
      const std::uint64_t announced = sticky.enabled() ? notifier->announcements(wake_group) : 0;
      if (take) step.only_queue = sticky.before_step(step_start, announced);
      only_step = step.only_queue.has_value();
      r = stepper.run(conn, step, queues);
      if (take) {
        // Which queue the job came from: the one queue of a single-queue step; after a full
        // step it is looked up only when it could stick.
        const bool job = r.kind == protocol::StepResult::Kind::Job;
        const bool long_list = queues.size() > kExactPriorityQueues;
        std::optional<std::size_t> took;
        if (job && only_step) {
          took = step.only_queue;
        } else if (job && r.more && long_list && sticky.enabled()) {
          const auto it = std::find(queues.begin(), queues.end(), r.queue);
          if (it != queues.end()) took = static_cast<std::size_t>(it - queues.begin());
        }
        sticky.after_step(step.only_queue, took, r.more, long_list, step_start, announced);
      }
      is_connected = true;
      backoff = copts.reconnect_backoff_min;
    } catch (const Error& e) {
      // Redis down or restarting: keep `pending` and send the same step again later; the step
      // is idempotent (see worker_step.lua), so nothing is lost or done twice.
      error(fmt::format("{} (retrying in {} ms)", e.what(), backoff.count()));
      notifier->wait(notifier->generation(), backoff);
      backoff = std::min(backoff * 2, copts.reconnect_backoff_max);
      continue;
    }
    if (pending.mode != protocol::Finish::None) {
      // The time first: a health() that sees the new count must also see when it finished.
      last_finished_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
      ++done;
    }
    pending = Pending{};
    if (!take) continue;
    // The one queue ran dry (another worker took its jobs): look at every queue at once.
    if (only_step && r.kind == protocol::StepResult::Kind::Idle) continue;
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
        log(LogLevel::Info, fmt::format("worker={} paused by pause-all-workers", id));
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
    const bool unregistered = protocol::unregister_worker(conn, *wkeys);
    if (unregistered) is_registered = false;
    if (!unregistered)
      log(LogLevel::Warning,
          fmt::format("worker={} a job is still in flight; registration kept for recovery", id));
  } catch (const Error& e) {
    error(fmt::format("unregistering: {}", e.what()));
  }
  log(LogLevel::Info, fmt::format("worker={} stopped", id));
  is_running = false;
  is_connected = false;
  emit(opts.events.on_end, id);
}

namespace detail {

void validate_worker_options(const ConnectionOptions& connection, const WorkerOptions& options) {
  check_cluster_options(connection);  // an untagged namespace on a cluster: refused here
  if (options.queues.empty()) throw ConfigError("a worker needs at least one queue");
  for (const auto& q : options.queues) protocol::validate_queue_name(q, "worker queue");
  if (options.host.find(':') != std::string::npos)
    throw ConfigError(fmt::format("worker host name '{}' contains ':'", options.host));
  if (options.poll_interval <= std::chrono::milliseconds(0))
    throw ConfigError("worker poll_interval must be positive");
  if (options.priority_recheck_interval < std::chrono::milliseconds(0))
    throw ConfigError("worker priority_recheck_interval must not be negative");
  if (options.heartbeat_interval <= std::chrono::milliseconds(0))
    throw ConfigError("worker heartbeat_interval must be positive");
  if (connection.reconnect_backoff_min <= std::chrono::milliseconds(0) ||
      connection.reconnect_backoff_max < connection.reconnect_backoff_min)
    throw ConfigError(
        "reconnect_backoff_min must be positive and reconnect_backoff_max at least as large");
}

}  // namespace detail

Worker::Worker(ConnectionOptions connection, std::shared_ptr<const JobRegistry> registry,
               WorkerOptions options)
    : state_(std::make_shared<State>()) {
  auto& s = *state_;
  if (options.host.empty()) options.host = local_host();
  detail::validate_worker_options(connection, options);
  s.keys = Keys(connection.key_namespace);
  s.copts = std::move(connection);
  s.registry = std::move(registry);
  s.opts = std::move(options);
  if (!s.opts.log) s.opts.log = default_logger();  // visible by default
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
  // From the worker's own thread (a job, hook or event callback) waiting would never end: the
  // loop sees the request when the callback returns, and the owner's destructor (or a later
  // stop() from another thread) joins.
  if (on_own_thread()) return true;
  std::unique_lock<std::mutex> lock(s->mu);
  bool ok = true;
  if (deadline == std::chrono::milliseconds::max()) {
    s->cv.wait(lock, [&] { return s->finished; });
  } else if (!s->cv.wait_for(lock, deadline, [&] { return s->finished; })) {
    ok = false;
    // Logged before `abandoned` is set: from then on the thread calls no user code.
    ++s->abandoned_jobs;
    s->log(LogLevel::Warning,
           fmt::format("worker={} stop deadline passed while a job was running; the job was "
                       "abandoned and stays in flight for recovery by a Scheduler",
                       s->id));
    s->abandoned = true;
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
std::uint64_t Worker::jobs_abandoned() const {
  return state_->abandoned_jobs;
}
JobStats& JobStats::operator+=(const JobStats& o) {
  processed += o.processed;
  failed += o.failed;
  retried += o.retried;
  re_enqueued += o.re_enqueued;
  vetoed += o.vetoed;
  recovered += o.recovered;
  recovered_failed += o.recovered_failed;
  perform_time += o.perform_time;
  performed += o.performed;
  for (std::size_t i = 0; i < perform_buckets.size(); ++i)
    perform_buckets[i] += o.perform_buckets[i];
  latency_time += o.latency_time;
  latency_samples += o.latency_samples;
  for (std::size_t i = 0; i < latency_buckets.size(); ++i)
    latency_buckets[i] += o.latency_buckets[i];
  return *this;
}

JobStatsMap Worker::job_stats() const {
  std::lock_guard<std::mutex> lock(state_->stats_mu);
  return state_->stats;
}

WorkerHealth Worker::health() const {
  const auto& s = *state_;
  WorkerHealth h;
  h.running = s.is_running;
  h.connected = s.is_connected;
  h.registered = s.is_registered;
  h.paused = s.paused;
  h.jobs_in_flight = s.is_busy ? 1 : 0;
  h.jobs_done = s.done;
  h.jobs_abandoned = s.abandoned_jobs;
  h.last_job_finished_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(s.last_finished_ms.load()));
  std::lock_guard<std::mutex> lock(s.health_mu);
  h.last_error = s.last_error;
  h.last_error_at = s.last_error_at;
  return h;
}

bool Worker::on_own_thread() const {
  // On the heartbeat thread this worker may be waiting in Heartbeat::remove() for the very
  // on_ping callback that calls: waiting for the worker there would never end.
  return tl_current_worker == state_.get() || detail::Heartbeat::on_heartbeat_thread();
}

}  // namespace resque
