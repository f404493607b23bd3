// Key names: every one must equal what Ruby Resque / resque-scheduler / node-resque use.
#include <gtest/gtest.h>

#include "resque/keys.hpp"

using resque::Keys;

TEST(Keys, DefaultNamespace) {
  const Keys k;
  EXPECT_EQ(k.ns(), "resque");
  EXPECT_EQ(k.prefix(), "resque:");
  EXPECT_EQ(k.key("x"), "resque:x");
  EXPECT_EQ(k.queues(), "resque:queues");
  EXPECT_EQ(k.queue("exports"), "resque:queue:exports");
  EXPECT_EQ(k.delayed(1900000000), "resque:delayed:1900000000");
  EXPECT_EQ(k.delayed_schedule(), "resque:delayed_queue_schedule");
  EXPECT_EQ(k.timestamps(R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})"),
            R"(resque:timestamps:{"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})");
  EXPECT_EQ(k.workers(), "resque:workers");
  EXPECT_EQ(k.worker("vm:1:exports"), "resque:worker:vm:1:exports");
  EXPECT_EQ(k.worker_started("vm:1:exports"), "resque:worker:vm:1:exports:started");
  EXPECT_EQ(k.heartbeats(), "resque:workers:heartbeat");
  EXPECT_EQ(k.worker_ping("vm:1+2"), "resque:worker:ping:vm:1+2");
  EXPECT_EQ(k.inflight("vm:1:exports"), "resque:inflight:vm:1:exports");
  EXPECT_EQ(k.stat("processed"), "resque:stat:processed");
  EXPECT_EQ(k.stat("failed:vm:1:exports"), "resque:stat:failed:vm:1:exports");
  EXPECT_EQ(k.failed(), "resque:failed");
  EXPECT_EQ(k.pause_all(), "resque:pause-all-workers");
  EXPECT_EQ(k.leader_lock(), "resque:resque_scheduler_leader_lock");
  EXPECT_EQ(k.ruby_master_lock(), "resque:resque:resque_scheduler_master_lock");
  EXPECT_EQ(k.enqueue_channel(), "resque:resque-cpp:enqueued");
}

TEST(Keys, CustomNamespace) {
  const Keys k("myapp");
  EXPECT_EQ(k.ns(), "myapp");
  EXPECT_EQ(k.prefix(), "myapp:");
  EXPECT_EQ(k.queue("x"), "myapp:queue:x");
  EXPECT_EQ(k.queues(), "myapp:queues");
  EXPECT_EQ(k.delayed(5), "myapp:delayed:5");
  EXPECT_EQ(k.leader_lock(), "myapp:resque_scheduler_leader_lock");
  EXPECT_EQ(k.ruby_master_lock(), "myapp:myapp:resque_scheduler_master_lock");
}

TEST(Keys, EmptyNamespaceHasNoPrefix) {
  const Keys k("");
  EXPECT_EQ(k.prefix(), "");
  EXPECT_EQ(k.key("x"), "x");
  EXPECT_EQ(k.queue("x"), "queue:x");
  EXPECT_EQ(k.queues(), "queues");
  EXPECT_EQ(k.failed(), "failed");
  EXPECT_EQ(k.delayed(-1), "delayed:-1");
  EXPECT_EQ(k.worker_started("h:1:q"), "worker:h:1:q:started");
  // Ruby builds "#{namespace}:resque_scheduler_master_lock" before namespacing; with no
  // namespace that leaves a leading ':'.
  EXPECT_EQ(k.ruby_master_lock(), ":resque_scheduler_master_lock");
}
