// A consumer of resque-cpp, built by every consumer project here (find_package, add_subdirectory,
// pkg-config): it uses only the public headers and the resque::resque target. Prints a few lines
// that tests/consumers/run.sh compares with the expected text. Nothing here talks to Redis:
// constructing a Queue only sets up its (lazy) connection pool, but it pulls the hiredis-using
// objects of a static libresque into the link; an in-memory cron schedule pulls in the cctz-using
// ones (time zones), likewise without Redis.
#include <resque/connection.hpp>
#include <resque/error.hpp>
#include <resque/queue.hpp>
#include <resque/registry.hpp>
#include <resque/scheduler.hpp>

#include <iostream>

int main() {
  const resque::Keys keys("resque");
  std::cout << "keys: " << keys.queue("jobs") << ' ' << keys.failed() << '\n';

  const resque::ConnectionOptions opts = resque::parse_redis_url("redis://h:1/2");
  std::cout << "url: " << opts.host << ' ' << opts.port << ' ' << opts.db << '\n';

  resque::Job job;
  job.klass = "Add";
  job.queue = "math";
  job.args = resque::Json::array({1, 2});
  std::cout << "payload: " << resque::encode_payload(job, resque::Dialect::node) << '\n';

  // registry.hpp is header-heavy (templates using fmt): exercise it so its dependencies have to
  // be usable by the consumer too.
  resque::JobRegistry registry;
  registry.define("Add", [](int a, int b) { std::cout << "sum: " << a + b << '\n'; });
  registry.find("Add")->perform(job);
  try {
    registry.find("Add")->perform(resque::Job{"Add", "math", resque::Json::array({1})});
  } catch (const resque::ArgumentError& e) {
    std::cout << "error: " << e.what() << '\n';
  }

  resque::Queue queue(opts);
  std::cout << "queue: " << queue.keys().queue("math") << '\n';

  // Not persisted (in memory only), so it is parsed and kept without a connection.
  resque::Scheduler scheduler(opts);
  scheduler.add_cron("nightly", "0 3 * * *", "math", "Add", resque::Json::array({1, 2}),
                     "Europe/Lisbon");
  std::cout << "cron: added\n";
  try {
    scheduler.add_cron("typo", "0 3 * *", "math", "Add");
  } catch (const resque::ConfigError&) {
    std::cout << "cron: rejected\n";
  }
  return 0;
}
