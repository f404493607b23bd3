// Scheduler: construction, the poll loop, leadership and the schedule API. Promotion, dead
// workers and recurring fires live in scheduler_promote.cpp, scheduler_recover.cpp and
// scheduler_recurring.cpp.
#include "resque/scheduler.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "redis/cluster.hpp"
#include "redis/commands.hpp"
#include "resque/error.hpp"
#include "resque/lock.hpp"
#include "resque/registry.hpp"
#include "scheduler_state.hpp"

namespace resque {

namespace {

// node-resque's leader lock (value = the scheduler's name), which Ruby's resque-scheduler
// master lock blocks: a mixed fleet never has two leaders firing the same schedules.
Lock leader_lock(const Keys& keys, const SchedulerOptions& opts) {
  LockOptions o;
  o.ttl = opts.leader_lock_ttl;
  o.blocked_by = {keys.ruby_master_lock()};
  return Lock(keys.leader_lock(), o);
}

std::string default_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) std::snprintf(buf, sizeof buf, "localhost");
  static std::mutex mu;
  static int seq = 0;
  static pid_t seq_pid = 0;
  std::lock_guard<std::mutex> lock(mu);
  const pid_t pid = ::getpid();
  if (pid != seq_pid) {
    seq_pid = pid;
    seq = 0;
  }
  const int n = seq++;
  return n == 0 ? fmt::format("{}:{}", buf, pid) : fmt::format("{}:{}+{}", buf, pid, n);
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Scheduler::Scheduler(ConnectionOptions connection, std::shared_ptr<const JobRegistry> registry,
                     SchedulerOptions options)
    : state_(std::make_shared<State>()) {
  auto& s = *state_;
  if (options.name.empty()) options.name = default_name();
  detail::check_cluster_options(connection);
  if (options.poll_interval <= std::chrono::milliseconds(0))
    throw ConfigError("scheduler poll_interval must be positive");
  if (options.leader_lock_ttl < std::chrono::seconds(1))
    throw ConfigError("scheduler leader_lock_ttl must be at least 1 s");
  if (options.promotion_batch_size == 0)
    throw ConfigError("scheduler promotion_batch_size must be at least 1");
  if (options.veto_retry_delay < std::chrono::seconds(1))
    throw ConfigError("scheduler veto_retry_delay must be at least 1 s");
  s.keys = Keys(connection.key_namespace);
  s.copts = std::move(connection);
  s.registry = std::move(registry);
  s.opts = std::move(options);
  if (!s.opts.log) s.opts.log = default_logger();  // visible by default
  s.pool = std::make_shared<ConnectionPool>(s.copts, 2);
  s.hook_queue = std::make_unique<Queue>(s.copts, s.registry, QueueOptions{2});
}

Scheduler::~Scheduler() {
  stop();
}

const std::string& Scheduler::name() const {
  return state_->opts.name;
}

bool Scheduler::is_leader() const {
  return state_->leader && steady_ms() < state_->leader_until_ms;
}

SchedulerHealth Scheduler::health() const {
  auto& s = *state_;
  SchedulerHealth h;
  {
    std::lock_guard<std::mutex> lock(s.run_mu);
    h.running = s.thread.joinable() && !s.stop_flag;
  }
  h.connected = s.connected;
  h.leading = is_leader();
  h.last_poll_at =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(s.last_poll_ms.load()));
  std::lock_guard<std::mutex> lock(s.health_mu);
  h.last_error = s.last_error;
  h.last_error_at = s.last_error_at;
  return h;
}

JobStatsMap Scheduler::job_stats() const {
  std::lock_guard<std::mutex> lock(state_->stats_mu);
  return state_->recovered_stats;
}

void Scheduler::State::count_recovered(const std::string& raw, const std::string& queue,
                                       bool to_failed) {
  std::string klass = "(unknown)", q = queue;
  try {
    Job job = decode_payload(raw);
    if (!job.klass.empty()) klass = std::move(job.klass);
    if (q.empty()) q = std::move(job.queue);
  } catch (const std::exception&) {
    // Counted all the same: a recovery that cannot be attributed is still a recovery.
  }
  std::lock_guard<std::mutex> lock(stats_mu);
  JobStats& st = recovered_stats[{klass, q}];
  ++st.recovered;
  if (to_failed) ++st.recovered_failed;
}

