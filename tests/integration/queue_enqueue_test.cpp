// Queue enqueue family against a real Redis: byte-exactness against node-resque's golden
// dumps, bad input, Redis down, threads, large batches, duplicates, script cache flushes and
// namespaces.
#include <gtest/gtest.h>

#include <thread>

#include "queue_test_util.hpp"
#include "redis_server.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

using namespace resque;
using resque::test::comparable;
using resque::test::dump;
using resque::test::error_of;
using resque::test::load_fixture;
using resque::test::RedisServer;
using std::chrono::milliseconds;
using std::chrono::system_clock;

namespace {
const Json kArgs = Json::array({42, "a@b.pt"});
const std::string kNodePayload = R"({"class":"ExportJob","queue":"exports","args":[42,"a@b.pt"]})";

system_clock::time_point at_ms(long long ms) {
  return system_clock::time_point(milliseconds(ms));
}

ConnectionOptions node_dialect(ConnectionOptions o) {
  o.dialect = resque::Dialect::node;
  return o;
}
}  // namespace

TEST(QueueEnqueue, MatchesNodeFixtureByteForByte) {
  RedisServer server;
  Queue q(node_dialect(server.options()));
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", kArgs));
  Connection c(server.options());
  EXPECT_EQ(dump(c),
            comparable(load_fixture("node/01_enqueue.json"), {"resque:connection_test_key"}));
}

TEST(QueueEnqueue, EnqueueAtMatchesNodeFixtureByteForByte) {
  RedisServer server;
  Queue q(node_dialect(server.options()));
  ASSERT_TRUE(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs));
  Connection c(server.options());
  EXPECT_EQ(dump(c),
            comparable(load_fixture("node/02_enqueue_at.json"), {"resque:connection_test_key"}));
}

// The default (Ruby) dialect writes what resque-scheduler writes (fixture ruby/02), and Ruby's
// Resque.encode for the queue payload.
TEST(QueueEnqueue, EnqueueAtMatchesRubyFixtureByteForByte) {
  RedisServer server;
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs));
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", kArgs));
  Connection c(server.options());
  auto mine = dump(c);
  EXPECT_EQ(c.command({"LRANGE", "resque:queue:exports", "0", "-1"}).strings(),
            std::vector<std::string>{R"({"class":"ExportJob","args":[42,"a@b.pt"]})"});
  mine.erase("resque:queue:exports");
  mine.erase("resque:queues");
  EXPECT_EQ(mine, comparable(load_fixture("ruby/02-enqueue-at.json"), {}));
}

// Whole floats keep their fraction in the Ruby dialect; the node dialect writes JavaScript's.
TEST(QueueEnqueue, NumbersFollowTheDialect) {
  RedisServer server;
  Queue ruby(server.options());
  Queue node(node_dialect(server.options()));
  const Json args =
      Json::array({1.0, -0.0, 100.0, 1e20, 2.5, 7, resque::big_integer("18446744073709551621")});
  ruby.enqueue("q", "Job", args);
  node.enqueue("q", "Job", args);
  Connection c(server.options());
  EXPECT_EQ(
      c.command({"LRANGE", "resque:queue:q", "0", "-1"}).strings(),
      (std::vector<std::string>{
          R"({"class":"Job","args":[1.0,-0.0,100.0,1.0e+20,2.5,7,18446744073709551621]})",
          R"({"class":"Job","queue":"q","args":[1,0,100,100000000000000000000,2.5,7,18446744073709551621]})"}));
  // Read back the same whatever wrote them (the whole floats as doubles, the big integer exact).
  const auto jobs = ruby.queued("q");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_TRUE(jobs[0].args[0].is_number_float());
  EXPECT_EQ(jobs[0].args[6], args[6]);
  EXPECT_EQ(jobs[1].args[6], args[6]);
}

TEST(QueueEnqueue, NonArrayArgsBecomeTheSingleArgument) {
  RedisServer server;
  Queue q(server.options());
  q.enqueue("q", "Job", Json{{"a", 1}});
  q.enqueue("q", "Job");
  Connection c(server.options());
  EXPECT_EQ(c.command({"LRANGE", "resque:queue:q", "0", "-1"}).strings(),
            (std::vector<std::string>{R"({"class":"Job","args":[{"a":1}]})",
                                      R"({"class":"Job","args":[]})"}));
}

