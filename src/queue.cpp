// Queue: construction and the enqueue family. Inspection and changes live in queue_*.cpp.
#include "resque/queue.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "hooks.hpp"
#include "protocol/queue_scripts.hpp"
#include "queue_internal.hpp"
#include "resque/error.hpp"
#include "resque/registry.hpp"

namespace resque {

Queue::Queue(ConnectionOptions options, std::shared_ptr<const JobRegistry> registry,
             QueueOptions queue_options)
    : pool_(std::make_shared<ConnectionPool>(options, queue_options.pool_size)),
      registry_(std::move(registry)),
      keys_(options.key_namespace),
      max_payload_bytes_(queue_options.max_payload_bytes) {}

Queue::Queue(std::shared_ptr<ConnectionPool> pool, std::shared_ptr<const JobRegistry> registry)
    : pool_(std::move(pool)),
      registry_(std::move(registry)),
      keys_(pool_->options().key_namespace) {}

Queue::~Queue() = default;

namespace {

using detail::make_job;

// Most payloads one script call carries (Lua's unpack() has a stack limit near 8000).
constexpr std::size_t kBatchChunk = 1000;

// Refuses a payload over the limit before anything is written or any hook runs.
void check_size(const Job& job, const std::string& payload, std::size_t max) {
  if (max != 0 && payload.size() > max)
    throw EncodingError(
        fmt::format("job {} on queue {}: payload of {} bytes is over max_payload_bytes ({} bytes)",
                    job.klass, job.queue, payload.size(), max));
}

}  // namespace

bool Queue::enqueue(const std::string& queue, const std::string& klass, Json args) {
  return enqueue(queue, klass, std::move(args), EnqueueOptions{});
}

namespace {
// W3C trace-context version 00: "00-" 32 hex "-" 16 hex "-" 2 hex, ids not all zero.
bool valid_traceparent(const std::string& t) {
  if (t.size() != 55 || t[2] != '-' || t[35] != '-' || t[52] != '-') return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i == 2 || i == 35 || i == 52) continue;
    const char c = t[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return t.compare(0, 2, "ff") != 0 && t.substr(3, 32) != std::string(32, '0') &&
         t.substr(36, 16) != std::string(16, '0');
}
}  // namespace

bool Queue::enqueue(const std::string& queue, const std::string& klass, Json args,
                    const EnqueueOptions& options) {
  Job job = make_job(queue, klass, std::move(args));
  if (!options.extra.is_object()) throw ConfigError("EnqueueOptions::extra must be a JSON object");
  for (const auto& [k, v] : options.extra.items()) {
    if (k == "class" || k == "queue" || k == "args")
      throw ConfigError("EnqueueOptions::extra must not set \"" + k + "\"");
    job.extra[k] = v;
  }
  if (options.enqueued_at) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    job.extra["enqueued_at"] = static_cast<double>(ms) / 1000.0;
  }
  if (!options.traceparent.empty()) {
    if (!valid_traceparent(options.traceparent))
      throw ConfigError("traceparent '" + options.traceparent + "' is not W3C trace context");
    job.extra["traceparent"] = options.traceparent;
  }
  std::string payload =
      encode_payload(job, dialect());  // encode first: bad args fail before any hook
  check_size(job, payload, max_payload_bytes_);
  const JobDefinition* def = registry_ ? registry_->find(klass) : nullptr;
  auto conn = pool_->acquire();
  auto ctx = HookContext::for_enqueue(job, *conn, keys_, *this);
  if (!detail::run_before_enqueue(def, ctx)) return false;
  try {
    std::vector<protocol::EnqueueGroup> groups(1);
    groups[0].queue = queue;
    groups[0].payloads.push_back(std::move(payload));  // moved: a braced list would copy it
    protocol::enqueue(*conn, keys_, groups);
  } catch (const ReplyError&) {
    // The script was refused (a wrong-typed key: it checks them all before its first write),
    // so nothing was written: whatever the hooks took (a QueueLock) must not outlive it. After
    // a ConnectionError the job may have been written, so the hooks' locks are left to their
    // TTL instead.
    detail::run_enqueue_aborted(def, ctx);
    throw;
  }
  detail::run_after_enqueue(def, ctx);
  return true;
}

