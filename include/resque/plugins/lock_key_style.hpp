#pragma once
/// @file lock_key_style.hpp
/// Whose keys and values QueueLock and JobLock write: node-resque's (the default), or those of
/// Ruby's resque-lock-timeout or defunkt's resque-lock, so a Ruby job class using those plugins
/// and a C++ job class using ours on one Redis exclude each other. Also Ruby's ways of turning
/// job args into text, for custom identities that must match a Ruby override.

#include <string>
#include <string_view>

#include "resque/json.hpp"

namespace resque::plugins {

/// The lock convention a QueueLock or JobLock follows. Default (in their Options): Node.
enum class LockKeyStyle {
  /// node-resque's QueueLock / JobLock: `lock:<class>:<queue>:<JSON args>` and
  /// `workerslock:<class>:<queue>:<JSON args>`, value now + timeout + 1.
  Node,
  /// lantins/resque-lock-timeout 0.4.x (lib/resque/plugins/lock_timeout.rb). QueueLock is its
  /// `@loner = true` enqueue lock `loner:lock:<class>:<identifier>`, refused also while the run
  /// lock is held (its before_enqueue_lock checks `locked?` first); JobLock is its run lock
  /// `lock:<class>:<identifier>`. identifier = Ruby's `args.join('-')` (ruby_join), or the
  /// Options::key function (Ruby's `identifier` override). The value is Time.now.to_i +
  /// lock_timeout, a lock whose value is in the past is taken over (its GETSET algorithm);
  /// with lock_timeout 0 (Ruby's default: no timeout) the value is `true` and never expires.
  /// The queue is not part of the key: Ruby locks per class and args.
  ResqueLockTimeout,
  /// defunkt/resque-lock 1.1 (lib/resque/plugins/lock.rb): an enqueue lock only,
  /// `lock:<class>-<Ruby's args.to_s>` (ruby_inspect), value Time.now.to_i + lock_timeout + 1,
  /// taken over when in the past, held until the perform ends (released after perform,
  /// whether it failed or not). QueueLock only: JobLock refuses it (resque-lock has no run
  /// lock; its enqueue lock already covers the perform). Options::key replaces Ruby's whole
  /// `lock(*args)` override: the key is `<ns>:<key(job)>`.
  ResqueLock,
};

/// Ruby's `args.join(sep)` of decoded JSON `args` (an array; another value is joined as a
/// one-element array): strings as they are, nil as "", nested arrays joined recursively with
/// the same separator, numbers, true/false and hashes as Ruby's to_s (Float#to_s: `1.0`,
/// `1.0e+20`; Hash#inspect). resque-lock-timeout's default identifier is ruby_join(args, "-").
std::string ruby_join(const Json& args, std::string_view sep);

/// Ruby's `inspect` (= to_s for arrays and hashes) of a decoded JSON value, as Ruby 3.1-3.3
/// print it: `[42, "a@b.pt"]`, `{"k"=>nil}`, String#inspect's escapes (`\"`, `\\`, `\n`,
/// `\e`, `\u0001`, `\#{`). Non-ASCII characters are kept as they are except U+2028/U+2029;
/// Ruby also escapes unassigned code points, which this does not know. resque-lock's default
/// key is "lock:" + class + "-" + ruby_inspect(args).
std::string ruby_inspect(const Json& value);

}  // namespace resque::plugins
