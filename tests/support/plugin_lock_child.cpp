// plugin_lock_child <redis port> <kind>
// Holds one kind of plugin lock until SIGKILLed, with a 2 s TTL:
//   queuelock   - enqueues a QueueLock'ed job (the lock stays with the queued job);
//   joblock     - a worker performing a JobLock'ed job that never returns;
//   concurrency - a worker performing a ConcurrencyLimit(1) job that never returns.
// Prints "holding" once the lock is taken. Used by the plugins fault tests; the job to perform
// (class HeldJob, queue "held", args [1]) is enqueued by the test.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "resque/plugins.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <port> queuelock|joblock|concurrency\n", argv[0]);
    return 2;
  }
  resque::ConnectionOptions o;
  o.port = std::stoi(argv[1]);
  const std::string kind = argv[2];
  auto reg = std::make_shared<resque::JobRegistry>();
  auto block = [](const resque::Job&) {
    std::printf("holding\n");
    std::fflush(stdout);
    for (;;) std::this_thread::sleep_for(1s);  // until SIGKILL
  };
  if (kind == "queuelock") {
    resque::plugins::QueueLock::Options qo;
    qo.lock_timeout = 2s;
    reg->define_raw("HeldJob", block, {std::make_shared<resque::plugins::QueueLock>(qo)});
    resque::Queue q(o, reg);
    if (!q.enqueue("held", "HeldJob", resque::Json::array({1}))) return 1;
    std::printf("holding\n");
    std::fflush(stdout);
    for (;;) std::this_thread::sleep_for(1s);
  }
  if (kind == "joblock") {
    resque::plugins::JobLock::Options jo;
    jo.lock_timeout = 2s;
    reg->define_raw("HeldJob", block, {std::make_shared<resque::plugins::JobLock>(jo)});
  } else if (kind == "concurrency") {
    resque::plugins::ConcurrencyLimit::Options co;
    co.slot_ttl = 2s;
    reg->define_raw("HeldJob", block, {std::make_shared<resque::plugins::ConcurrencyLimit>(co)});
  } else {
    return 2;
  }
  resque::WorkerOptions wo;
  wo.queues = {"held"};
  wo.poll_interval = 20ms;
  resque::Worker w(o, reg, wo);
  w.run();
  return 0;
}
