// Child process for the scheduler's fault and interop tests, killed with SIGKILL by them.
//
//   sched_worker_child worker <port> <queue[,queue...]> <job ms>
//     A resque-cpp Worker on those queues (100 ms heartbeats) performing "SlowJob" [id]: RPUSH
//     resque:test:started id, sleep <job ms>, RPUSH resque:test:performed id.
//   sched_worker_child scheduler <port> <name> <lock ttl s> <poll ms> [batch size]
//     A resque-cpp Scheduler; prints "LEADER <name>" / "FOLLOWER <name>" and keeps
//     resque:test:claims[<name>] = "1"/"0" in step with its leadership.
//
// Both print "READY" once running and run until killed (SIGTERM stops them cleanly).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "resque/connection.hpp"
#include "resque/registry.hpp"
#include "resque/scheduler.hpp"
#include "resque/worker.hpp"

using namespace resque;

namespace {

std::atomic<bool> g_stop{false};

void on_term(int) {
  g_stop = true;
}

void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

int run_worker(const ConnectionOptions& copts, const std::string& queue, int job_ms) {
  auto reg = std::make_shared<JobRegistry>();
  reg->define("SlowJob", [copts, job_ms](std::int64_t id) {
    thread_local Connection c(copts);
    const std::string s = std::to_string(id);
    c.command({"RPUSH", "resque:test:started", s});
    std::this_thread::sleep_for(std::chrono::milliseconds(job_ms));
    c.command({"RPUSH", "resque:test:performed", s});
  });
  WorkerOptions o;
  o.queues.clear();
  for (std::size_t from = 0;;) {
    const auto comma = queue.find(',', from);
    o.queues.push_back(queue.substr(from, comma - from));
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  o.poll_interval = std::chrono::milliseconds(20);
  o.heartbeat_interval = std::chrono::milliseconds(100);
  Worker w(copts, reg, o);
  w.start();
  say("READY " + w.id());
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  w.stop();
  return 0;
}

int run_scheduler(const ConnectionOptions& copts, const std::string& name, int ttl, int poll_ms,
                  std::size_t batch) {
  SchedulerOptions o;
  o.name = name;
  o.leader_lock_ttl = std::chrono::seconds(ttl);
  o.poll_interval = std::chrono::milliseconds(poll_ms);
  o.promotion_batch_size = batch;
  o.recover_dead_workers = false;
  auto claim = [copts, name](bool leader) {
    try {
      thread_local Connection c(copts);
      c.command({"HSET", "resque:test:claims", name, leader ? "1" : "0"});
    } catch (const std::exception&) {
    }
    say((leader ? "LEADER " : "FOLLOWER ") + name);
  };
  o.events.on_leader_gained = [claim](const std::string&) { claim(true); };
  o.events.on_leader_lost = [claim](const std::string&) { claim(false); };
  Scheduler s(copts, nullptr, o);
  s.start();
  say("READY");
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGTERM, on_term);
  ::signal(SIGINT, on_term);
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s worker|scheduler <port> ...\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  ConnectionOptions copts;
  copts.port = std::atoi(argv[2]);
  if (mode == "worker" && argc == 5) return run_worker(copts, argv[3], std::atoi(argv[4]));
  if (mode == "scheduler" && argc >= 6)
    return run_scheduler(copts, argv[3], std::atoi(argv[4]), std::atoi(argv[5]),
                         argc >= 7 ? static_cast<std::size_t>(std::atoi(argv[6])) : 100);
  std::fprintf(stderr, "bad arguments\n");
  return 2;
}
