#pragma once
// What QueueLock and JobLock share about LockKeyStyle (internal).
#include <chrono>
#include <functional>
#include <string>

#include "resque/job.hpp"
#include "resque/keys.hpp"
#include "resque/lock.hpp"
#include "resque/plugins/lock_key_style.hpp"

namespace resque::plugins::detail {

/// Throws ConfigError unless `timeout` suits `style` (positive; 0 also for ResqueLockTimeout).
void check_lock_timeout(const char* who, LockKeyStyle style, std::chrono::seconds timeout);

/// resque-lock-timeout's `redis_lock_key`: `<ns>:lock:<class>:<identifier>`, identifier =
/// key(job) when given, else Ruby's args.join('-').
std::string lock_timeout_run_key(const Keys& keys, const Job& job,
                                 const std::function<std::string(const Job&)>& key);

/// The Lock options of a lock of `style` with `timeout`: node's stamp, Ruby's stamps or `true`.
LockOptions style_lock_options(LockKeyStyle style, std::chrono::seconds timeout);

}  // namespace resque::plugins::detail
