// resque-cli: inspect and manage a Resque Redis (whoever wrote it: Ruby, node, resque-cpp).
// Reads REDIS_URL (default redis://127.0.0.1:6379) and RESQUE_NAMESPACE (default resque).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "resque/resque.hpp"

namespace {

int usage() {
  std::cerr << R"(usage: resque-cli <command> [arguments]
  queues                          queue names and lengths
  queued <queue> [start stop]     jobs in a queue
  enqueue <queue> <class> [json]  enqueue a job (args as a JSON array)
  delayed                         delayed jobs by timestamp
  workers                         registered workers and what they are doing
  stats                           stat:* counters
  locks                           lock:* and workerslock:* keys
  failed [start stop]             failure records
  retry <index>                   requeue a failed job (Ruby's requeue; the entry stays)
  remove-failed <index>           remove a failure record
  clear-failed                    remove every failure record
  clean-workers <seconds>         force-clean workers busy for longer than that
  pause | resume                  pause-all-workers on or off
environment: REDIS_URL (default redis://127.0.0.1:6379), RESQUE_NAMESPACE (default resque)
)";
  return 2;
}

long long num(const std::string& s) {
  try {
    std::size_t pos = 0;
    long long v = std::stoll(s, &pos);
    if (pos == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw resque::ConfigError("not a number: '" + s + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.empty()) return usage();
  try {
    auto opts = resque::options_from_env();
    if (const char* ns = std::getenv("RESQUE_NAMESPACE")) opts.key_namespace = ns;
    resque::Queue q(opts);
    const std::string& cmd = a[0];
    if (cmd == "queues") {
      for (const auto& name : q.queues()) std::cout << name << "\t" << q.length(name) << "\n";
    } else if (cmd == "queued" && a.size() >= 2) {
      long long start = a.size() >= 3 ? num(a[2]) : 0, stop = a.size() >= 4 ? num(a[3]) : -1;
      for (const auto& j : q.queued(a[1], start, stop))
        std::cout << j.klass << "\t" << j.args.dump() << "\n";
    } else if (cmd == "enqueue" && a.size() >= 3) {
      resque::Json args = a.size() >= 4 ? resque::decode_json(a[3]) : resque::Json::array();
      std::cout << (q.enqueue(a[1], a[2], args) ? "enqueued" : "refused by a plugin") << "\n";
    } else if (cmd == "delayed") {
      for (const auto& [ts, jobs] : q.all_delayed())
        for (const auto& j : jobs)
          std::cout << ts << "\t" << j.queue << "\t" << j.klass << "\t" << j.args.dump() << "\n";
    } else if (cmd == "workers") {
      auto working = q.all_working_on();
      for (const auto& w : q.workers()) {
        auto it = working.find(w.id);
        std::cout << w.id << "\t"
                  << (it == working.end() || it->second.is_string() ? "idle" : it->second.dump())
                  << "\n";
      }
    } else if (cmd == "stats") {
      for (const auto& [k, v] : q.stats()) std::cout << k << "\t" << v << "\n";
    } else if (cmd == "locks") {
      for (const auto& [k, v] : q.locks()) std::cout << k << "\t" << v << "\n";
    } else if (cmd == "failed") {
      long long start = a.size() >= 2 ? num(a[1]) : 0, stop = a.size() >= 3 ? num(a[2]) : -1;
      for (const auto& f : q.failed(start, stop)) std::cout << f.index << "\t" << f.raw << "\n";
    } else if (cmd == "retry" && a.size() == 2) {
      q.retry_failed(num(a[1]));
      std::cout << "requeued\n";
    } else if (cmd == "remove-failed" && a.size() == 2) {
      std::cout << (q.remove_failed(num(a[1])) ? "removed" : "no such entry") << "\n";
    } else if (cmd == "clear-failed") {
      q.clear_failed();
    } else if (cmd == "clean-workers" && a.size() == 2) {
      for (const auto& [id, failure] : q.clean_old_workers(std::chrono::seconds(num(a[1]))))
        std::cout << "cleaned " << id << "\n";
    } else if (cmd == "pause") {
      q.pause_all();
    } else if (cmd == "resume") {
      q.resume_all();
    } else {
      return usage();
    }
  } catch (const resque::Error& e) {
    std::cerr << "resque-cli: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
