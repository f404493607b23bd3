// The main demo: a service enqueues product exports; a repeated request is refused while the
// first one waits (QueueLock); a pool of worker threads in the same process performs them; one
// request is bad and lands in the failed list. Everything goes
// through the Redis at REDIS_URL, in the keys Ruby's resque-web and node-resque read.
#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "resque/resque.hpp"

int main() {
  using namespace std::chrono_literals;
  try {
    resque::ConnectionOptions redis = resque::options_from_env();
    redis.key_namespace = "resque-demo";  // keep clear of any real "resque" data

    std::mutex out;
    std::atomic<int> finished{0};
    auto registry = std::make_shared<resque::JobRegistry>();
    // QueueLock keys the lock on (catalog id, requester email): the same export is queued once.
    resque::plugins::QueueLock::Options lock;
    lock.key = [](const resque::Job& job) { return job.args.dump(); };
    auto queue_lock = std::make_shared<resque::plugins::QueueLock>(lock);
    registry->define("ExportJob",
                     [&](std::int64_t catalog, std::string email) {
                       if (catalog < 0) throw std::invalid_argument("catalog id must be positive");
                       std::this_thread::sleep_for(50ms);  // the expensive part
                       std::lock_guard<std::mutex> l(out);
                       std::cout << "  performed ExportJob(catalog=" << catalog
                                 << ", email=" << email << ") on thread "
                                 << std::this_thread::get_id() << "\n";
                     },
                     {queue_lock});

    resque::Queue queue(redis, registry);
    queue.del_queue("exports");
    queue.clear_failed();
    for (const auto& [key, value] : queue.locks()) queue.del_lock(key);
    std::cout << "Enqueueing 6 export requests on queue 'exports' at " << redis.describe() << "\n";
    for (int i = 1; i <= 5; ++i)
      queue.enqueue("exports", "ExportJob",
                    {100 + i, "manager" + std::to_string(i) + "@shop.example"});
    queue.enqueue("exports", "ExportJob", {-1, "typo@shop.example"});
    const bool again = queue.enqueue("exports", "ExportJob", {101, "manager1@shop.example"});
    std::cout << "Manager 1 asks again for catalog 101: "
              << (again ? "queued twice (unexpected!)" : "refused, one is already queued") << "\n";
    std::cout << "Queue length: " << queue.length("exports") << "\n";

    resque::WorkerPoolOptions po;
    po.worker.queues = {"exports"};
    po.min_threads = po.max_threads = 3;
    po.worker.events.on_success = [&](const std::string&, const resque::Job&, auto) { ++finished; };
    po.worker.events.on_failure = [&](const std::string&, const resque::Job& job,
                                      const std::string& exc, const std::string& err) {
      std::lock_guard<std::mutex> l(out);
      std::cout << "  failed    " << job.klass << " " << job.args.dump() << ": " << exc << ": "
                << err << "\n";
      ++finished;
    };
    resque::WorkerPool pool(redis, registry, po);
    pool.start();
    std::cout << "Started a pool of 3 worker threads:\n";
    for (const auto& id : pool.worker_ids()) std::cout << "  " << id << "\n";
    while (finished < 6) std::this_thread::sleep_for(10ms);
    pool.stop();

    auto stats = queue.stats();
    std::cout << "Stats: processed=" << stats["processed"] << " failed=" << stats["failed"] << "\n";
    for (const auto& f : queue.failed())
      std::cout << "Failed list: " << f.entry["payload"].dump() << " -> " << f.entry["exception"]
                << ": " << f.entry["error"] << " (" << f.entry["failed_at"] << ")\n";
    std::cout << "Done.\n";
  } catch (const resque::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
