// White-box tests of the worker's sticky-queue rule (WorkerOptions::priority_recheck_interval):
// when a worker on a long queue list keeps taking from one queue, and when it looks at every
// queue again.
#include <gtest/gtest.h>

#include "sticky_queue.hpp"

using resque::detail::StickyQueue;
using namespace std::chrono_literals;

namespace {
const StickyQueue::Clock::time_point t0{std::chrono::seconds(1000)};
constexpr std::size_t kQ = 7;
}  // namespace

TEST(StickyQueue, AFullStepThatTookFromAQueueWithMoreSticksToIt) {
  StickyQueue s(100ms);
  EXPECT_EQ(s.before_step(t0, 0), std::nullopt);  // nothing yet: a full step
  s.after_step(std::nullopt, kQ, /*more=*/true, /*long_list=*/true, t0, 0);
  EXPECT_EQ(s.before_step(t0 + 10ms, 0), kQ);
  s.after_step(kQ, kQ, true, true, t0 + 10ms, 0);
  EXPECT_EQ(s.before_step(t0 + 99ms, 0), kQ);  // still within the interval of the full step
}

TEST(StickyQueue, TheIntervalSinceTheFullStepEndsIt) {
  StickyQueue s(100ms);
  s.after_step(std::nullopt, kQ, true, true, t0, 0);
  s.after_step(kQ, kQ, true, true, t0 + 50ms, 0);  // single steps do not extend it
  EXPECT_EQ(s.before_step(t0 + 100ms, 0), std::nullopt);
  EXPECT_EQ(s.before_step(t0 + 101ms, 0), std::nullopt);  // and it stays forgotten
}

TEST(StickyQueue, AnAnnouncedEnqueueEndsIt) {
  StickyQueue s(100ms);
  s.after_step(std::nullopt, kQ, true, true, t0, 5);
  EXPECT_EQ(s.before_step(t0 + 1ms, 5), kQ);
  EXPECT_EQ(s.before_step(t0 + 2ms, 6), std::nullopt);
}

TEST(StickyQueue, AQueueThatRunsDryOrGivesNothingEndsIt) {
  StickyQueue s(100ms);
  s.after_step(std::nullopt, kQ, true, true, t0, 0);
  s.after_step(kQ, kQ, /*more=*/false, true, t0 + 1ms, 0);  // took its last job
  EXPECT_EQ(s.before_step(t0 + 2ms, 0), std::nullopt);
  s.after_step(std::nullopt, kQ, true, true, t0 + 3ms, 0);
  s.after_step(kQ, std::nullopt, false, true, t0 + 4ms, 0);  // found it empty
  EXPECT_EQ(s.before_step(t0 + 5ms, 0), std::nullopt);
}

TEST(StickyQueue, NeverForShortListsLastJobsOrWhenTurnedOff) {
  StickyQueue s(100ms);
  s.after_step(std::nullopt, kQ, true, /*long_list=*/false, t0, 0);
  EXPECT_EQ(s.before_step(t0 + 1ms, 0), std::nullopt);
  s.after_step(std::nullopt, kQ, /*more=*/false, true, t0, 0);
  EXPECT_EQ(s.before_step(t0 + 1ms, 0), std::nullopt);
  s.after_step(std::nullopt, std::nullopt, false, true, t0, 0);  // an idle full step
  EXPECT_EQ(s.before_step(t0 + 1ms, 0), std::nullopt);
  StickyQueue off(0ms);  // Ruby's order: every queue, every job
  EXPECT_FALSE(off.enabled());
  off.after_step(std::nullopt, kQ, true, true, t0, 0);
  EXPECT_EQ(off.before_step(t0, 0), std::nullopt);
}

TEST(StickyQueue, ResetForgetsTheQueue) {
  StickyQueue s(100ms);
  s.after_step(std::nullopt, kQ, true, true, t0, 0);
  s.reset();  // the list of queues changed
  EXPECT_EQ(s.before_step(t0 + 1ms, 0), std::nullopt);
}