TEST(QueueEnqueue, EnqueueAtFloorsToTheSecond) {
  RedisServer server;
  Queue q(server.options());
  // 1900000000.999 s: Ruby truncates to ...000; node would round up to ...001 and run early.
  q.enqueue_at(at_ms(1900000000999), "exports", "ExportJob", kArgs);
  EXPECT_EQ(q.timestamps(), (std::vector<std::int64_t>{1900000000}));
}

TEST(QueueEnqueue, EnqueueInSchedulesRelativeToNow) {
  RedisServer server;
  Queue q(server.options());
  const auto before =
      std::chrono::duration_cast<std::chrono::seconds>(system_clock::now().time_since_epoch())
          .count();
  ASSERT_TRUE(q.enqueue_in(std::chrono::hours(1), "exports", "ExportJob", kArgs));
  const auto stamps = q.timestamps();
  ASSERT_EQ(stamps.size(), 1u);
  EXPECT_GE(stamps[0], before + 3600);
  EXPECT_EQ(q.scheduled_at("exports", "ExportJob", kArgs), stamps);
}

TEST(QueueEnqueue, DuplicateEnqueueAtThrowsOrIsSuppressed) {
  RedisServer server;
  Queue q(server.options());
  ASSERT_TRUE(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs));
  EXPECT_THROW(q.enqueue_at(at_ms(1900000000500), "exports", "ExportJob", kArgs), JobError);
  EXPECT_NE(error_of([&] {
              q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs);
            }).find("already enqueued at this time"),
            std::string::npos);
  EXPECT_FALSE(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs, true));
  // Other args, queue or second are not duplicates.
  EXPECT_TRUE(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", Json::array({43})));
  EXPECT_TRUE(q.enqueue_at(at_ms(1900000000000), "other", "ExportJob", kArgs));
  EXPECT_TRUE(q.enqueue_at(at_ms(1900000001000), "exports", "ExportJob", kArgs));
  Connection c(server.options());
  EXPECT_EQ(c.command({"LLEN", "resque:delayed:1900000000"}).integer(), 3);
}

TEST(QueueEnqueue, DuplicateOfARubyDelayedJobIsDetected) {
  RedisServer server;
  Connection c(server.options());
  resque::test::restore(c, load_fixture("ruby/02-enqueue-at.json"));
  Queue q(server.options());
  EXPECT_THROW(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs), JobError);
  EXPECT_FALSE(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs, true));
  EXPECT_EQ(c.command({"LLEN", "resque:delayed:1900000000"}).integer(), 1);
}

TEST(QueueEnqueue, BadNamesAreRefusedBeforeAnythingIsWritten) {
  RedisServer server;
  Queue q(server.options());
  EXPECT_EQ(error_of([&] { q.enqueue("", "Job"); }), "queue name is empty");
  EXPECT_EQ(error_of([&] { q.enqueue("q", ""); }), "job class name is empty");
  EXPECT_NE(error_of([&] { q.enqueue("a:b", "Job"); }).find("queue name 'a:b' contains ':' or ','"),
            std::string::npos);
  EXPECT_NE(error_of([&] { q.enqueue("a,b", "Job"); }).find("queue name 'a,b'"), std::string::npos);
  EXPECT_THROW(q.enqueue("", "Job"), ConfigError);
  EXPECT_THROW(q.enqueue("a:b", "Job"), ConfigError);
  EXPECT_THROW(q.enqueue_at(at_ms(1900000000000), "a,b", "Job"), ConfigError);
  EXPECT_THROW(q.enqueue_at(at_ms(1900000000000), "q", ""), ConfigError);
  EXPECT_THROW(q.enqueue_in(milliseconds(10), "", "Job"), ConfigError);
  EXPECT_THROW(q.enqueue_batch({Job{"Job", "ok", Json::array(), Json::object()},
                                Job{"Job", "bad:queue", Json::array(), Json::object()}}),
               ConfigError);
  Connection c(server.options());
  EXPECT_EQ(dump(c), resque::test::PlainJson::object());
}

