#pragma once
/// @file queue.hpp
/// The client half: enqueue (now, at, in, batch), inspection of everything on a shared Redis
/// whoever wrote it (Ruby, node, us), and failed-job management.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "resque/connection.hpp"
#include "resque/job.hpp"
#include "resque/keys.hpp"
#include "resque/options.hpp"

namespace resque {

class JobRegistry;

/// Queue settings. Plain struct with defaults.
struct QueueOptions {
  /// Connections in the Queue's pool (the most commands in flight at once). Default 4.
  std::size_t pool_size = 4;
  /// Largest payload enqueue(), enqueue_at()/enqueue_in() and enqueue_batch() write; a bigger
  /// one throws EncodingError naming both sizes, before any hook runs. 0: no limit. Default
  /// kDefaultMaxPayloadBytes (64 MiB).
  std::size_t max_payload_bytes = kDefaultMaxPayloadBytes;
};

/// One entry of the failed list as stored, with its position.
struct FailedJob {
  /// Index in the failed list at the time it was read (0 = oldest).
  long long index = 0;
  /// The exact stored string (used to remove exactly this entry).
  std::string raw;
  /// The decoded entry (Ruby's or node's fields); null when the stored text is not JSON.
  Json entry;
};

/// A registered worker, parsed from its id: Ruby's "host:pid:queues", node's
/// "host:pid+N:queues" (and any name:queues node users chose).
struct WorkerInfo {
  std::string id;    ///< the full member of the workers set
  std::string name;  ///< id without the queues ("host:pid", "host:pid+2")
  std::string host;
  std::string pid;  ///< "1234" or "1234+2"
  std::vector<std::string> queues;
};

/// The Queue. Thread-safety: thread-safe; share one instance between threads (it keeps a small
/// connection pool). Every method may throw resque::Error (ConnectionError when Redis is down;
/// nothing is half-written in that case because every multi-key change is one script or MULTI).
class Queue {
 public:
  /// `registry` (optional) supplies the enqueue hooks of each job class's plugins.
  explicit Queue(ConnectionOptions options, std::shared_ptr<const JobRegistry> registry = nullptr,
                 QueueOptions queue_options = {});
  /// Shares an existing pool (a WorkerPool hands its Queue to plugins this way).
  Queue(std::shared_ptr<ConnectionPool> pool, std::shared_ptr<const JobRegistry> registry);
  ~Queue();

  const Keys& keys() const { return keys_; }
  /// The dialect every write of this Queue follows (its ConnectionOptions::dialect).
  Dialect dialect() const { return pool_->options().dialect; }
  ConnectionPool& pool() { return *pool_; }
  const std::shared_ptr<const JobRegistry>& registry() const { return registry_; }

  // ---- enqueue ------------------------------------------------------------------------

  /// Runs the class's before_enqueue hooks, then SADD queues + RPUSH in one script (which also
  /// wakes idle resque-cpp workers), then after_enqueue hooks. Returns false when a hook vetoed
  /// (e.g. QueueLock while an identical job is queued): the job was not written, so check it.
  /// Throws ConfigError for empty names or names with ':' or ',', EncodingError for args that
  /// cannot be JSON (NaN, invalid UTF-8, nested deeper than 512) or a payload over
  /// QueueOptions::max_payload_bytes.
  bool enqueue(const std::string& queue, const std::string& klass, Json args = Json::array());

