// A consumer of the optional resque::prometheus target (find_package(resque) when resque-cpp was
// built with prometheus-cpp). Collects from a Redis that is not there (port 1 refuses at once):
// the scrape still answers and says Redis is down.
#include <resque/prometheus.hpp>

#include <iostream>

int main() {
  resque::ConnectionOptions redis;
  redis.port = 1;
  redis.connect_timeout = std::chrono::milliseconds(500);
  resque::PrometheusCollector collector(redis, nullptr);
  for (const auto& f : collector.Collect())
    if (f.name == "resque_redis_up")
      std::cout << "prometheus: " << f.name << ' ' << f.metric.at(0).gauge.value << '\n';
  return 0;
}
