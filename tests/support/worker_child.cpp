// A worker process for tests that kill or signal it:
//   worker_child block <port> <queue>   one Worker; job class "Block" prints "performing" and
//                                       then sleeps (the test SIGKILLs it mid-job)
//   worker_child pool <port> <queue>    a 2-thread WorkerPool under run_until_signalled; job
//                                       class "Note" prints "performed <arg>"
// Prints "id <worker id>" for each worker as it starts, "paused <id>" on on_pause,
// "stopped" when run_until_signalled returns.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "resque/worker_pool.hpp"

namespace {
std::mutex out_mu;
void say(const std::string& line) {
  std::lock_guard<std::mutex> lock(out_mu);
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s block|pool <port> <queue>\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  resque::ConnectionOptions conn;
  conn.host = "127.0.0.1";
  conn.port = std::stoi(argv[2]);
  auto reg = std::make_shared<resque::JobRegistry>();
  reg->define("Block", [] {
    say("performing");
    std::this_thread::sleep_for(std::chrono::minutes(10));
  });
  reg->define("Note", [](std::string arg) { say("performed " + arg); });
  resque::WorkerOptions o;
  o.queues = {argv[3]};
  o.poll_interval = std::chrono::milliseconds(50);
  o.events.on_start = [](const std::string& id) { say("id " + id); };
  o.events.on_pause = [](const std::string& id) { say("paused " + id); };
  if (mode == "block") {
    resque::Worker w(conn, reg, o);
    w.run();
    return 0;
  }
  if (mode == "pool") {
    resque::WorkerPoolOptions po;
    po.worker = o;
    po.min_threads = po.max_threads = 2;
    resque::WorkerPool pool(conn, reg, po);
    resque::run_until_signalled(pool);
    say("stopped");
    return 0;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
