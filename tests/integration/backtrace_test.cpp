// Failure backtraces (backtrace.hpp): what a failed C++ job's record shows under `backtrace`.
// Frame names come from the test binary's symbol table (these tests do not depend on debug
// information); a build with -g also gives file:line.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "redis_server.hpp"
#include "resque/backtrace.hpp"
#include "resque/options.hpp"
#include "resque/queue.hpp"
#include "resque/registry.hpp"
#include "resque/worker.hpp"
#include "worker_helpers.hpp"

using namespace resque;
using namespace resque::test;

namespace {

// Named, out-of-line throw sites the frames must name.
[[gnu::noinline]] void backtrace_test_throws_traced_error(const std::string& id) {
  throw TracedError("catalog " + id + " not found");
}
[[gnu::noinline]] void backtrace_test_throws_with_trace(const std::string& id) {
  throw_with_trace(std::out_of_range("no item " + id));
}
[[gnu::noinline]] void backtrace_test_throws_plainly(const std::string& id) {
  throw std::runtime_error("plain " + id);
}
[[gnu::noinline]] int backtrace_test_recurse(int n) {
  volatile int keep = n;  // read after the call: every level keeps its own frame
  if (n == 0) throw TracedError("deep");
  const int r = backtrace_test_recurse(n - 1);
  return r + keep;
}

bool any_frame_has(const Json& frames, const std::string& text) {
  for (const auto& f : frames)
    if (f.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

// Runs `perform` as job "Bt" on a worker and returns its failure record.
Json failure_of(void (*perform)(const std::string&)) {
  RedisServer server;
  Queue q(server.options());
  auto reg = std::make_shared<JobRegistry>();
  reg->define("Bt", [perform](std::string id) { perform(id); });
  Worker w(server.options(), reg, fast_worker({"bt"}));
  w.start();
  EXPECT_TRUE(q.enqueue("bt", "Bt", {"42"}));
  EXPECT_TRUE(eventually([&] { return w.jobs_done() == 1; }));
  w.stop();
  const auto failed = q.failed();
  if (failed.size() != 1) {
    ADD_FAILURE() << "expected one failure, got " << failed.size();
    return Json::object();
  }
  return failed[0].entry;
}

}  // namespace

TEST(FailureBacktrace, TracedErrorRecordsWhereItWasThrown) {
  const Json f = failure_of(backtrace_test_throws_traced_error);
  EXPECT_EQ(f["exception"], "resque::TracedError");
  EXPECT_EQ(f["error"], "catalog 42 not found");
  ASSERT_TRUE(f["backtrace"].is_array()) << f.dump();
  EXPECT_TRUE(any_frame_has(f["backtrace"], "backtrace_test_throws_traced_error")) << f.dump(2);
  EXPECT_FALSE(any_frame_has(f["backtrace"], "where resque caught it")) << f.dump(2);
}

TEST(FailureBacktrace, ThrowWithTraceRecordsTheThrowSiteAndNamesTheThrownType) {
  const Json f = failure_of(backtrace_test_throws_with_trace);
  EXPECT_EQ(f["exception"], "std::out_of_range");
  EXPECT_EQ(f["error"], "no item 42");
  EXPECT_TRUE(any_frame_has(f["backtrace"], "backtrace_test_throws_with_trace")) << f.dump(2);
  // Still catchable as what it is.
  EXPECT_THROW(backtrace_test_throws_with_trace("1"), std::out_of_range);
}

#ifndef RESQUE_TEST_THROW_TRACE
TEST(FailureBacktrace, AnyOtherExceptionGetsTheCatchSiteSaidSo) {
  const Json f = failure_of(backtrace_test_throws_plainly);
  EXPECT_EQ(f["exception"], "std::runtime_error");
  ASSERT_GE(f["backtrace"].size(), 2u) << f.dump(2);
  EXPECT_NE(f["backtrace"][0].get<std::string>().find("where resque caught it"), std::string::npos)
      << f.dump(2);
  EXPECT_TRUE(any_frame_has(f["backtrace"], "resque::Worker")) << f.dump(2);
  EXPECT_FALSE(any_frame_has(f["backtrace"], "backtrace_test_throws_plainly")) << f.dump(2);
}
#else
// Built a second time with resque::throw_trace linked (tests.cmake: integration_throw_trace).
// Under AddressSanitizer the interposition is inert: GCC links its runtime (which defines
// __cxa_throw itself) ahead of every object, so the linker never takes ours and failures keep
// the catch site (backtrace.hpp says so).
#if defined(__SANITIZE_ADDRESS__)
#define RESQUE_SKIP_UNDER_ASAN() GTEST_SKIP() << "resque::throw_trace is inert under ASan"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RESQUE_SKIP_UNDER_ASAN() GTEST_SKIP() << "resque::throw_trace is inert under ASan"
#endif
#endif
#ifndef RESQUE_SKIP_UNDER_ASAN
#define RESQUE_SKIP_UNDER_ASAN() (void)0
#endif
TEST(FailureBacktrace, WithThrowTraceAnyExceptionRecordsItsThrowSite) {
  RESQUE_SKIP_UNDER_ASAN();
  const Json f = failure_of(backtrace_test_throws_plainly);
  EXPECT_EQ(f["exception"], "std::runtime_error");
  EXPECT_EQ(f["error"], "plain 42");
  ASSERT_GE(f["backtrace"].size(), 1u) << f.dump(2);
  EXPECT_NE(f["backtrace"][0].get<std::string>().find("backtrace_test_throws_plainly"),
            std::string::npos)
      << f.dump(2);
  EXPECT_FALSE(any_frame_has(f["backtrace"], "where resque caught it")) << f.dump(2);
}

// A throw inside libresque itself (a shared libresque.so too: its calls to __cxa_throw reach
// the interposed one through the same symbol lookup).
TEST(FailureBacktrace, WithThrowTraceAThrowInsideTheLibraryRecordsItsSite) {
  RESQUE_SKIP_UNDER_ASAN();
  const Json f = failure_of([](const std::string&) { (void)parse_redis_url("nope://x"); });
  EXPECT_EQ(f["exception"], "resque::ConfigError");
  EXPECT_TRUE(any_frame_has(f["backtrace"], "parse_redis_url")) << f.dump(2);
  EXPECT_FALSE(any_frame_has(f["backtrace"], "where resque caught it")) << f.dump(2);
}

// Outside a job's perform nothing is recorded: the catch site, as without the library.
TEST(FailureBacktrace, WithThrowTraceThrowsOutsidePerformAreNotRecorded) {
  try {
    backtrace_test_throws_plainly("1");
    FAIL() << "no throw";
  } catch (const std::runtime_error&) {
    const StackTrace t = StackTrace::of_failure(std::current_exception());
    EXPECT_TRUE(t.catch_site());
  }
  // And a job after one that threw is not given the earlier throw's frames: an exception
  // that is not a std::exception (not matched to a recorded throw) gets the catch site.
  const Json f = failure_of([](const std::string&) { throw 42; });
  ASSERT_GE(f["backtrace"].size(), 1u) << f.dump(2);
  EXPECT_NE(f["backtrace"][0].get<std::string>().find("where resque caught it"), std::string::npos)
      << f.dump(2);
}
#endif

TEST(FailureBacktrace, FramesAreCappedInCountAndSize) {
  try {
    backtrace_test_recurse(200);
    FAIL() << "no throw";
  } catch (const TracedError& e) {
    const auto frames = e.trace().frames();
    ASSERT_EQ(frames.size(), StackTrace::kMaxFrames + 1);
    EXPECT_EQ(frames.back(), "... (more frames not recorded)");
    std::size_t bytes = 0;
    for (const auto& fr : frames) bytes += fr.size();
    EXPECT_LE(bytes, StackTrace::kMaxBytes + 64);
    EXPECT_NE(frames[0].find("backtrace_test_recurse"), std::string::npos) << frames[0];
  }
  EXPECT_TRUE(StackTrace().frames().empty());
  EXPECT_FALSE(StackTrace::capture().catch_site());
}
