#pragma once
/// @file lock.hpp
/// Lock and Semaphore: leases in Redis held by a token. They are what the built-in QueueLock,
/// JobLock, ConcurrencyLimit and the Scheduler's leader lock are built on, so a custom lock
/// plugin written with them gets the same guarantees (docs/plugins.md shows one).
///
/// Guarantees, for both:
/// - every acquire, renew and release is one Lua script: there is no moment in which another
///   client sees a half-done step (a lock without its TTL, a slot counted but not written);
/// - a lease always has a TTL from the instant it exists, so a holder that dies frees it when
///   the TTL passes, without anybody's help;
/// - only the holder (whoever presents the token the acquire returned) can renew or release;
///   a holder whose lease expired and was taken by someone else can do neither, so it never
///   extends or frees the new holder's lease.
/// What they cannot guarantee: a holder that outlives its TTL without renewing has lost the
/// lease while it still works; choose a TTL longer than the work, or renew while working.
/// Time is the Redis server's (TIME), so clients with skewed clocks agree.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace resque {

class Connection;

/// What a Lock writes as its value.
enum class LockValue {
  /// The holder's token: the one given to acquire, or a random one. Default.
  Token,
  /// node-resque's QueueLock/JobLock value: the epoch second the lease ends (server time, as
  /// node rounds it, + the TTL in whole seconds + 1), chosen by the script. The token is that
  /// value, so it changes on each acquire and renew.
  ExpiryStamp,
  /// resque-lock-timeout's run and `@loner` lock value with a lock_timeout: the epoch second
  /// the lease ends, Ruby's way (server time floored, as Time#to_i, + the TTL in whole
  /// seconds). A value whose String#to_i is below now is stale (its GETSET algorithm). Written
  /// with a TTL one second past that, so the TTL never frees a lock Ruby still honours.
  RubyLockTimeoutStamp,
  /// defunkt resque-lock's value: floored now + the TTL in whole seconds + 1; stale as above.
  RubyLockStamp,
  /// resque-lock-timeout's value without a lock_timeout (its default): `true`, no TTL, never
  /// stale. The one kind without a lease: a holder that dies keeps it until someone deletes
  /// it, exactly as Ruby's plugin does. The ttl is not used.
  RubyTrue,
};

/// How a Lock is taken. Plain struct; defaults documented per field.
struct LockOptions {
  /// Lease length: the lock vanishes this long after its last acquire or renew. ExpiryStamp
  /// locks round it up to whole seconds (node writes EX seconds). Default 60 s.
  std::chrono::milliseconds ttl{std::chrono::seconds(60)};
  /// The value written. Default LockValue::Token.
  LockValue value = LockValue::Token;
  /// Stamp kinds only (ExpiryStamp, RubyLockTimeoutStamp, RubyLockStamp): a lock whose value
  /// is a stamp in the past, or not a number, counts as free and is taken over (node
  /// QueueLock's rule, for locks node left without a TTL; Ruby's plugins' GETSET rule, with
  /// Ruby's String#to_i reading the value). Default false.
  bool take_over_stale = false;
  /// Keys that forbid the lock while any of them exists (for RubyLockTimeoutStamp and
  /// RubyLockStamp locks: while its value is a stamp later than now, resque-lock-timeout's
  /// `inspect_lock` rule, so a stale Ruby lock does not block): acquire then fails with
  /// Status::Blocked and gives up the lock if the token held it (the Scheduler steps aside
  /// while Ruby's resque-scheduler master lock exists). Default none.
  std::vector<std::string> blocked_by;
};