TEST(QueueEnqueue, ArgsThatCannotBeJsonAreRefused) {
  RedisServer server;
  Queue q(server.options());
  const Json nan_args = Json::array({1, std::nan("")});
  const Json inf_args = Json::array({std::numeric_limits<double>::infinity()});
  const Json bad_utf8 = Json::array({"ok", std::string("\xff\xfe", 2)});
  EXPECT_THROW(q.enqueue("q", "Job", nan_args), EncodingError);
  EXPECT_EQ(error_of([&] { q.enqueue("q", "Job", nan_args); }),
            "job Job: args[1] is NaN: JSON has no such number");
  EXPECT_THROW(q.enqueue("q", "Job", inf_args), EncodingError);
  EXPECT_NE(error_of([&] { q.enqueue("q", "Job", bad_utf8); }).find("args[1] is not valid UTF-8"),
            std::string::npos);
  EXPECT_THROW(q.enqueue_at(at_ms(1900000000000), "q", "Job", bad_utf8), EncodingError);
  EXPECT_THROW(q.enqueue_batch({Job{"Job", "q", Json::array({1}), Json::object()},
                                Job{"Job", "q", nan_args, Json::object()}}),
               EncodingError);
  Connection c(server.options());
  EXPECT_EQ(dump(c), resque::test::PlainJson::object());
}

TEST(QueueEnqueue, RedisDownIsAConnectionErrorAndNothingIsHalfWritten) {
  resque::test::RedisServerOptions so;
  so.aof = true;  // what was written before the outage survives the restart
  RedisServer server(so);
  auto opts = server.options();
  opts.reconnect_attempts = 1;
  Queue q(opts);
  ASSERT_TRUE(q.enqueue("exports", "ExportJob", kArgs));
  server.stop();
  const std::string where = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_THROW(q.enqueue("exports", "ExportJob", Json::array({2})), ConnectionError);
  const std::string msg = error_of([&] { q.enqueue("exports", "ExportJob", Json::array({2})); });
  EXPECT_NE(msg.find(where), std::string::npos) << msg;
  EXPECT_THROW(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs), Error);
  EXPECT_THROW(q.enqueue_batch({Job{"ExportJob", "exports", kArgs, Json::object()}}), Error);
  EXPECT_THROW(q.length("exports"), ConnectionError);
  EXPECT_THROW(q.del("exports", "ExportJob", kArgs), ConnectionError);
  EXPECT_THROW(q.retry_failed(0), ConnectionError);
  EXPECT_THROW(q.force_clean_worker("h:1:q"), ConnectionError);
  server.start();
  // The same Queue works again, and only the job written before the outage is there.
  EXPECT_EQ(q.queued("exports").size(), 1u);
  EXPECT_TRUE(q.timestamps().empty());
  EXPECT_TRUE(q.enqueue("exports", "ExportJob", Json::array({3})));
  EXPECT_EQ(q.length("exports"), 2);
}

// The enqueue scripts check every key they write before their first write, so a key of the
// wrong type (anyone can SET anything) refuses the call with nothing half-written.
TEST(QueueEnqueue, WrongTypedQueueKeyFailsCleanlyAndWritesNothing) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:queue:broken", "not a list"});
  const auto before = dump(c);
  Queue q(server.options());
  EXPECT_NE(error_of([&] { q.enqueue("broken", "Job"); }).find("resque:queue:broken is a string"),
            std::string::npos);
  EXPECT_EQ(dump(c), before);  // in particular, "broken" was not added to queues
  // A batch is one call per chunk: the good queue before the broken one is not written either.
  EXPECT_THROW(q.enqueue_batch({Job{"Job", "good", Json::array({1}), Json::object()},
                                Job{"Job", "broken", Json::array({2}), Json::object()}}),
               ReplyError);
  EXPECT_EQ(dump(c), before);
  // A wrong-typed queues set: the job's list is not created.
  c.command({"DEL", "resque:queue:broken"});
  c.command({"SET", "resque:queues", "garbage"});
  EXPECT_THROW(q.enqueue("good", "Job"), ReplyError);
  EXPECT_EQ(c.command({"EXISTS", "resque:queue:good"}).integer(), 0);
  c.command({"DEL", "resque:queues"});
  EXPECT_TRUE(q.enqueue("good", "Job"));  // and all is well once the key is fixed
  EXPECT_EQ(q.length("good"), 1);
}

