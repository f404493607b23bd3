// plugin_enqueue_child <redis port> <threads> <enqueues per thread> <go key>
// Enqueues the same QueueLock'ed export from many threads at once; prints "ready", waits until
// <go key> exists (so two processes start together), then prints "accepted <n>": how many of
// its enqueues were accepted. Used by the plugins tests.
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "resque/plugins.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <port> <threads> <count> <go key>\n", argv[0]);
    return 2;
  }
  resque::ConnectionOptions o;
  o.port = std::stoi(argv[1]);
  const int threads = std::stoi(argv[2]);
  const int count = std::stoi(argv[3]);
  const std::string go = argv[4];
  auto reg = std::make_shared<resque::JobRegistry>();
  reg->define_raw("ExportJob", [](const resque::Job&) {},
                  {std::make_shared<resque::plugins::QueueLock>()});
  resque::QueueOptions qo;
  qo.pool_size = static_cast<std::size_t>(threads);
  resque::Queue q(o, reg, qo);
  resque::Connection c(o);
  std::printf("ready\n");
  std::fflush(stdout);
  while (c.command({"EXISTS", go}).integer() == 0) std::this_thread::yield();
  std::atomic<int> accepted{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < count; ++i) {
        try {
          if (q.enqueue("exports", "ExportJob", resque::Json::parse(R"([42,"a@b.pt"])")))
            ++accepted;
        } catch (const std::exception& e) {
          ++errors;
          std::fprintf(stderr, "enqueue failed: %s\n", e.what());
        }
      }
    });
  for (auto& t : ts) t.join();
  std::printf("accepted %d\n", accepted.load());
  return errors == 0 ? 0 : 1;
}