/// A mutual-exclusion lease on one Redis key (SET NX with a TTL; value = the holder's token).
/// acquire by the token that already holds the lock renews it (re-entrant), which makes a
/// "take or keep leadership" poll one call. renew and release act only while the token
/// presented still holds the lock (compare-and-expire, compare-and-delete).
/// Thread-safety: immutable after construction; share freely. Each call uses the Connection
/// given, which must not be used by another thread at the same time.
class Lock {
 public:
  enum class Status {
    /// Taken now.
    Acquired,
    /// The token already held it: its TTL (and stamp) were renewed.
    Renewed,
    /// Held by someone else (Result::value is their value).
    Busy,
    /// A key of LockOptions::blocked_by exists.
    Blocked,
  };
  struct Result {
    Status status = Status::Busy;
    /// Acquired/Renewed: the value now held, the token to give renew and release. Busy: the
    /// holder's value ("" when unknown). Blocked: "".
    std::string value;
    bool held() const { return status == Status::Acquired || status == Status::Renewed; }
  };

  /// Throws ConfigError when the key is empty, ttl is not positive (stamp kinds: shorter than
  /// 1 s; RubyTrue: not checked), or take_over_stale is set on a Token or RubyTrue lock.
  explicit Lock(std::string key, LockOptions options = {});

  /// Takes the lock for `token` (empty: a random token; ExpiryStamp: the token only matters
  /// for renewing a lock it already holds). Throws on Redis errors.
  Result acquire(Connection& redis, const std::string& token = {}) const;
  /// Extends the lease by the TTL if `token` still holds the lock. Returns the token now held
  /// (a new stamp for ExpiryStamp locks; the same token otherwise), or nullopt when `token`
  /// does not hold the lock (it expired, or someone else took it).
  std::optional<std::string> renew(Connection& redis, const std::string& token) const;
  /// Deletes the lock if `token` still holds it. true if it did.
  bool release(Connection& redis, const std::string& token) const;
  /// The lock's current value; nullopt when nobody holds it.
  std::optional<std::string> holder(Connection& redis) const;

  /// 32 hex digits from a per-thread generator seeded by std::random_device: unique among
  /// holders, not a secret.
  static std::string random_token();

  const std::string& key() const { return key_; }
  const LockOptions& options() const { return options_; }

 private:
  std::string key_;
  LockOptions options_;
};

/// A counting semaphore: at most `limit` holders of one Redis key at once. A sorted set whose
/// members are the holders' tokens and whose scores are when each slot expires (server time,
/// ms); expired slots are dropped before counting, and the set expires with its longest-lived
/// slot. acquire by a token that already holds a slot renews it (a restarted worker with the
/// same id takes its dead predecessor's slot back).
/// Thread-safety: immutable after construction; share freely (one Connection per thread).
class Semaphore {
 public:
  /// Throws ConfigError when the key is empty, limit < 1 or ttl is not positive.
  Semaphore(std::string key, long long limit, std::chrono::milliseconds ttl);

  /// Takes a slot for `token` (non-empty). false when every slot is held by others.
  bool acquire(Connection& redis, const std::string& token) const;
  /// Extends `token`'s slot by the TTL. false when it holds none (expired or released).
  bool renew(Connection& redis, const std::string& token) const;
  /// Frees `token`'s slot (the key goes with the last slot). true if it held one.
  bool release(Connection& redis, const std::string& token) const;
  /// Slots held now (expired ones not counted).
  long long held(Connection& redis) const;

  const std::string& key() const { return key_; }
  long long limit() const { return limit_; }
  std::chrono::milliseconds ttl() const { return ttl_; }

 private:
  std::string key_;
  long long limit_;
  std::chrono::milliseconds ttl_;
};

/// Releases what a plugin recorded in `held` (key -> token) for `primitive` (a Lock or a
/// Semaphore taken in an earlier hook of the same context) and forgets it; does nothing when
/// nothing is recorded under its key. The release is by token, so only the holder's copy goes.
template <class Primitive>
void release_held(Connection& redis, const Primitive& primitive,
                  std::map<std::string, std::string>& held) {
  const auto it = held.find(primitive.key());
  if (it == held.end()) return;
  primitive.release(redis, it->second);
  held.erase(it);
}

}  // namespace resque
