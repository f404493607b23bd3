// A service that embeds resque-cpp the way issue 15 asks: it owns its signals, replaces the
// default logger, exposes health and metrics, and shuts down with a deadline.
//
//   REDIS_URL=redis://127.0.0.1:6379 [METRICS_PORT=9464] resque_embedded_service [jobs]
//
// Enqueues `jobs` jobs (default 20), performs them with a pool, prints a readiness line from
// health() and (when built with resque::prometheus) a Prometheus scrape, then stops: on SIGTERM
// or SIGINT, or once every job is done. Exits 0 when every job was performed and nothing was
// abandoned.
//
// With METRICS_PORT set (and prometheus-cpp's pull library found at build time) it serves
// http://127.0.0.1:<port>/metrics (port 0: any free port) and runs as a service: it prints
// "metrics on port <port>" and stops only on SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include <resque/resque.hpp>
#include <resque/scheduler.hpp>
#ifdef RESQUE_EXAMPLE_PROMETHEUS
#include <prometheus/text_serializer.h>
#include <resque/prometheus.hpp>
#endif
#ifdef RESQUE_EXAMPLE_EXPOSER
#include <prometheus/exposer.h>
#endif

namespace {
std::atomic<int> performed{0};

// Replaces the default stderr logger: here a prefix; in a real service, spdlog or the like.
void log_line(resque::LogLevel level, std::string_view msg) {
  static const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  if (level < resque::LogLevel::Info) return;
  std::fprintf(stderr, "[service] %s %.*s\n", names[static_cast<int>(level)],
               static_cast<int>(msg.size()), msg.data());
}
}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 20;
  const char* metrics_port = std::getenv("METRICS_PORT");
  const bool serve = metrics_port != nullptr && *metrics_port != '\0';
  // Own the signals: block them in every thread (the library's threads inherit the mask) and
  // wait for them here.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    const resque::ConnectionOptions redis = resque::options_from_env();
    auto registry = std::make_shared<resque::JobRegistry>();
    // define_raw: the job sees the whole payload, including the trace context it was
    // enqueued with (Job::extra["traceparent"]), to continue the request's trace.
    registry->define_raw("Square", [](const resque::Job& job) {
      const std::string trace = job.extra.value("traceparent", std::string());
      if (trace.empty()) throw std::runtime_error("no traceparent");
      volatile std::int64_t r = job.args[0].get<std::int64_t>() * job.args[0].get<std::int64_t>();
      (void)r;
      ++performed;
    });

    resque::Queue queue(redis, registry);
    // Opt-in payload fields (off by default: Ruby's dequeue matches exact bytes): the
    // enqueue time, for the queue-latency histogram, and the W3C trace context of the
    // request that enqueued (a fixed one here; from your tracer in a real service).
    resque::Queue::EnqueueOptions traced;
    traced.enqueued_at = true;
    traced.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    for (int i = 0; i < jobs; ++i)
      if (!queue.enqueue("service", "Square", {i}, traced))  // false: a plugin vetoed it
        std::cerr << "job " << i << " refused\n";

    resque::SchedulerOptions so;
    so.log = log_line;
    resque::Scheduler scheduler(redis, registry, so);
    resque::WorkerPoolOptions po;
    po.worker.queues = {"service"};
    po.worker.log = log_line;
    po.min_threads = 2;
    po.max_threads = 4;
    resque::WorkerPool pool(redis, registry, po);
    scheduler.start();
    pool.start();
#ifdef RESQUE_EXAMPLE_EXPOSER
    // /metrics over HTTP: the collector reads the pool's and the scheduler's counters and, at
    // most every 5 s, Redis' queue state. Register your own prometheus::Registry beside it.
    std::unique_ptr<prometheus::Exposer> exposer;
    std::shared_ptr<resque::PrometheusCollector> served;
    if (serve) {
      exposer = std::make_unique<prometheus::Exposer>(std::string("127.0.0.1:") + metrics_port);
      served = std::make_shared<resque::PrometheusCollector>(redis, &pool, &scheduler);
      exposer->RegisterCollectable(served);
      std::cout << "metrics on port " << exposer->GetListeningPorts().at(0) << std::endl;
    }
#else
    if (serve) std::cerr << "METRICS_PORT ignored: built without prometheus-cpp's pull library\n";
#endif

    // Wait for a signal, or for the work to be done (a batch service); 100 ms per look.
    const timespec tick{0, 100'000'000};
    for (;;) {
      const int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        std::cout << "signal " << sig << ": stopping\n";
        break;
      }
      if (!serve && pool.health().jobs_done >= static_cast<std::uint64_t>(jobs)) break;
    }

    const resque::WorkerPoolHealth h = pool.health();
    std::cout << "health: running=" << h.running << " connected=" << h.connected
              << " threads=" << h.threads << " in_flight=" << h.jobs_in_flight
              << " done=" << h.jobs_done << " last_error='" << h.last_error << "'\n";
#ifdef RESQUE_EXAMPLE_PROMETHEUS
    auto collector = std::make_shared<resque::PrometheusCollector>(redis, &pool);
    std::cout << prometheus::TextSerializer().Serialize(collector->Collect());
#endif

    scheduler.stop();  // first: releases the leader lock for another instance
    // A job still running after the deadline is abandoned: logged, counted, and recovered by a
    // Scheduler once this worker's heartbeat is stale.
    const bool clean = pool.stop(std::chrono::seconds(10));
    std::cout << "performed " << performed << " of " << jobs << " jobs; "
              << (clean ? "stopped cleanly" : "some jobs were abandoned") << "\n";
    return clean && (serve ? performed >= jobs : performed == jobs) ? 0 : 1;
  } catch (const resque::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
