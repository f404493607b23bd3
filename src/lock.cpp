// Lock and Semaphore: thin C++ over one script per operation (src/lua/lock_*.lua,
// semaphore_*.lua), where the guarantees are argued.
#include "resque/lock.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "scripts.hpp"

namespace resque {

namespace {

// The value kind as the scripts name it (src/lua/lock_acquire.lua).
const char* value_kind(LockValue v) {
  switch (v) {
    case LockValue::ExpiryStamp: return "stamp";
    case LockValue::RubyLockTimeoutStamp: return "lt_stamp";
    case LockValue::RubyLockStamp: return "rl_stamp";
    case LockValue::RubyTrue: return "true";
    case LockValue::Token: break;
  }
  return "token";
}

bool is_stamp(LockValue v) {
  return v == LockValue::ExpiryStamp || v == LockValue::RubyLockTimeoutStamp ||
         v == LockValue::RubyLockStamp;
}

Lock::Status status_of(long long code) {
  switch (code) {
    case 1: return Lock::Status::Acquired;
    case 2: return Lock::Status::Renewed;
    case -1: return Lock::Status::Blocked;
    default: return Lock::Status::Busy;
  }
}

}  // namespace

Lock::Lock(std::string key, LockOptions options)
    : key_(std::move(key)), options_(std::move(options)) {
  if (key_.empty()) throw ConfigError("Lock: the key is empty");
  if (options_.value != LockValue::RubyTrue && options_.ttl.count() <= 0)
    throw ConfigError(
        fmt::format("Lock {}: ttl must be positive, got {} ms", key_, options_.ttl.count()));
  if (is_stamp(options_.value) && options_.ttl < std::chrono::seconds(1))
    throw ConfigError(fmt::format("Lock {}: a stamp lock needs a ttl of at least 1 s", key_));
  if (options_.take_over_stale && !is_stamp(options_.value))
    throw ConfigError(fmt::format("Lock {}: take_over_stale needs a stamp LockValue", key_));
}

Lock::Result Lock::acquire(Connection& redis, const std::string& token) const {
  std::string tok = token;
  if (tok.empty() && options_.value == LockValue::Token) tok = random_token();
  std::vector<std::string_view> keys{key_};
  for (const auto& k : options_.blocked_by) keys.emplace_back(k);
  const std::string ttl = std::to_string(std::max<long long>(options_.ttl.count(), 1));
  auto r = redis.eval(scripts::lock_acquire(), keys,
                      {ttl, tok, value_kind(options_.value), options_.take_over_stale ? "1" : "0"});
  Result out;
  out.status = status_of(r.element(0).integer());
  out.value = r.element(1).string();
  return out;
}

std::optional<std::string> Lock::renew(Connection& redis, const std::string& token) const {
  if (token.empty()) return std::nullopt;
  const std::string ttl = std::to_string(std::max<long long>(options_.ttl.count(), 1));
  auto r = redis.eval(scripts::lock_renew(), {key_}, {token, ttl, value_kind(options_.value)});
  if (r.element(0).integer() != 1) return std::nullopt;
  return r.element(1).string();
}

bool Lock::release(Connection& redis, const std::string& token) const {
  if (token.empty()) return false;
  return redis.eval(scripts::lock_release(), {key_}, {token}).integer() == 1;
}

std::optional<std::string> Lock::holder(Connection& redis) const {
  return redis.command({"GET", key_}).opt_string();
}

std::string Lock::random_token() {
  thread_local std::mt19937_64 rng{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

Semaphore::Semaphore(std::string key, long long limit, std::chrono::milliseconds ttl)
    : key_(std::move(key)), limit_(limit), ttl_(ttl) {
  if (key_.empty()) throw ConfigError("Semaphore: the key is empty");
  if (limit_ < 1)
    throw ConfigError(fmt::format("Semaphore {}: limit must be at least 1, got {}", key_, limit_));
  if (ttl_.count() <= 0)
    throw ConfigError(
        fmt::format("Semaphore {}: ttl must be positive, got {} ms", key_, ttl_.count()));
}

bool Semaphore::acquire(Connection& redis, const std::string& token) const {
  if (token.empty()) throw ConfigError(fmt::format("Semaphore {}: the token is empty", key_));
  return redis
             .eval(scripts::semaphore_acquire(), {key_},
                   {std::to_string(limit_), std::to_string(ttl_.count()), token})
             .integer() == 1;
}

bool Semaphore::renew(Connection& redis, const std::string& token) const {
  if (token.empty()) return false;
  return redis.eval(scripts::semaphore_renew(), {key_}, {std::to_string(ttl_.count()), token})
             .integer() == 1;
}

bool Semaphore::release(Connection& redis, const std::string& token) const {
  if (token.empty()) return false;
  return redis.eval(scripts::semaphore_release(), {key_}, {token}).integer() == 1;
}

long long Semaphore::held(Connection& redis) const {
  auto t = redis.command({"TIME"});
  const long long now_ms =
      std::stoll(t.element(0).string()) * 1000 + std::stoll(t.element(1).string()) / 1000;
  return redis.command({"ZCOUNT", key_, fmt::format("({}", now_ms), "+inf"}).integer();
}

}  // namespace resque