// Payloads from 64 KB go by MULTI/RPUSH/EVAL/EXEC (protocol::enqueue): the same bytes, the
// same wake-up, the same all-or-nothing refusals, and no script cache needed.
TEST(QueueEnqueue, LongPayloadIsWrittenListedAndRefusedAsAnyOther) {
  RedisServer server;
  Connection c(server.options());
  Queue q(server.options());
  const std::string big(100 * 1024, 'b');
  const Json args = Json::array({big, 7});
  c.command({"SCRIPT", "FLUSH"});
  Connection sub(server.options());
  sub.command({"SUBSCRIBE", Keys().enqueue_channel()});
  ASSERT_TRUE(q.enqueue("long", "BigJob", args));
  sub.set_command_timeout(std::chrono::seconds(5));
  const Reply msg = sub.receive();
  EXPECT_EQ(msg.element(2).string(), "long");  // idle workers are woken
  EXPECT_EQ(c.command({"SISMEMBER", "resque:queues", "long"}).integer(), 1);
  const auto stored = c.command({"LRANGE", "resque:queue:long", "0", "-1"}).strings();
  ASSERT_EQ(stored.size(), 1u);
  Job job;
  job.klass = "BigJob";
  job.queue = "long";
  job.args = args;
  EXPECT_EQ(stored[0], encode_payload(job, q.dialect()));
  // Wrong-typed queue key: refused, nothing written.
  c.command({"SET", "resque:queue:broken", "not a list"});
  auto before = dump(c);
  EXPECT_NE(error_of([&] {
              q.enqueue("broken", "BigJob", args);
            }).find("resque:queue:broken is a string"),
            std::string::npos);
  EXPECT_EQ(dump(c), before);
  // Wrong-typed queues set: refused, and the job pushed in the same transaction is taken back.
  c.command({"DEL", "resque:queue:broken"});
  c.command({"DEL", "resque:queues"});
  c.command({"SET", "resque:queues", "garbage"});
  before = dump(c);
  EXPECT_THROW(q.enqueue("long", "BigJob", args), ReplyError);
  EXPECT_EQ(dump(c), before);
  EXPECT_EQ(c.command({"LLEN", "resque:queue:long"}).integer(), 1);
  c.command({"DEL", "resque:queues"});
  EXPECT_TRUE(q.enqueue("long", "BigJob", args));
  EXPECT_EQ(q.length("long"), 2);
}

TEST(QueueEnqueue, EnqueueAtWithAWrongTypedScheduleWritesNothing) {
  RedisServer server;
  Connection c(server.options());
  c.command({"SET", "resque:delayed_queue_schedule", "garbage"});
  const auto before = dump(c);
  Queue q(server.options());
  EXPECT_NE(error_of([&] {
              q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs);
            }).find("resque:delayed_queue_schedule is a string"),
            std::string::npos);
  EXPECT_EQ(dump(c), before);  // no delayed:<S> entry and no timestamps member
  // Same for a wrong-typed delayed list.
  c.command({"DEL", "resque:delayed_queue_schedule"});
  c.command({"HSET", "resque:delayed:1900000000", "f", "v"});
  const auto before_list = dump(c);
  EXPECT_THROW(q.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs), ReplyError);
  EXPECT_EQ(dump(c), before_list);
}

TEST(QueueEnqueue, SharedBetweenEightThreads) {
  RedisServer server;
  Queue q(server.options());
  constexpr int kThreads = 8, kJobs = 200;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kJobs; ++i) {
          q.enqueue("shared", "Job", Json::array({t, i}));
          if (i % 50 == 0) {
            q.length("shared");
            q.enqueue_batch({Job{"Job", "batch", Json::array({t, i}), Json::object()},
                             Job{"Job", "batch", Json::array({t, i + 1}), Json::object()}});
          }
        }
      } catch (...) {
        ++errors;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(q.length("shared"), kThreads * kJobs);
  EXPECT_EQ(q.length("batch"), kThreads * 4 * 2);
  // Each thread's jobs appear in the order it enqueued them.
  std::vector<int> next(kThreads, 0);
  for (const auto& job : q.queued("shared")) {
    const int t = job.args[0].get<int>();
    EXPECT_EQ(job.args[1].get<int>(), next[t]);
    next[t] = job.args[1].get<int>() + 1;
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kJobs));
}

