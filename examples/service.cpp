// The README's usage, as a program that compiles with the library (so the README stays true):
// a service with exports guarded by plugins, a worker pool and a scheduler. Runs until SIGTERM.
#include <resque/plugins.hpp>
#include <resque/resque.hpp>
#include <resque/scheduler.hpp>

#include <iostream>

namespace {
void perform_export(std::int64_t catalog, std::string email) {
  std::cout << "exporting catalog " << catalog << " for " << email << std::endl;
}
}  // namespace

int main() {
  using namespace resque::plugins;
  try {
    resque::ConnectionOptions redis = resque::options_from_env();
    auto registry = std::make_shared<resque::JobRegistry>();

    QueueLock::Options by_requester;  // lock on (catalog id, requester email)
    by_requester.key = [](const resque::Job& j) {
      return j.args[0].dump() + ":" + j.args[1].dump();
    };
    ConcurrencyLimit::Options two_per_requester;
    two_per_requester.limit = 2;
    two_per_requester.key = [](const resque::Job& j) { return j.args[1].get<std::string>(); };
    registry->define(
        "ExportJob", perform_export,
        {std::make_shared<QueueLock>(by_requester), std::make_shared<JobLock>(),
         std::make_shared<ConcurrencyLimit>(two_per_requester), std::make_shared<Retry>()});

    resque::Queue queue(redis, registry);
    // false when a plugin vetoed (QueueLock: an identical job is already queued).
    if (!queue.enqueue("exports", "ExportJob", {42, "a@b.pt"}))
      std::cerr << "ExportJob 42 not queued: an identical one is already waiting\n";
    queue.enqueue_in(std::chrono::minutes(5), "exports", "ExportJob", {43, "c@d.pt"});

    resque::SchedulerOptions so;
    so.log = resque::stderr_logger();
    resque::Scheduler scheduler(redis, registry, so);
    scheduler.add_cron("nightly-export", "0 3 * * *", "exports", "ExportJob", {42, "a@b.pt"},
                       "Europe/Lisbon");
    scheduler.start();

    resque::WorkerPoolOptions pool_options;
    pool_options.worker.queues = {"exports", "mail"};
    pool_options.worker.log = resque::stderr_logger();
    pool_options.min_threads = 2;
    pool_options.max_threads = 8;
    resque::WorkerPool pool(redis, registry, pool_options);
    resque::run_until_signalled(pool);  // QUIT/TERM/INT stop gracefully, USR2/CONT pause/resume
    scheduler.stop();
  } catch (const resque::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