  /// Opt-in payload fields for enqueue(). Off by default: Ruby's Resque.dequeue, node's del()
  /// and del() here match a job by its exact bytes, which extra fields change (a Ruby
  /// `Resque.dequeue(Klass, *args)` no longer finds such a job; del() finds it with
  /// DelOptions::match_by_value).
  struct EnqueueOptions {
    /// Add "enqueued_at": epoch seconds (a float, ms precision), as Sidekiq writes it. Workers
    /// then count the queue latency (JobStats::latency_*, resque_job_queue_latency_seconds).
    bool enqueued_at = false;
    /// Add a W3C trace context "traceparent" ("00-<32 hex>-<16 hex>-<2 hex>"), so the job can
    /// continue the enqueuing request's trace: jobs see it in Job::extra["traceparent"]
    /// (define_raw) and hooks in ctx.job.extra. Empty: none. A malformed one throws ConfigError.
    std::string traceparent;
    /// More top-level fields (an object; must not name class, queue or args).
    Json extra = Json::object();
  };
  /// enqueue() with opt-in payload fields.
  bool enqueue(const std::string& queue, const std::string& klass, Json args,
               const EnqueueOptions& options);

  /// resque-scheduler's delayed job: delayed:<S>, delayed_queue_schedule and
  /// timestamps:<payload>, written atomically with the duplicate check. S = floor(epoch seconds),
  /// as Ruby computes it, so a job never runs early. A past time is promoted on the scheduler's
  /// next poll. A job with the same class, queue and args already delayed at the same second
  /// (in node's or Ruby's encoding) throws JobError, or returns false when
  /// `suppress_duplicate` is true. Enqueue hooks do not run here (they run on promotion).
  bool enqueue_at(std::chrono::system_clock::time_point when, const std::string& queue,
                  const std::string& klass, Json args = Json::array(),
                  bool suppress_duplicate = false);
  bool enqueue_in(std::chrono::milliseconds delay, const std::string& queue,
                  const std::string& klass, Json args = Json::array(),
                  bool suppress_duplicate = false);

  /// Enqueues many jobs in one round trip (hooks run per job; vetoed ones are skipped).
  /// Returns how many were written.
  std::size_t enqueue_batch(const std::vector<Job>& jobs);

  // ---- inspection ---------------------------------------------------------------------

  std::vector<std::string> queues();
  long long length(const std::string& queue);
  /// Jobs in a queue (LRANGE semantics for start/stop). Entries that do not decode are
  /// returned with klass empty and extra["raw"] holding the stored text; Ruby's payloads (no
  /// "queue" field) get `queue` filled in. Reads and removals accept any non-empty name (so
  /// queues other writers named with ':' can be inspected and cleaned); empty names throw
  /// ConfigError.
  std::vector<Job> queued(const std::string& queue, long long start = 0, long long stop = -1);
  /// Delayed timestamps (epoch seconds), ascending.
  std::vector<std::int64_t> timestamps();
  std::vector<Job> delayed_at(std::int64_t timestamp);
  std::map<std::int64_t, std::vector<Job>> all_delayed();
  /// Timestamps at which this job is delayed (node's and Ruby's encodings both looked up).
  std::vector<std::int64_t> scheduled_at(const std::string& queue, const std::string& klass,
                                         const Json& args = Json::array());
  /// lock:* and workerslock:* keys (namespace stripped) with their values.
  std::map<std::string, std::string> locks();
  /// stat:* values: "processed", "failed", "processed:<worker>", ...
  std::map<std::string, long long> stats();
  std::vector<WorkerInfo> workers();
  /// worker:<id> parsed (Ruby {"queue","run_at","payload"} or node's), or nullopt when idle.
  std::optional<Json> working_on(const std::string& worker_id);
  /// Every registered worker -> its job status, or the string "started" when idle.
  std::map<std::string, Json> all_working_on();

  // ---- changes ------------------------------------------------------------------------