void Scheduler::State::set_leader(bool now_leader, const char* why) {
  const bool was = leader.exchange(now_leader);
  if (now_leader && !was) {
    log(LogLevel::Info, fmt::format("scheduler={} is now the leader", opts.name));
    emit(opts.events.on_leader_gained, opts.name);
  } else if (!now_leader && was) {
    log(LogLevel::Info, fmt::format("scheduler={} is no longer the leader: {}", opts.name, why));
    emit(opts.events.on_leader_lost, opts.name);
  }
}

SchedulerPoll Scheduler::State::poll(bool force_dead_check, bool& more) {
  std::lock_guard<std::mutex> lock(poll_mu);
  struct PollStamp {  // health(): when the last poll finished, however it ended
    std::atomic<std::int64_t>& ms;
    ~PollStamp() {
      ms = std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
    }
  } stamp{last_poll_ms};
  SchedulerPoll out;
  more = false;
  try {
    auto conn = pool->acquire();
    const std::int64_t t0 = steady_ms();
    // Acquire by the holder renews; the Ruby master's lock blocks (and gives ours up).
    const auto status = leader_lock(keys, opts).acquire(*conn, opts.name).status;
    const long long r = status == Lock::Status::Acquired  ? 1
                        : status == Lock::Status::Renewed ? 2
                        : status == Lock::Status::Blocked ? -1
                                                          : 0;
    if (r == -1 && last_acquire != -1)
      log(LogLevel::Info,
          fmt::format("scheduler={} a Ruby resque-scheduler holds {}; not leading while it does",
                      opts.name, keys.ruby_master_lock()));
    last_acquire = static_cast<int>(r);
    connected = true;
    if (r == 1 || r == 2) {
      // Counted from before the round trip, so we never believe in a lock that has expired.
      leader_until_ms = t0 + opts.leader_lock_ttl.count() * 1000;
      set_leader(true, "");
    } else {
      set_leader(false, r == -1 ? "a Ruby resque-scheduler master holds its lock"
                                : "another scheduler holds the lock");
    }
    out.leader = leader;
  } catch (const Error& e) {
    error(fmt::format("poll failed: {}", e.what()));
    connected = false;  // after the error, so a health() that sees "not connected" sees why
    if (leader && steady_ms() >= leader_until_ms)
      set_leader(false, "the lock's TTL passed without a renewal (Redis unreachable)");
    out.leader = leader && steady_ms() < leader_until_ms;
    return out;
  }
  // Each duty on its own, so one that keeps failing (a bad schedule, an item that cannot be
  // promoted) does not stop the others; anything thrown, resque's or not, is reported.
  auto duty = [&](const char* what, auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      error(fmt::format("{} failed: {}", what, e.what()));
    } catch (...) {
      error(fmt::format("{} failed: a non-standard exception was thrown", what));
    }
  };
  std::int64_t now = 0;
  duty("reading the time", [&] {
    auto conn = pool->acquire();
    now = detail::server_time(*conn);
  });
  if (now == 0) return out;
  // Followers track schedules too, so a slot that falls due while the leader is dying is
  // known to whoever takes over (see fire_schedules).
  duty("loading schedules", [&] {
    auto conn = pool->acquire();
    load_schedules(*conn, now);
  });
  if (!out.leader) return out;
  const auto budget = std::max(opts.poll_interval, std::chrono::milliseconds(1000));
  duty("promoting delayed jobs", [&] {
    auto conn = pool->acquire();
    out.promoted = promote(*conn, budget, more);
  });
  duty("firing schedules", [&] {
    auto conn = pool->acquire();
    out.schedules_fired = fire_schedules(*conn, now);
  });
  const auto steady_now = std::chrono::steady_clock::now();
  if (opts.recover_dead_workers &&
      (force_dead_check || steady_now - last_dead_check >= opts.dead_worker_check_interval)) {
    last_dead_check = steady_now;
    duty("recovering dead workers", [&] {
      auto conn = pool->acquire();
      out.workers_recovered = recover_dead_workers(*conn);
    });
  }
  return out;
}

SchedulerPoll Scheduler::run_once() {
  bool more = false;
  return state_->poll(true, more);
}

void Scheduler::start() {
  auto s = state_;
  std::thread old;  // a thread that was asked to stop from one of its own callbacks
  {
    std::lock_guard<std::mutex> lock(s->run_mu);
    if (s->thread.joinable() && !s->stop_flag) return;
    old = std::move(s->thread);
  }
  if (old.joinable()) old.join();
  std::lock_guard<std::mutex> lock(s->run_mu);
  if (s->thread.joinable()) return;
  s->stop_flag = false;
  s->thread = std::thread([s] {
    std::unique_lock<std::mutex> l(s->run_mu);
    while (!s->stop_flag) {
      l.unlock();
      bool more = false;
      s->poll(false, more);
      l.lock();
      if (more) continue;  // a backlog of due jobs: carry on at once
      s->cv.wait_for(l, s->opts.poll_interval, [&] { return s->stop_flag; });
    }
  });
}