TEST(QueueEnqueue, BatchOfTenThousandKeepsOrderWithinEachQueue) {
  RedisServer server;
  Queue q(server.options());
  std::vector<Job> jobs;
  const char* names[] = {"alpha", "beta", "gamma"};
  for (int i = 0; i < 10000; ++i) {
    // Runs of varying length per queue, so groups and chunk borders fall everywhere.
    const char* queue = names[(i / (1 + i % 7)) % 3];
    jobs.push_back(Job{"BatchJob", queue, Json::array({i}), Json::object()});
  }
  ASSERT_EQ(q.enqueue_batch(jobs), 10000u);
  long long total = 0;
  for (const char* name : names) {
    const auto queued = q.queued(name);
    total += static_cast<long long>(queued.size());
    int last = -1;
    for (const auto& job : queued) {
      EXPECT_GT(job.args[0].get<int>(), last);
      EXPECT_EQ(job.queue, name);
      last = job.args[0].get<int>();
    }
  }
  EXPECT_EQ(total, 10000);
  EXPECT_EQ(q.queues(), (std::vector<std::string>{"alpha", "beta", "gamma"}));
  EXPECT_EQ(q.enqueue_batch({}), 0u);
}

TEST(QueueEnqueue, WorksAfterScriptFlush) {
  RedisServer server;
  Queue q(server.options());
  Connection c(server.options());
  ASSERT_TRUE(q.enqueue("q", "Job", Json::array({1})));  // scripts now cached
  c.command({"SCRIPT", "FLUSH"});
  EXPECT_TRUE(q.enqueue("q", "Job", Json::array({2})));
  c.command({"SCRIPT", "FLUSH"});
  EXPECT_TRUE(q.enqueue_at(at_ms(1900000000000), "q", "Job"));
  c.command({"SCRIPT", "FLUSH"});
  std::vector<Job> jobs;
  for (int i = 3; i < 2500; ++i) jobs.push_back(Job{"Job", "q", Json::array({i}), Json::object()});
  EXPECT_EQ(q.enqueue_batch(jobs), jobs.size());
  // Every job exactly once, in order: no chunk re-sent after NOSCRIPT ran twice.
  const auto queued = q.queued("q");
  ASSERT_EQ(queued.size(), 2499u);
  for (std::size_t i = 0; i < queued.size(); ++i)
    EXPECT_EQ(queued[i].args[0].get<std::size_t>(), i + 1);
}

TEST(QueueEnqueue, OtherNamespaceKeepsItsKeysApart) {
  RedisServer server;
  auto opts = server.options();
  opts.key_namespace = "myapp";
  opts.dialect = Dialect::node;  // compared with node's dumps
  Queue mine(opts);
  Queue standard(server.options());
  ASSERT_TRUE(mine.enqueue("exports", "ExportJob", kArgs));
  ASSERT_TRUE(mine.enqueue_at(at_ms(1900000000000), "exports", "ExportJob", kArgs));
  Connection c(server.options());
  auto expected = comparable(load_fixture("node/01_enqueue.json"), {"resque:connection_test_key"});
  const auto delayed =
      comparable(load_fixture("node/02_enqueue_at.json"), {"resque:connection_test_key"});
  for (auto& [k, v] : delayed.items()) expected[k] = v;
  resque::test::PlainJson renamed = resque::test::PlainJson::object();
  for (auto& [k, v] : expected.items()) renamed["myapp" + k.substr(6)] = v;
  // The same keys and bytes under "myapp:", and values that name keys stay un-prefixed.
  EXPECT_EQ(dump(c), renamed);
  EXPECT_TRUE(standard.queues().empty());
  EXPECT_EQ(standard.length("exports"), 0);
  EXPECT_EQ(mine.queues(), std::vector<std::string>{"exports"});
  EXPECT_EQ(mine.scheduled_at("exports", "ExportJob", kArgs),
            std::vector<std::int64_t>{1900000000});
}
