// examples/embedded_service.cpp runs a bounded batch against a real Redis and exits 0, printing
// its health line and (with resque::prometheus) a scrape whose values match Redis.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <optional>
#include <sstream>
#include <string>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/connection.hpp"
#include "resque/queue.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

TEST(ExampleService, RunsABoundedBatchAndExitsZero) {
  RedisServer server;
  auto [status, out] = run({RESQUE_EMBEDDED_SERVICE_PATH, "25"}, {{"REDIS_URL", server.url()}},
                           std::chrono::seconds(60));
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("performed 25 of 25 jobs; stopped cleanly"), std::string::npos) << out;
  EXPECT_NE(out.find("health: running=1 connected=1"), std::string::npos) << out;
  Connection c(server.options());
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 25);
  EXPECT_EQ(c.command({"SCARD", "resque:workers"}).integer(), 0);
#ifdef RESQUE_TEST_PROMETHEUS
  EXPECT_NE(out.find("resque_jobs_processed_total{class=\"Square\",queue=\"service\"} 25"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("resque_queue_length{queue=\"service\"} 0"), std::string::npos) << out;
  EXPECT_NE(out.find("resque_failed_jobs 0"), std::string::npos) << out;
  EXPECT_NE(out.find("resque_redis_up 1"), std::string::npos) << out;
  // Every job carried enqueued_at: 25 queue-latency samples.
  EXPECT_NE(out.find("resque_job_queue_latency_seconds_count{class=\"Square\"} 25"),
            std::string::npos)
      << out;
#endif
}

#ifdef RESQUE_TEST_EXPOSER
namespace {

// GET http://127.0.0.1:<port><path> over a plain socket (HTTP/1.0: the server closes when done);
// the body, or "" when the request failed.
std::string http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (response.rfind("HTTP/1.", 0) != 0 || response.find(" 200 ") == std::string::npos) return "";
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of `series` (name with its labels, as the text format writes them) in a scrape.
std::optional<double> sample(const std::string& scrape, const std::string& series) {
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  return std::nullopt;
}

}  // namespace

// The running example serves /metrics over HTTP (METRICS_PORT): after it performed jobs (one of
// which failed), a scrape shows the job counters and Redis' state with the values Redis holds.
TEST(ExampleService, ServesAPrometheusScrapeThatMatchesRedis) {
  RedisServer server;
  Process service({RESQUE_EMBEDDED_SERVICE_PATH, "0"},
                  {{"REDIS_URL", server.url()}, {"METRICS_PORT", "0"}});
  ASSERT_TRUE(service.wait_for_output("metrics on port ")) << service.output();
  const std::string out = service.output();
  const int port = std::stoi(out.substr(out.find("metrics on port ") + 16));
  ASSERT_GT(port, 0);

  Queue q(server.options());
  Queue::EnqueueOptions traced;
  traced.enqueued_at = true;
  traced.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.enqueue("service", "Square", Json::array({i}), traced));
  // No traceparent: the example's job throws, so this one fails.
  ASSERT_TRUE(q.enqueue("service", "Square", Json::array({9})));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.enqueue("backlog", "Square", Json::array({i})));

  Connection c(server.options());
  const std::string square = R"({class="Square",queue="service"})";
  std::string scrape;
  std::string why;
  // Gauges are read from Redis at most every 5 s: poll until the scrape agrees with Redis.
  const bool agreed = eventually(
      [&] {
        scrape = http_get(port, "/metrics");
        const auto is = [&](const std::string& series, double want) {
          const auto v = sample(scrape, series);
          if (v == want) return true;
          why = series + " is " + (v ? std::to_string(*v) : "missing") + ", Redis says " +
                std::to_string(want);
          return false;
        };
        const auto llen = [&](const std::string& key) {
          return static_cast<double>(c.command({"LLEN", key}).integer());
        };
        return is("resque_jobs_processed_total" + square, 5) &&
               is("resque_jobs_failed_total" + square, 1) &&
               is("resque_jobs_recovered_total" + square, 0) &&
               is("resque_queue_length{queue=\"backlog\"}", llen("resque:queue:backlog")) &&
               is("resque_queue_length{queue=\"service\"}", llen("resque:queue:service")) &&
               is("resque_failed_jobs", llen("resque:failed")) && is("resque_failed_jobs", 1) &&
               is("resque_workers",
                  static_cast<double>(c.command({"SCARD", "resque:workers"}).integer())) &&
               is("resque_redis_up", 1) &&
               is("resque_job_perform_seconds_count{class=\"Square\"}", 6) &&
               is("resque_job_queue_latency_seconds_count{class=\"Square\"}", 5);
      },
      std::chrono::seconds(30));
  EXPECT_TRUE(agreed) << why << "\n" << scrape << "\n" << service.output();
  // Processed and failed agree with Resque's own counters too (stat:processed counts both).
  EXPECT_EQ(get_int(c, "resque:stat:processed"), 6);
  EXPECT_EQ(get_int(c, "resque:stat:failed"), 1);
  EXPECT_GE(sample(scrape, "resque_workers").value_or(0), 2.0);  // the pool's min_threads

  service.signal(SIGTERM);
  EXPECT_EQ(service.wait(), 0) << service.output();
  EXPECT_NE(service.output().find("stopped cleanly"), std::string::npos) << service.output();
}
#endif
