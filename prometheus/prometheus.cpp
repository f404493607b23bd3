#include "resque/prometheus.hpp"

#include <limits>
#include <map>

#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/keys.hpp"

namespace resque {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// What the Redis refresh read.
struct RedisNumbers {
  bool up = false;
  std::map<std::string, double> queue_lengths;
  double delayed = 0, failed = 0, workers = 0, busy = 0;
};

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

ClientMetric gauge(double v, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = v;
  return m;
}

}  // namespace

struct PrometheusCollector::State {
  ConnectionOptions copts;
  Keys keys;
  const WorkerPool* pool = nullptr;
  const Scheduler* scheduler = nullptr;
  PrometheusOptions opts;
  mutable std::mutex mu;  // guards conn and the cache; one refresh at a time
  mutable std::unique_ptr<Connection> conn;
  mutable RedisNumbers cached;
  mutable std::chrono::steady_clock::time_point refreshed{};
  mutable bool ever = false;

  void refresh() const {
    const auto now = std::chrono::steady_clock::now();
    if (ever && now - refreshed < opts.redis_cache) return;
    ever = true;
    refreshed = now;
    try {
      if (!conn) conn = std::make_unique<Connection>(copts);
      const auto limit = std::to_string(static_cast<long long>(opts.max_keys) - 1);
      auto first = conn->pipeline({{"SMEMBERS", keys.queues()},
                                   {"ZRANGE", keys.delayed_schedule(), "0", limit},
                                   {"SRANDMEMBER", keys.workers(), std::to_string(opts.max_keys)},
                                   {"LLEN", keys.failed()},
                                   {"SCARD", keys.workers()}});
      for (const auto& r : first)
        if (r.is_error()) throw ReplyError(std::string(r.str()));
      auto queues = first[0].strings();
      if (queues.size() > opts.max_keys) queues.resize(opts.max_keys);
      const auto stamps = first[1].strings();
      const auto workers = first[2].strings();
      std::vector<std::vector<std::string>> cmds;
      for (const auto& q : queues) cmds.push_back({"LLEN", keys.queue(q)});
      for (const auto& t : stamps) cmds.push_back({"LLEN", keys.key("delayed:" + t)});
      for (const auto& w : workers) cmds.push_back({"EXISTS", keys.worker(w)});
      RedisNumbers n;
      n.failed = static_cast<double>(first[3].integer());
      n.workers = static_cast<double>(first[4].integer());
      if (!cmds.empty()) {
        auto replies = conn->pipeline(cmds);
        std::size_t i = 0;
        for (const auto& q : queues) {
          const auto& r = replies[i++];
          n.queue_lengths[q] = r.is_error() ? 0.0 : static_cast<double>(r.integer());
        }
        for (std::size_t k = 0; k < stamps.size(); ++k, ++i)
          if (!replies[i].is_error()) n.delayed += static_cast<double>(replies[i].integer());
        for (std::size_t k = 0; k < workers.size(); ++k, ++i)
          if (!replies[i].is_error()) n.busy += static_cast<double>(replies[i].integer());
      }
      n.up = true;
      cached = std::move(n);
    } catch (const Error&) {
      cached.up = false;  // the other gauges keep their last values
      conn.reset();
    }
  }
};

PrometheusCollector::PrometheusCollector(ConnectionOptions redis, const WorkerPool* pool,
                                         PrometheusOptions options)
    : PrometheusCollector(std::move(redis), pool, nullptr, options) {}

PrometheusCollector::PrometheusCollector(ConnectionOptions redis, const WorkerPool* pool,
                                         const Scheduler* scheduler, PrometheusOptions options)
    : state_(std::make_unique<State>()) {
  if (options.max_keys == 0) throw ConfigError("PrometheusOptions::max_keys must be at least 1");
  state_->keys = Keys(redis.key_namespace);
  state_->copts = std::move(redis);
  state_->pool = pool;
  state_->scheduler = scheduler;
  state_->opts = options;
}

PrometheusCollector::~PrometheusCollector() = default;

