#pragma once
/// @file noop.hpp
/// Noop: turns failures into successes with a log line. node-resque's plugin of the same name.

#include <string>

#include "resque/events.hpp"
#include "resque/plugin.hpp"

namespace resque::plugins {

/// after_perform logs the job's error and clears it: the job counts as processed, not failed,
/// and leaves no failure entry. List it after plugins that must see the error (Retry).
///
/// Thread-safety: immutable after construction; the log function must be thread-safe.
class Noop : public Plugin {
 public:
  struct Options {
    /// Receives "job <class> on <queue> failed (ignored by Noop): <type>: <what>" at Warning
    /// level. Default: stderr_logger().
    LogFunction log = stderr_logger();
  };

  Noop();
  explicit Noop(Options options);

  std::string name() const override { return "Noop"; }
  void after_perform(HookContext& ctx) override;

 private:
  Options options_;
};

}  // namespace resque::plugins