  /// Removes jobs of `klass` with these args from a queue, at most `count` (0 = all): the
  /// bytes that Ruby resque, node-resque and resque-cpp write for them ({"class","args"} and
  /// {"class","queue","args"}, both dialects' numbers), by one LREM each inside Redis, nothing
  /// read back: what Ruby's Job.destroy and node's del() do, for both encodings. A copy
  /// written otherwise (another key order, 42.0 for 42, cjson's "\/", extra fields such as
  /// EnqueueOptions' enqueued_at) stays queued unless DelOptions::match_by_value is set. With a
  /// count, node's encoding is removed first, then Ruby's. Returns how many were removed.
  long long del(const std::string& queue, const std::string& klass, const Json& args,
                long long count = 0);
  /// How del() finds the jobs it removes.
  struct DelOptions {
    /// At most this many (0 = every match). Default 0.
    long long count = 0;
    /// Also match every other encoding of the same job by value (object keys in any order,
    /// 42.0 for 42, cjson's "\/" and {}, extra payload fields ignored), each removed by its
    /// stored bytes in one script. This reads the whole list (in pages of 10,000, decoding only
    /// entries that contain the class and argument bytes): on a queue of 1,000,000 jobs several
    /// times the default's time and Redis CPU (bench/README.md); with a count, the first
    /// matches in list order go. Default false.
    bool match_by_value = false;
  };
  long long del(const std::string& queue, const std::string& klass, const Json& args,
                const DelOptions& options);
  /// Removes every job of `klass` from a queue.
  long long del_by_class(const std::string& queue, const std::string& klass);
  /// DEL queue:<q> and SREM queues <q>, atomically.
  void del_queue(const std::string& queue);
  /// Removes a delayed job wherever it is scheduled (either encoding). Returns the timestamps.
  std::vector<std::int64_t> del_delayed(const std::string& queue, const std::string& klass,
                                        const Json& args = Json::array());
  /// Deletes a lock key as locks() names it ("lock:..." / "workerslock:..."). True if it existed.
  /// Any other key is refused with ConfigError.
  bool del_lock(const std::string& key);

  long long failed_count();
  std::vector<FailedJob> failed(long long start = 0, long long stop = -1);
  /// Removes the entry at `index` (Ruby's LSET+LREM, done atomically). False if out of range.
  bool remove_failed(long long index);
  /// Removes exactly this entry (by its stored bytes). False if it is no longer there.
  bool remove_failed(const FailedJob& failed);
  /// Ruby's Failure.requeue: enqueue {class,args} on the entry's queue, set "retried_at", keep
  /// the entry (its other bytes unchanged), both in one script. Like Ruby, no enqueue hooks run.
  /// Throws JobError when the index is out of range or the entry cannot be read.
  void retry_failed(long long index);
  /// node's retryAndRemoveFailed: remove the entry (by its stored bytes), enqueue its job, in
  /// one script (no enqueue hooks run). Throws JobError when the entry is no longer in the
  /// failed list ("This job is not in failed queue") or names no class and queue.
  void retry_and_remove_failed(const FailedJob& failed);
  /// Ruby's requeue_all: every entry requeued (entries stay, with retried_at). Returns count.
  long long retry_all_failed();
  /// DEL failed.
  void clear_failed();

  /// Workers whose current job started more than `age` ago (status run_at: Ruby's ISO time or
  /// node's JavaScript date) are force-cleaned. Returns worker id -> the failure entry written
  /// for its job.
  std::map<std::string, Json> clean_old_workers(std::chrono::milliseconds age);
  /// Unregisters a worker and deletes all its keys (status, :started, in-flight list, its
  /// stats, heartbeat field, node ping key); its current job (from the in-flight list, else the
  /// status) goes to the failed list in Ruby's format (exception "Resque::DirtyExit"), all in
  /// one script. Returns that failure entry, or nullopt if the worker was idle.
  std::optional<Json> force_clean_worker(const std::string& worker_id);

  /// Ruby's pause-all-workers key: every Ruby and resque-cpp worker stops taking jobs.
  void pause_all();
  void resume_all();
  bool all_paused();

 private:
  friend class Worker;
  std::shared_ptr<ConnectionPool> pool_;
  std::shared_ptr<const JobRegistry> registry_;
  Keys keys_;
  std::size_t max_payload_bytes_ = kDefaultMaxPayloadBytes;
};

}  // namespace resque
