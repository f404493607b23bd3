#pragma once
/// @file scheduler.hpp
/// The Scheduler: promotes due delayed jobs, recovers the jobs of dead workers, fires recurring
/// schedules. Run one in any number of processes; one of them (the leader) does the work.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "resque/events.hpp"
#include "resque/job.hpp"
#include "resque/json.hpp"
#include "resque/options.hpp"
#include "resque/worker.hpp"  // JobStats

namespace resque {

class JobRegistry;

/// What the scheduler does with a delayed job whose before_enqueue hook vetoed its promotion
/// (e.g. node's QueueLock while an identical job is still queued).
enum class VetoedPromotion {
  /// Move it back into the delayed schedule, `SchedulerOptions::veto_retry_delay` later, and
  /// try again then (default). Nothing is lost; a lock that is released lets it through.
  Defer,
  /// Push it anyway (log and event say so): the hook's veto is ignored.
  Push,
  /// Drop it, as node-resque's scheduler does, but never silently: logged at warning level and
  /// reported through on_promotion_vetoed.
  Drop,
};

/// A dead worker the scheduler cleaned up.
struct RecoveredWorker {
  enum class Kind {
    /// A resque-cpp worker: its in-flight jobs went back to the head of their queues.
    ResqueCpp,
    /// A Ruby worker (workers:heartbeat, no ping key): its job went to the failed list.
    Ruby,
    /// A node-resque worker (worker:ping:<name>): its job went to the failed list.
    Node,
  };
  std::string worker_id;
  Kind kind = Kind::ResqueCpp;
  /// Seconds since its last heartbeat (or ping) when it was judged dead; -1 when it had none.
  long long silent_for = -1;
  /// Raw payloads pushed back to the head of their queue.
  std::vector<std::string> requeued;
  /// Raw payloads sent to the failed list (a foreign worker's job; a resque-cpp job whose
  /// workers died too often; a job with no queue to go back to).
  std::vector<std::string> failed;
};

/// Scheduler events. Every callback is optional, runs on the scheduler's thread (or the thread
/// calling run_once/stop), and must not throw (a throwing callback is caught and logged). A
/// callback must not call run_once() (polls are serialised); stop() from a callback only asks
/// the thread to stop.
struct SchedulerEvents {
  /// This scheduler took the leader lock.
  std::function<void(const std::string& scheduler)> on_leader_gained;
  /// It lost or released it (stop(), lock taken over, a Ruby master appeared, Redis lost).
  std::function<void(const std::string& scheduler)> on_leader_lost;
  /// A delayed job (due at `timestamp`, epoch seconds) was pushed onto its queue.
  std::function<void(const Job& job, std::int64_t timestamp)> on_promoted;
  /// A before_enqueue hook vetoed a promotion; `action` says what was done with the job.
  std::function<void(const Job& job, std::int64_t timestamp, VetoedPromotion action)>
      on_promotion_vetoed;
  std::function<void(const RecoveredWorker& worker)> on_worker_recovered;
  /// A recurring schedule fired and its job was enqueued.
  std::function<void(const std::string& schedule, const Job& job)> on_schedule_fired;
  /// Something went wrong and was handled (Redis unreachable, a delayed item that could not
  /// be promoted and went to the failed list, a schedule that cannot run, ...).
  std::function<void(const std::string& message)> on_error;
};

/// Scheduler settings. Plain struct with defaults.
struct SchedulerOptions {
  /// The scheduler's name, stored as the leader lock's value. Default "host:pid" (node's
  /// default), "host:pid+N" for further schedulers in the same process.
  std::string name;
  /// How often the scheduler renews or seeks leadership and looks for due work. Default 1 s.
  std::chrono::milliseconds poll_interval{1000};
  /// TTL of the leader lock (<ns>:resque_scheduler_leader_lock, shared with node-resque). A
  /// leader that dies is replaced within this TTL plus one poll. Default 180 s, as node and
  /// resque-scheduler use.
  std::chrono::seconds leader_lock_ttl{180};
  /// Delayed items promoted per script call. Default 100 (resque-scheduler's batch size).
  std::size_t promotion_batch_size = 100;

