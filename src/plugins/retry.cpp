#include "resque/plugins/retry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <random>

#include "resque/connection.hpp"
#include "resque/error.hpp"
#include "resque/failure.hpp"

namespace resque::plugins {

namespace {

// JavaScript's String(number) of a JSON number as node holds it (a double).
std::string js_number_of(const Json& v) {
  constexpr std::int64_t kExact = std::int64_t{1} << 53;
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(kExact)) return std::to_string(u);
  } else if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i >= -kExact && i <= kExact) return std::to_string(i);
  }
  return js_number(v.get<double>());
}

// Retry bookkeeping after a failed attempt, node-resque's commands in one step.
// KEYS[1] attempt counter, KEYS[2] last-error key, ARGV[1] TTL in seconds, ARGV[2] error JSON.
// Returns the attempt number (0 for the first failure), as node's SETNX -1 + INCR gives it.
// node sends SETNX, INCR, EXPIRE, SETEX separately: a crash in between can leave a counter
// without TTL. Here the counter and the error are written together with their TTL.
// Kept here as a Script, the way a plugin outside the library carries its own Lua.
const Script& attempt_script() {
  static const Script s(R"lua(
redis.call('SETNX', KEYS[1], -1)
local n = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('SETEX', KEYS[2], ARGV[1], ARGV[2])
return n
)lua");
  return s;
}

double uniform01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

Retry::Retry() : Retry(Options{}) {}

Retry::Retry(Options options) : options_(std::move(options)) {
  if (options_.retry_limit < 1) options_.retry_limit = 1;
  if (options_.retry_delay.count() < 0)
    throw ConfigError("Retry: retry_delay must not be negative");
  for (auto d : options_.backoff)
    if (d.count() < 0) throw ConfigError("Retry: backoff delays must not be negative");
  if (options_.exponential) {
    const auto& e = *options_.exponential;
    if (e.base.count() < 0 || e.cap.count() < 0 || !(e.factor >= 1.0) || !(e.jitter >= 0.0) ||
        !(e.jitter <= 1.0))
      throw ConfigError(
          "Retry: exponential backoff needs base, cap >= 0, factor >= 1 and jitter in [0, 1]");
  }
}

std::string Retry::args_key(const Json& args) {
  if (!args.is_array() || args.empty()) return "";
  std::string out;
  bool first = true;
  for (const auto& a : args) {
    if (!first) out += '-';
    first = false;
    if (a.is_string()) {
      out += a.get_ref<const std::string&>();
    } else if (a.is_number()) {
      out += js_number_of(a);
    } else if (a.is_boolean()) {
      out += a.get<bool>() ? "true" : "false";
    } else {  // typeof "object": objects, arrays and null
      out += encode_json(a);
    }
  }
  return out;
}

std::chrono::milliseconds Retry::delay_for(int n) const {
  if (n < 0) n = 0;
  if (options_.exponential) {
    const auto& e = *options_.exponential;
    const double cap = static_cast<double>(e.cap.count());
    const double raw = static_cast<double>(e.base.count()) * std::pow(e.factor, n);
    double d = std::min(cap, std::isfinite(raw) ? raw : cap);
    if (e.jitter > 0) d -= d * e.jitter * uniform01();
    return std::chrono::milliseconds(static_cast<long long>(std::llround(d)));
  }
  if (!options_.backoff.empty()) {
    const auto i = std::min(static_cast<std::size_t>(n), options_.backoff.size() - 1);
    return options_.backoff[i];
  }
  return options_.retry_delay;
}

long long Retry::keys_ttl_seconds() const {
  // node: maxDelay = max(retryDelay || 1, backoffStrategy...), in ms, passed to EXPIRE.
  long long m = options_.retry_delay.count() > 0 ? options_.retry_delay.count() : 1;
  for (auto d : options_.backoff) m = std::max<long long>(m, d.count());
  if (options_.exponential) m = std::max<long long>(m, options_.exponential->cap.count());
  return m;
}

void Retry::after_perform(HookContext& ctx) {
  const std::string args_k = args_key(ctx.job.args);
  const std::string counter = ctx.keys.retry_counter(ctx.job.klass, args_k);
  const std::string failure = ctx.keys.retry_failure(ctx.job.klass, args_k);
  if (!ctx.error) {
    ctx.redis.command({"DEL", counter, failure});
    return;
  }
  if (options_.retry_if && !options_.retry_if(ctx.error)) {
    ctx.redis.command({"DEL", counter, failure});
    return;
  }
  auto [type, what] = describe_exception(ctx.error);
  const std::string record_json = encode_node_retry_failure(
      ctx.job.klass, ctx.job.queue, ctx.job.args, fmt::format("{}: {}", type, what));
  const long long attempt = ctx.redis
                                .eval(attempt_script(), {counter, failure},
                                      {std::to_string(keys_ttl_seconds()), record_json})
                                .integer();
  const long long remaining = options_.retry_limit - attempt - 1;
  if (remaining <= 0) {
    ctx.redis.command({"DEL", counter, failure});
    return;  // the error stays: a normal failure
  }
  re_enqueue_later(ctx, delay_for(static_cast<int>(attempt)));
  ctx.error = nullptr;
  ctx.re_enqueued_by = name();
}

}  // namespace resque::plugins