std::size_t Queue::enqueue_batch(const std::vector<Job>& jobs) {
  // Every job is validated and encoded before any hook runs or anything is written, so one bad
  // job refuses the whole batch with nothing half-done.
  std::vector<Job> checked;
  std::vector<std::string> encoded;
  checked.reserve(jobs.size());
  encoded.reserve(jobs.size());
  for (const auto& in : jobs) {
    Job job = make_job(in.queue, in.klass, in.args);
    job.extra = in.extra;
    encoded.push_back(encode_payload(job, dialect()));
    check_size(job, encoded.back(), max_payload_bytes_);
    checked.push_back(std::move(job));
  }
  auto conn = pool_->acquire();
  // Hooks next (they may veto), then the survivors grouped by queue in chunks, every chunk one
  // atomic script call, all chunks pipelined in one round trip. Each job keeps its HookContext
  // from before_enqueue to after_enqueue (or enqueue_aborted), so hooks can pass values on.
  struct Accepted {
    std::size_t index;
    const JobDefinition* def;
    std::unique_ptr<HookContext> ctx;
  };
  std::vector<Accepted> accepted;
  accepted.reserve(checked.size());
  try {
    for (std::size_t i = 0; i < checked.size(); ++i) {
      const JobDefinition* def = registry_ ? registry_->find(checked[i].klass) : nullptr;
      auto ctx =
          std::make_unique<HookContext>(HookContext::for_enqueue(checked[i], *conn, keys_, *this));
      if (detail::run_before_enqueue(def, *ctx)) accepted.push_back({i, def, std::move(ctx)});
    }
  } catch (...) {
    for (auto& a : accepted) detail::run_enqueue_aborted(a.def, *a.ctx);
    throw;
  }
  std::vector<std::vector<protocol::EnqueueGroup>> calls;
  for (std::size_t begin = 0; begin < accepted.size(); begin += kBatchChunk) {
    const std::size_t end = std::min(accepted.size(), begin + kBatchChunk);
    std::vector<protocol::EnqueueGroup> call;
    // Consecutive jobs of one queue form one group (order within a queue is kept).
    for (std::size_t i = begin; i < end;) {
      const std::string& q = checked[accepted[i].index].queue;
      std::size_t j = i;
      while (j < end && checked[accepted[j].index].queue == q) ++j;
      protocol::EnqueueGroup group{q, {}};
      group.payloads.reserve(j - i);
      for (std::size_t k = i; k < j; ++k)
        group.payloads.push_back(std::move(encoded[accepted[k].index]));
      call.push_back(std::move(group));
      i = j;
    }
    calls.push_back(std::move(call));
  }
  if (calls.empty()) return 0;
  // A ConnectionError here may come after some chunks were written, so the hooks' locks are
  // left to their TTL rather than released under jobs that may be queued.
  const auto outcomes = protocol::enqueue_batch(*conn, keys_, std::move(calls));
  for (std::size_t chunk = 0; chunk < outcomes.size(); ++chunk) {
    if (outcomes[chunk].ok()) continue;
    // A chunk that failed wrote nothing (a script runs entirely or not at all).
    const std::size_t begin = chunk * kBatchChunk;
    const std::size_t end = std::min(accepted.size(), begin + kBatchChunk);
    for (std::size_t i = begin; i < end; ++i)
      detail::run_enqueue_aborted(accepted[i].def, *accepted[i].ctx);
  }
  for (const auto& o : outcomes)
    if (!o.ok())
      throw ReplyError(
          fmt::format("enqueue_batch on {}: {}", pool_->options().describe(), *o.error));
  for (auto& a : accepted) detail::run_after_enqueue(a.def, *a.ctx);
  return accepted.size();
}

bool Queue::enqueue_at(std::chrono::system_clock::time_point when, const std::string& queue,
                       const std::string& klass, Json args, bool suppress_duplicate) {
  Job job = make_job(queue, klass, std::move(args));
  // Written in the deployment's dialect; the other dialect's item is looked up for duplicates.
  const Dialect d = dialect();
  const std::string payload = encode_delayed(job, d);
  check_size(job, payload, max_payload_bytes_);
  const std::string other_item =
      encode_delayed(job, d == Dialect::ruby ? Dialect::node : Dialect::ruby);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  // floor, not round: Ruby truncates too, and a job must never be promoted early.
  const std::int64_t ts = static_cast<std::int64_t>(std::floor(static_cast<double>(ms) / 1000.0));
  auto conn = pool_->acquire();
  if (protocol::enqueue_at(*conn, keys_, {ts, payload, other_item}) ==
      protocol::EnqueueAtResult::Duplicate) {
    if (suppress_duplicate) return false;
    throw JobError(fmt::format("Job already enqueued at this time with same arguments: {} at {}",
                               payload, ts));
  }
  return true;
}

bool Queue::enqueue_in(std::chrono::milliseconds delay, const std::string& queue,
                       const std::string& klass, Json args, bool suppress_duplicate) {
  return enqueue_at(std::chrono::system_clock::now() + delay, queue, klass, std::move(args),
                    suppress_duplicate);
}

}  // namespace resque
