// The custom lock plugin of docs/plugins.md (tenant_lock.hpp) at work: jobs of two tenants,
// performed by a pool of worker threads; at most one job of a tenant runs at any moment.
// A Scheduler promotes the jobs TenantLock put back. Uses the Redis at REDIS_URL.
#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "resque/resque.hpp"
#include "tenant_lock.hpp"

int main() {
  using namespace std::chrono_literals;
  try {
    resque::ConnectionOptions redis = resque::options_from_env();
    redis.key_namespace = "resque-custom-lock";  // keep clear of any real "resque" data

    std::mutex mu;
    std::map<std::string, int> running;  // tenant -> performs running now
    int overlaps = 0;
    std::atomic<int> done{0};
    example::TenantLock::Options lo;
    lo.retry_in = 100ms;
    auto registry = std::make_shared<resque::JobRegistry>();
    registry->define("Report",
                     [&](std::string tenant, int n) {
                       {
                         std::lock_guard<std::mutex> l(mu);
                         if (++running[tenant] > 1) ++overlaps;
                       }
                       std::this_thread::sleep_for(20ms);
                       std::lock_guard<std::mutex> l(mu);
                       --running[tenant];
                       std::cout << "  report " << n << " of " << tenant << "\n";
                       ++done;
                     },
                     {std::make_shared<example::TenantLock>(lo)});

    resque::Queue queue(redis, registry);
    queue.del_queue("reports");
    for (int i = 0; i < 6; ++i) queue.enqueue("reports", "Report", {i % 2 ? "acme" : "globex", i});

    resque::SchedulerOptions so;
    so.poll_interval = 50ms;
    resque::Scheduler scheduler(redis, registry, so);
    scheduler.start();
    resque::WorkerPoolOptions po;
    po.worker.queues = {"reports"};
    po.worker.poll_interval = 20ms;
    po.min_threads = po.max_threads = 4;
    resque::WorkerPool pool(redis, registry, po);
    pool.start();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (done < 6 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
    pool.stop();
    scheduler.stop();
    std::cout << done << " of 6 reports done, " << overlaps
              << " overlapping performs of one tenant\n";
    return done == 6 && overlaps == 0 ? 0 : 1;
  } catch (const resque::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