  /// Run each job class's before_enqueue/after_enqueue hooks when promoting its delayed jobs.
  /// Default true: node-resque and resque-scheduler both run enqueue hooks on promotion, and
  /// Queue::enqueue_at skips them for that reason. A hook runs on a copy read from Redis; the
  /// job moves only in the script that follows, which first checks the item is still there, so
  /// a crash at any instant loses nothing (at worst a lock a hook took is left to its TTL).
  bool run_enqueue_hooks_on_promotion = true;
  /// What a vetoed promotion does. Default VetoedPromotion::Defer.
  VetoedPromotion on_promotion_veto = VetoedPromotion::Defer;
  /// How much later a deferred promotion is tried again. Default 5 s.
  std::chrono::seconds veto_retry_delay{5};

  /// Look for dead workers and recover their jobs. Default true.
  bool recover_dead_workers = true;
  /// How often the (SCAN-based) dead-worker check runs. Default 5 s.
  std::chrono::milliseconds dead_worker_check_interval{5000};
  /// A resque-cpp worker whose heartbeat is older than this is dead. Default 30 s: six of its
  /// 5 s heartbeats, which a separate thread writes also while a long job runs.
  std::chrono::seconds dead_worker_threshold{30};
  /// The same for Ruby workers (workers:heartbeat without a ping key). Ruby beats every 60 s
  /// and prunes after 300 s; default 300 s, so no Ruby worker is pruned earlier than Ruby's own
  /// pruning would.
  std::chrono::seconds ruby_dead_worker_threshold{300};
  /// The same for node-resque workers (worker:ping:<name>, refreshed every `timeout`, 5 s by
  /// default). Default 3600 s, node's own stuckWorkerTimeout: node pings from its event loop,
  /// which a CPU-bound job blocks, so a shorter threshold would fail jobs that still run.
  std::chrono::seconds node_dead_worker_threshold{3600};
  /// A resque-cpp job whose workers died while performing it is put back at most this many
  /// times; the next death sends it to the failed list ("worker died while performing it N
  /// times") instead of looping. 0 = never put back (Ruby's behaviour). Default 3.
  unsigned max_recoveries = 3;
  /// How long the per-payload death counter is kept after the last death. Default 24 h.
  std::chrono::seconds recovery_count_ttl{24 * 3600};

  /// Ruby's Resque::Scheduler.env: schedules whose "env"/"rails_env" is set and does not list
  /// this value are skipped (as resque-scheduler skips them). Default empty.
  std::string env;
  /// Time zone of cron schedules that name none: "" = this process's local zone (TZ or
  /// /etc/localtime), as cron and rufus-scheduler use; or "UTC", "Europe/Lisbon", "+02:00".
  /// TZ must name a zone ("Europe/Lisbon"): a POSIX rule string ("CET-1CEST,M3.5.0,M10.5.0/3")
  /// is not read and counts as UTC here. Default "".
  std::string cron_time_zone;

  SchedulerEvents events;
  LogFunction log;
};

/// The scheduler's state for readiness probes. No Redis round trip.
struct SchedulerHealth {
  /// Its background thread runs (start() until stop()).
  bool running = false;
  /// Its last poll reached Redis (false from a failed poll until the next good one).
  bool connected = false;
  /// As is_leader().
  bool leading = false;
  /// When the last poll finished (whether or not it reached Redis); the epoch before the first.
  std::chrono::system_clock::time_point last_poll_at{};
  /// The last error reported (on_error), and when; empty and the epoch when none.
  std::string last_error;
  std::chrono::system_clock::time_point last_error_at{};
};

/// What one poll did (run_once()).
struct SchedulerPoll {
  bool leader = false;
  std::size_t promoted = 0;
  std::size_t workers_recovered = 0;
  std::size_t schedules_fired = 0;
};

/// The scheduler. Any number may run against one Redis (also alongside node-resque schedulers
/// and Ruby resque-scheduler); exactly one leads at a time and does all of the following:
///
/// * Promotion: delayed jobs whose time has come (written by Ruby, node or resque-cpp) move to
///   their queues, each batch in one script together with its timestamps: members, the
///   `queues` entry and the emptied delayed list, so a crash at any instant loses nothing. A
///   Ruby item {"class","args","queue"} is pushed as Ruby's scheduler pushes it
///   ({"class","args"}, same bytes); node and resque-cpp items are pushed as stored. An item
///   with no queue, or that is not a job, goes to the failed list with a clear error.
/// * Leadership: node-resque's lock <ns>:resque_scheduler_leader_lock (value = name, SET NX EX,
///   renewed and released only by its holder, atomically). While a Ruby resque-scheduler holds
///   its master lock, this scheduler does not lead, so recurring jobs never fire twice.
/// * Dead workers: resque-cpp workers with stale heartbeats get their in-flight jobs pushed back
///   to the head of their queues (at-least-once; see max_recoveries); Ruby and node workers get
///   their current job sent to the failed list, as their own pruners do. All are unregistered.
/// * Recurring schedules: cron or interval schedules defined in code (add_cron, add_every) or
///   persisted in resque-scheduler's `persistent_schedules` hash (set_schedule here or
///   Resque.set_schedule in Ruby). Each fire is recorded in `delayed:last_enqueued_at` as Ruby
///   records it, with a compare-and-set, so a slot fires once even across leader changes, and a
///   run missed while nobody led fires once, not once per missed slot.
///
/// All times come from the Redis server's clock (TIME), so hosts with skewed clocks agree.
///
/// Thread-safety: every method may be called from any thread. Polls (the background thread's
/// and run_once()) are serialised.
class Scheduler {
 public:
  /// `registry` (optional) supplies the enqueue hooks of job classes.
  Scheduler(ConnectionOptions connection, std::shared_ptr<const JobRegistry> registry = nullptr,
            SchedulerOptions options = {});
  /// stop().
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  const std::string& name() const;

