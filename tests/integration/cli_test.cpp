#include <gtest/gtest.h>

#include "process.hpp"
#include "redis_server.hpp"
#include "resque/queue.hpp"

using namespace resque;
using resque::test::RedisServer;
using resque::test::run;

TEST(Cli, EnqueueListRetry) {
  RedisServer server;
  const std::map<std::string, std::string> env{{"REDIS_URL", server.url()}};
  auto [rc, out] =
      run({RESQUE_CLI_PATH, "enqueue", "exports", "ExportJob", "[42,\"a@b.pt\"]"}, env);
  EXPECT_EQ(rc, 0) << out;
  Queue q(server.options());
  ASSERT_EQ(q.length("exports"), 1);
  EXPECT_EQ(q.queued("exports")[0].args, Json::parse(R"([42,"a@b.pt"])"));
  auto [rc2, out2] = run({RESQUE_CLI_PATH, "queues"}, env);
  EXPECT_EQ(rc2, 0);
  EXPECT_EQ(out2, "exports\t1\n");
  auto [rc3, out3] = run({RESQUE_CLI_PATH, "queued", "exports"}, env);
  EXPECT_EQ(out3, "ExportJob\t[42,\"a@b.pt\"]\n");
}

TEST(Cli, ErrorsAreClear) {
  RedisServer server;
  auto [rc, out] = run({RESQUE_CLI_PATH, "no-such-command"}, {{"REDIS_URL", server.url()}});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("usage: resque-cli"), std::string::npos);
  auto [rc2, out2] = run({RESQUE_CLI_PATH, "enqueue", "exports", "ExportJob", "[1,"},
                         {{"REDIS_URL", server.url()}});
  EXPECT_EQ(rc2, 1);
  EXPECT_NE(out2.find("invalid JSON"), std::string::npos) << out2;
  const int port = server.port();
  server.stop();
  auto [rc3, out3] =
      run({RESQUE_CLI_PATH, "stats"}, {{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(port)}});
  EXPECT_EQ(rc3, 1);
  EXPECT_NE(out3.find("Connection refused"), std::string::npos) << out3;
}
