#pragma once
/// @file delay_queue_lock.hpp
/// DelayQueueLock: refuses to enqueue a job that is already waiting in the delayed queue.
/// node-resque's plugin of the same name.

#include <string>

#include "resque/plugin.hpp"

namespace resque::plugins {

/// before_enqueue refuses the job while the same job (class, queue, args) is delayed at any
/// time, i.e. while `<ns>:timestamps:<item>` exists. node looks only at its own encoding of
/// the item; this plugin also looks at resque-scheduler's (Ruby) encoding by default, so jobs
/// delayed by Ruby clients count too.
///
/// The check and the enqueue are two steps (as in node): two clients enqueueing at the same
/// moment a job gets delayed can both pass. Combine with QueueLock to refuse queued copies.
///
/// Thread-safety: immutable after construction.
class DelayQueueLock : public Plugin {
 public:
  struct Options {
    /// Also refuse when the job is delayed in resque-scheduler's encoding
    /// ({"class","args","queue"}). Default true.
    bool ruby_encoding = true;
  };

  DelayQueueLock();
  explicit DelayQueueLock(Options options);

  std::string name() const override { return "DelayQueueLock"; }
  bool before_enqueue(HookContext& ctx) override;
  const Options& options() const { return options_; }

 private:
  Options options_;
};

}  // namespace resque::plugins