  /// Starts the background thread (polls every poll_interval; sooner while work is pending).
  void start();
  /// Stops the thread, then releases the leader lock if this scheduler holds it.
  void stop();
  /// One poll on the calling thread: seek or renew leadership; if leader, promote due jobs,
  /// fire due schedules and check for dead workers (always, whatever the check interval).
  /// Redis errors are reported through on_error and the log, not thrown.
  SchedulerPoll run_once();
  /// True while this scheduler holds the leader lock (as of its last poll, and not longer than
  /// the lock's TTL after the last successful renewal).
  bool is_leader() const;
  /// A snapshot for readiness probes (no Redis round trip).
  SchedulerHealth health() const;
  /// The jobs this scheduler recovered from dead workers since it was created, by {class,
  /// queue} (JobStats::recovered and recovered_failed; its other counters are 0). A job whose
  /// payload cannot be read counts under class "(unknown)"; one with no queue under queue "".
  /// No Redis round trip.
  JobStatsMap job_stats() const;

  /// A cron schedule defined in code (kept in memory, like resque-scheduler's YAML schedules).
  /// Replaces a schedule of the same name. Throws ConfigError for a bad expression, zone, queue
  /// or class.
  ///
  /// `expression`: 5 fields "min hour day-of-month month day-of-week", or 6 with seconds first
  /// (as rufus-scheduler/fugit read them); "*", "?", numbers, "a-b", "a,b", "*/n", "a-b/n",
  /// "a/n", JAN-DEC, SUN-SAT (0 and 7 are Sunday), "L" (last day of the month), "FRI#2" (second
  /// Friday), "5L" (last Friday); @yearly @monthly @weekly @daily @hourly; an optional trailing
  /// zone ("0 3 * * * Europe/Lisbon"). Day of month and day of week combine as in Vixie cron.
  /// `tz`: "" = SchedulerOptions::cron_time_zone; otherwise "UTC", "+02:00" or an IANA name
  /// read from the system's zoneinfo (package tzdata). Across DST changes, a wall-clock time the
  /// change skips fires when the clocks jump; one that happens twice fires once, at the first.
  void add_cron(const std::string& name, const std::string& expression, const std::string& queue,
                const std::string& klass, Json args = Json::array(), const std::string& tz = "");
  /// An interval schedule defined in code (first fire one interval after it is first seen).
  void add_every(const std::string& name, std::chrono::seconds interval, const std::string& queue,
                 const std::string& klass, Json args = Json::array());
  /// Persists a schedule in resque-scheduler's format: HSET persistent_schedules <name>
  /// <JSON config> and SADD schedules_changed <name>, so Ruby's scheduler and resque-web see it.
  /// `config` is Ruby's hash: {"class","cron" or "every","queue","args","description",...};
  /// "class" defaults to the name; {"persist": false} keeps it in memory only, as in Ruby.
  /// Throws ConfigError when it has neither a valid cron nor every, or no queue.
  void set_schedule(const std::string& name, Json config);
  /// Removes a schedule (from memory and from persistent_schedules; SADD schedules_changed).
  void remove_schedule(const std::string& name);
  /// Every schedule this scheduler would run: in-memory ones and those in persistent_schedules
  /// (which win on a name clash, as in Ruby), as Ruby-style configs.
  std::map<std::string, Json> schedules();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace resque