std::vector<MetricFamily> PrometheusCollector::Collect() const {
  std::vector<MetricFamily> out;
  if (state_->pool != nullptr || state_->scheduler != nullptr) {
    JobStatsMap stats;
    if (state_->pool != nullptr) stats = state_->pool->job_stats();
    if (state_->scheduler != nullptr)
      for (const auto& [key, st] : state_->scheduler->job_stats()) stats[key] += st;
    struct CounterDef {
      const char* name;
      const char* help;
      std::uint64_t JobStats::*field;
    };
    const CounterDef defs[] = {
        {"resque_jobs_processed_total", "Jobs performed successfully.", &JobStats::processed},
        {"resque_jobs_failed_total", "Jobs that failed (failure record written).",
         &JobStats::failed},
        {"resque_jobs_retried_total", "Jobs that failed and were re-enqueued for a retry.",
         &JobStats::retried},
        {"resque_jobs_re_enqueued_total", "Jobs a plugin put back without running them.",
         &JobStats::re_enqueued},
        {"resque_jobs_vetoed_total", "Jobs a before_perform hook dropped.", &JobStats::vetoed},
        {"resque_jobs_recovered_total",
         "Jobs of dead workers a scheduler recovered (put back or sent to the failed list).",
         &JobStats::recovered},
        {"resque_jobs_recovered_failed_total",
         "Jobs of dead workers a scheduler sent to the failed list.", &JobStats::recovered_failed},
    };
    for (const auto& d : defs) {
      auto f = family(d.name, d.help, MetricType::Counter);
      for (const auto& [key, st] : stats) {
        ClientMetric m;
        m.label = {{"class", key.first}, {"queue", key.second}};
        m.counter.value = static_cast<double>(st.*(d.field));
        f.metric.push_back(std::move(m));
      }
      out.push_back(std::move(f));
    }
    // The histogram is by class only (queues summed): bounded label cardinality.
    std::map<std::string, JobStats> by_class;
    for (const auto& [key, st] : stats) by_class[key.first] += st;
    auto h = family("resque_job_perform_seconds", "Time spent performing jobs, by class.",
                    MetricType::Histogram);
    for (const auto& [klass, st] : by_class) {
      ClientMetric m;
      m.label = {{"class", klass}};
      m.histogram.sample_count = st.performed;
      m.histogram.sample_sum = static_cast<double>(st.perform_time.count()) / 1e6;
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kPerformBuckets.size(); ++i) {
        cumulative += st.perform_buckets[i];
        m.histogram.bucket.push_back({cumulative, kPerformBuckets[i]});
      }
      m.histogram.bucket.push_back({st.performed, std::numeric_limits<double>::infinity()});
      h.metric.push_back(std::move(m));
    }
    out.push_back(std::move(h));
    auto lat = family("resque_job_queue_latency_seconds",
                      "Time from enqueue to perform, by class (jobs enqueued with enqueued_at).",
                      MetricType::Histogram);
    for (const auto& [klass, st] : by_class) {
      if (st.latency_samples == 0) continue;
      ClientMetric m;
      m.label = {{"class", klass}};
      m.histogram.sample_count = st.latency_samples;
      m.histogram.sample_sum = static_cast<double>(st.latency_time.count()) / 1e6;
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kPerformBuckets.size(); ++i) {
        cumulative += st.latency_buckets[i];
        m.histogram.bucket.push_back({cumulative, kPerformBuckets[i]});
      }
      m.histogram.bucket.push_back({st.latency_samples, std::numeric_limits<double>::infinity()});
      lat.metric.push_back(std::move(m));
    }
    out.push_back(std::move(lat));
  }
  if (state_->pool != nullptr) {
    auto ab = family("resque_jobs_abandoned_total",
                     "Jobs given up on by stop(deadline), left in flight for recovery.",
                     MetricType::Counter);
    ClientMetric m;
    m.counter.value = static_cast<double>(state_->pool->jobs_abandoned());
    ab.metric.push_back(std::move(m));
    out.push_back(std::move(ab));
  }

  std::lock_guard<std::mutex> lock(state_->mu);
  state_->refresh();
  const RedisNumbers& n = state_->cached;
  auto up =
      family("resque_redis_up", "1 when the last read of Redis succeeded.", MetricType::Gauge);
  up.metric.push_back(gauge(n.up ? 1.0 : 0.0));
  out.push_back(std::move(up));
  auto ql = family("resque_queue_length", "Jobs waiting in each queue.", MetricType::Gauge);
  for (const auto& [q, len] : n.queue_lengths) ql.metric.push_back(gauge(len, {{"queue", q}}));
  out.push_back(std::move(ql));
  const std::pair<const char*, double> gauges[] = {{"resque_delayed_jobs", n.delayed},
                                                   {"resque_failed_jobs", n.failed},
                                                   {"resque_workers", n.workers},
                                                   {"resque_workers_busy", n.busy}};
  const char* helps[] = {"Delayed jobs (up to max_keys timestamps read).",
                         "Entries in the failed list.", "Registered workers (any library).",
                         "Registered workers performing a job (up to max_keys read)."};
  for (std::size_t i = 0; i < 4; ++i) {
    auto f = family(gauges[i].first, helps[i], MetricType::Gauge);
    f.metric.push_back(gauge(gauges[i].second));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace resque