void Scheduler::stop() {
  auto s = state_;
  std::thread t;
  {
    std::lock_guard<std::mutex> lock(s->run_mu);
    s->stop_flag = true;
    // From an event callback on the scheduler's own thread: it cannot join itself (and holds
    // the poll lock); it stops after this poll, and the destructor releases the lock.
    if (s->thread.get_id() == std::this_thread::get_id()) return;
    t = std::move(s->thread);
  }
  s->cv.notify_all();
  if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock(s->poll_mu);
  if (!s->leader) return;
  try {
    auto conn = s->pool->acquire();
    leader_lock(s->keys, s->opts).release(*conn, s->opts.name);
  } catch (const Error& e) {
    s->error(fmt::format("releasing the leader lock: {} (it expires by its TTL)", e.what()));
  }
  s->set_leader(false, "stopped");
}

// ---- schedules API ---------------------------------------------------------------------------

void Scheduler::add_cron(const std::string& name, const std::string& expression,
                         const std::string& queue, const std::string& klass, Json args,
                         const std::string& tz) {
  Json config = Json::object();
  config["class"] = klass;
  config["cron"] = tz.empty() ? expression : expression + " " + tz;
  config["queue"] = queue;
  config["args"] = std::move(args);
  config["persist"] = false;
  set_schedule(name, std::move(config));
}

void Scheduler::add_every(const std::string& name, std::chrono::seconds interval,
                          const std::string& queue, const std::string& klass, Json args) {
  if (interval < std::chrono::seconds(1))
    throw ConfigError(fmt::format("schedule '{}': interval must be at least 1 s", name));
  Json config = Json::object();
  config["class"] = klass;
  config["every"] = fmt::format("{}s", interval.count());
  config["queue"] = queue;
  config["args"] = std::move(args);
  config["persist"] = false;
  set_schedule(name, std::move(config));
}

void Scheduler::set_schedule(const std::string& name, Json config) {
  auto& s = *state_;
  if (name.empty()) throw ConfigError("schedule name is empty");
  if (!config.is_object())
    throw ConfigError(fmt::format("schedule '{}': config must be a JSON object", name));
  bool persist = true;
  if (config.contains("persist")) {
    // Ruby: `if persist.nil? || persist` -- only an explicit false keeps it in memory.
    persist = !(config["persist"].is_boolean() && !config["persist"].get<bool>());
    config.erase("persist");
  }
  detail::interpret_schedule(name, config, s.opts);  // validates; throws ConfigError
  if (!persist) {
    std::lock_guard<std::mutex> lock(s.sched_mu);
    s.memory[name] = std::move(config);
    return;
  }
  const std::string text = encode_json(config);
  auto conn = s.pool->acquire();
  auto replies = conn->pipeline({{"MULTI"},
                                 {"HSET", s.keys.persistent_schedules(), name, text},
                                 {"SADD", s.keys.schedules_changed(), name},
                                 {"EXEC"}});
  for (auto& r : replies)
    if (r.is_error())
      throw ReplyError(
          fmt::format("set_schedule '{}' on {}: {}", name, s.copts.describe(), r.str()));
}

void Scheduler::remove_schedule(const std::string& name) {
  auto& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.sched_mu);
    s.memory.erase(name);
  }
  auto conn = s.pool->acquire();
  auto replies = conn->pipeline({{"MULTI"},
                                 {"HDEL", s.keys.persistent_schedules(), name},
                                 {"SADD", s.keys.schedules_changed(), name},
                                 {"EXEC"}});
  for (auto& r : replies)
    if (r.is_error())
      throw ReplyError(
          fmt::format("remove_schedule '{}' on {}: {}", name, s.copts.describe(), r.str()));
}

std::map<std::string, Json> Scheduler::schedules() {
  auto& s = *state_;
  std::map<std::string, Json> out;
  {
    std::lock_guard<std::mutex> lock(s.sched_mu);
    out = s.memory;
  }
  auto conn = s.pool->acquire();
  auto all = conn->command({"HGETALL", s.keys.persistent_schedules()}).strings();
  for (std::size_t i = 0; i + 1 < all.size(); i += 2) {
    try {
      out[all[i]] = decode_json(all[i + 1]);
    } catch (const EncodingError&) {
      out[all[i]] = Json(all[i + 1]);
    }
  }
  return out;
}

}  // namespace resque
