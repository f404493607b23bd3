#pragma once
/// @file prometheus.hpp
/// Optional (CMake target resque::prometheus, built when prometheus-cpp is found): the pool's
/// job counters and Redis' queue state as a prometheus::Collectable.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "resque/options.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker_pool.hpp"

namespace resque {

/// Collector settings. Plain struct with defaults.
struct PrometheusOptions {
  /// How long the numbers read from Redis are reused: scrapes closer together than this cost
  /// no Redis round trip. Default 5 s.
  std::chrono::milliseconds redis_cache{5000};
  /// Most queues, delayed timestamps and workers read per refresh (bounds the cost of one
  /// refresh: three pipelined round trips). Default 1000.
  std::size_t max_keys = 1000;
};

/// Series (counters and the histogram from `pool`'s job_stats(), by class and queue; gauges
/// from Redis, refreshed at most every redis_cache):
///   resque_jobs_processed_total, resque_jobs_failed_total, resque_jobs_retried_total,
///   resque_jobs_re_enqueued_total, resque_jobs_vetoed_total, resque_jobs_abandoned_total,
///   resque_jobs_recovered_total and resque_jobs_recovered_failed_total (from `scheduler`'s
///   job_stats(): jobs of dead workers put back or sent to the failed list),
///   resque_job_perform_seconds (histogram, by class), resque_queue_length{queue},
///   resque_delayed_jobs, resque_failed_jobs, resque_workers, resque_workers_busy,
///   resque_redis_up (0 when the last refresh failed; the other gauges then keep their values).
///
/// Register it with your exposer next to your own prometheus::Registry:
///   auto collector = std::make_shared<resque::PrometheusCollector>(redis, &pool);
///   exposer.RegisterCollectable(registry);
///   exposer.RegisterCollectable(collector);
/// `pool` and `scheduler` (either may be null; both null: Redis gauges only) must outlive the
/// collector. Every process's scheduler may be passed: only the leader recovers, and the
/// counters of all instances add up.
/// Thread-safety: Collect() may be called from any thread.
class PrometheusCollector : public prometheus::Collectable {
 public:
  PrometheusCollector(ConnectionOptions redis, const WorkerPool* pool,
                      PrometheusOptions options = {});
  PrometheusCollector(ConnectionOptions redis, const WorkerPool* pool, const Scheduler* scheduler,
                      PrometheusOptions options = {});
  ~PrometheusCollector() override;
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace resque
