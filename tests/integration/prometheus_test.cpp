// resque::prometheus: a scrape (Collect()) shows the job counters, the perform histogram and
// Redis' queue state, with values that match Redis.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/prometheus.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker_pool.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {

// The value of a series: the counter or gauge whose labels include all of `labels`.
std::optional<double> value(const std::vector<prometheus::MetricFamily>& families,
                            const std::string& name,
                            const std::map<std::string, std::string>& labels = {}) {
  for (const auto& f : families) {
    if (f.name != name) continue;
    for (const auto& m : f.metric) {
      std::size_t matched = 0;
      for (const auto& l : m.label) {
        auto it = labels.find(l.name);
        matched += it != labels.end() && it->second == l.value;
      }
      if (matched != labels.size()) continue;
      return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return std::nullopt;
}

}  // namespace

TEST(Prometheus, ScrapeShowsJobCountersHistogramAndRedisState) {
  RedisServer server;
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Ok", [] {});
  reg->define("Boom", [] { throw std::runtime_error("boom"); });
  Queue q(server.options(), reg);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.enqueue("work", "Ok"));
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(q.enqueue("work", "Boom"));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.enqueue("backlog", "Ok"));  // no worker reads it
  ASSERT_TRUE(q.enqueue_in(std::chrono::hours(1), "work", "Ok", Json::array({1})));
  WorkerPoolOptions po;
  po.worker = fast_worker({"work"});
  po.min_threads = po.max_threads = 2;
  WorkerPool pool(server.options(), reg, po);
  pool.start();
  ASSERT_TRUE(
      eventually([&] { return pool.jobs_done() == 5 && pool.health().jobs_in_flight == 0; }));

  PrometheusOptions popts;
  popts.redis_cache = std::chrono::milliseconds(0);  // read Redis on every scrape here
  auto collector = std::make_shared<PrometheusCollector>(server.options(), &pool, popts);
  const auto families = collector->Collect();
  Connection c(server.options());
  EXPECT_EQ(value(families, "resque_jobs_processed_total", {{"class", "Ok"}, {"queue", "work"}}),
            3.0);
  EXPECT_EQ(value(families, "resque_jobs_failed_total", {{"class", "Boom"}, {"queue", "work"}}),
            2.0);
  EXPECT_EQ(value(families, "resque_jobs_abandoned_total"), 0.0);
  EXPECT_EQ(value(families, "resque_redis_up"), 1.0);
  EXPECT_EQ(value(families, "resque_queue_length", {{"queue", "backlog"}}),
            static_cast<double>(c.command({"LLEN", "resque:queue:backlog"}).integer()));
  EXPECT_EQ(value(families, "resque_queue_length", {{"queue", "backlog"}}), 4.0);
  EXPECT_EQ(value(families, "resque_queue_length", {{"queue", "work"}}), 0.0);
  EXPECT_EQ(value(families, "resque_delayed_jobs"), 1.0);
  EXPECT_EQ(value(families, "resque_failed_jobs"),
            static_cast<double>(c.command({"LLEN", "resque:failed"}).integer()));
  EXPECT_EQ(value(families, "resque_failed_jobs"), 2.0);
  EXPECT_EQ(value(families, "resque_workers"),
            static_cast<double>(c.command({"SCARD", "resque:workers"}).integer()));
  EXPECT_EQ(value(families, "resque_workers"), 2.0);
  EXPECT_EQ(value(families, "resque_workers_busy"), 0.0);
  bool histogram_seen = false;
  for (const auto& f : families) {
    if (f.name != "resque_job_perform_seconds") continue;
    EXPECT_EQ(f.type, prometheus::MetricType::Histogram);
    for (const auto& m : f.metric) {
      if (m.label.empty() || m.label[0].value != "Ok") continue;
      histogram_seen = true;
      EXPECT_EQ(m.histogram.sample_count, 3u);
      ASSERT_FALSE(m.histogram.bucket.empty());
      EXPECT_EQ(m.histogram.bucket.back().cumulative_count, 3u);
    }
  }
  EXPECT_TRUE(histogram_seen);

  // Redis gone: the scrape still answers, says so, and keeps the last numbers.
  ASSERT_TRUE(pool.stop());
  server.stop();
  const auto later = collector->Collect();
  EXPECT_EQ(value(later, "resque_redis_up"), 0.0);
  EXPECT_EQ(value(later, "resque_queue_length", {{"queue", "backlog"}}), 4.0);
  EXPECT_EQ(value(later, "resque_jobs_processed_total", {{"class", "Ok"}, {"queue", "work"}}), 3.0);
}

// A Scheduler passed to the collector: the jobs it recovered from dead workers are counted by
// class and queue (here a Ruby worker's job, which goes to the failed list as Ruby's pruner
// sends it), and the failed-list gauge agrees.
TEST(Prometheus, ScrapeShowsTheJobsASchedulerRecovered) {
  RedisServer server;
  Connection c(server.options());
  const std::string id = "deadhost:4242:exports";
  c.command({"SADD", "resque:workers", id});
  c.command(
      {"SET", "resque:worker:" + id,
       R"({"queue":"exports","run_at":"2020-01-01T00:00:00Z","payload":{"class":"ExportJob","args":[42]}})"});
  c.command({"SET", "resque:worker:" + id + ":started", "2020-01-01 00:00:00 +0000"});
  c.command({"HSET", "resque:workers:heartbeat", id, "2020-01-01T00:00:00+00:00"});
  SchedulerOptions so;
  so.name = "s1";
  so.log = [](LogLevel, std::string_view) {};
  Scheduler s(server.options(), nullptr, so);
  PrometheusOptions popts;
  popts.redis_cache = std::chrono::milliseconds(0);
  auto collector = std::make_shared<PrometheusCollector>(server.options(), nullptr, &s, popts);
  EXPECT_EQ(value(collector->Collect(), "resque_jobs_recovered_total"), std::nullopt);
  ASSERT_EQ(s.run_once().workers_recovered, 1u);
  const auto families = collector->Collect();
  const std::map<std::string, std::string> labels{{"class", "ExportJob"}, {"queue", "exports"}};
  EXPECT_EQ(value(families, "resque_jobs_recovered_total", labels), 1.0);
  EXPECT_EQ(value(families, "resque_jobs_recovered_failed_total", labels), 1.0);
  EXPECT_EQ(value(families, "resque_jobs_processed_total", labels), 0.0);
  EXPECT_EQ(value(families, "resque_jobs_abandoned_total"), std::nullopt);  // no pool given
  EXPECT_EQ(value(families, "resque_failed_jobs"),
            static_cast<double>(c.command({"LLEN", "resque:failed"}).integer()));
  EXPECT_EQ(value(families, "resque_failed_jobs"), 1.0);
  EXPECT_EQ(value(families, "resque_workers"), 0.0);
}
