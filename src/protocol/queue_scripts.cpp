#include "protocol/queue_scripts.hpp"

#include <set>
#include <string_view>

#include "resque/error.hpp"
#include "scripts.hpp"

namespace resque::protocol {

namespace {

// A string no real failure entry holds (entries are JSON objects), used by remove_failed.lua.
constexpr std::string_view kRemovedSentinel = "\x01resque-cpp:failed-entry-being-removed\x01";

// One EVALSHA command of a pipeline: "EVALSHA", sha, numkeys, keys..., args...
std::vector<std::string> evalsha(const Script& script, std::vector<std::string> keys,
                                 std::vector<std::string> args) {
  std::vector<std::string> cmd;
  cmd.reserve(3 + keys.size() + args.size());
  cmd.push_back("EVALSHA");
  cmd.push_back(script.sha1());
  cmd.push_back(std::to_string(keys.size()));
  for (auto& k : keys) cmd.push_back(std::move(k));
  for (auto& a : args) cmd.push_back(std::move(a));
  return cmd;
}

// Runs the EVALSHA commands in one round trip; only the calls answered NOSCRIPT (which
// therefore did nothing) are re-sent with EVAL, so none runs twice: a SCRIPT FLUSH may land
// between two calls of the pipeline. Error replies are returned, not thrown.
std::vector<Reply> eval_pipelined(Connection& conn, const Script& script,
                                  std::vector<std::vector<std::string>> commands) {
  if (commands.empty()) return {};
  auto replies = conn.pipeline(commands);
  std::vector<std::size_t> again;
  for (std::size_t i = 0; i < replies.size(); ++i)
    if (replies[i].is_error() && replies[i].str().substr(0, 8) == "NOSCRIPT") again.push_back(i);
  if (!again.empty()) {
    std::vector<std::vector<std::string>> resend;
    resend.reserve(again.size());
    for (std::size_t i : again) {
      auto cmd = std::move(commands[i]);
      cmd[0] = "EVAL";
      cmd[1] = script.source();
      resend.push_back(std::move(cmd));
    }
    auto second = conn.pipeline(resend);
    for (std::size_t j = 0; j < again.size(); ++j) replies[again[j]] = std::move(second[j]);
  }
  return replies;
}

std::vector<std::string_view> views(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

// enqueue.lua's KEYS and ARGV for one call; the payloads are moved out of `groups`.
std::pair<std::vector<std::string>, std::vector<std::string>> enqueue_call(
    const Keys& keys, std::vector<EnqueueGroup>&& groups) {
  std::vector<std::string> k{keys.queues()}, argv{keys.enqueue_channel()};
  k.reserve(1 + groups.size());
  for (auto& g : groups) {
    k.push_back(keys.queue(g.queue));
    argv.push_back(g.queue);
    argv.push_back(std::to_string(g.payloads.size()));
    for (auto& p : g.payloads) argv.push_back(std::move(p));
  }
  return {std::move(k), std::move(argv)};
}

std::vector<std::string> retry_keys(const Keys& keys, const std::string& queue) {
  return {keys.failed(), keys.queues(), keys.queue(queue)};
}

std::vector<std::string> retry_argv(const Keys& keys, const RetryFailedArgs& a) {
  return {std::to_string(a.index), a.entry, a.updated, a.queue, a.payload, keys.enqueue_channel()};
}

RetryResult retry_result(const Reply& r) {
  return r.integer() == 1 ? RetryResult::Done : RetryResult::Changed;
}

}  // namespace

namespace {
// Payloads from this many bytes (one queue) go by MULTI/RPUSH/EVAL/EXEC (enqueue_listed.lua),
// not through Lua: below it, one script is cheaper than a transaction.
constexpr std::size_t kLongPayloads = 64 * 1024;

long long enqueue_long(Connection& conn, const Keys& keys, const EnqueueGroup& g) {
  // Views over the caller's payloads: the transport sends them from where they are.
  const std::string queues = keys.queues(), queue = keys.queue(g.queue),
                    channel = keys.enqueue_channel(), count = std::to_string(g.payloads.size());
  std::vector<std::vector<std::string_view>> cmds;
  cmds.push_back({"MULTI"});
  std::vector<std::string_view> push{"RPUSH", queue};
  push.insert(push.end(), g.payloads.begin(), g.payloads.end());
  cmds.push_back(std::move(push));
  // EVAL, not EVALSHA: a script missing from the cache would fail only inside EXEC, after the
  // RPUSH (the body is small beside the payload).
  cmds.push_back(
      {"EVAL", scripts::enqueue_listed().source(), "2", queues, queue, channel, g.queue, count});
  cmds.push_back({"EXEC"});
  const auto replies = conn.pipeline_views(cmds);
  // A command refused while queued makes EXEC refuse the whole transaction (EXECABORT).
  for (const auto& r : replies)
    if (r.is_error()) throw ReplyError(r.string());
  const Reply& exec = replies.back();
  if (exec.is_error()) throw ReplyError(exec.string());
  if (exec.type() != Reply::Type::Array || exec.size() != 2)
    throw ProtocolError("enqueue: unexpected EXEC reply");
  const Reply script = exec.element(1);
  if (script.is_error()) throw ReplyError(script.string());
  return script.integer();
}
}  // namespace

long long enqueue(Connection& conn, const Keys& keys, const std::vector<EnqueueGroup>& groups) {
  if (groups.size() == 1) {
    std::size_t bytes = 0;
    for (const auto& p : groups[0].payloads) bytes += p.size();
    if (bytes >= kLongPayloads) return enqueue_long(conn, keys, groups[0]);
  }
  // Views over the caller's payloads: a single enqueue copies no payload.
  std::vector<std::string> k{keys.queues()}, counts;
  k.reserve(1 + groups.size());
  counts.reserve(groups.size());  // never reallocated: argv holds views into it
  const std::string channel = keys.enqueue_channel();
  std::vector<std::string_view> argv{channel};
  for (const auto& g : groups) {
    k.push_back(keys.queue(g.queue));
    counts.push_back(std::to_string(g.payloads.size()));
    argv.push_back(g.queue);
    argv.push_back(counts.back());
    argv.insert(argv.end(), g.payloads.begin(), g.payloads.end());
  }
  return conn.eval(scripts::enqueue(), views(k), argv).integer();
}

std::vector<Outcome<long long>> enqueue_batch(Connection& conn, const Keys& keys,
                                              std::vector<std::vector<EnqueueGroup>> calls) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (auto& groups : calls) {
    auto [k, argv] = enqueue_call(keys, std::move(groups));
    commands.push_back(evalsha(scripts::enqueue(), std::move(k), std::move(argv)));
  }
  std::vector<Outcome<long long>> out;
  for (auto& r : eval_pipelined(conn, scripts::enqueue(), std::move(commands))) {
    Outcome<long long> o;
    if (r.is_error())
      o.error = r.string();
    else
      o.value = r.integer();
    out.push_back(std::move(o));
  }
  return out;
}

EnqueueAtResult enqueue_at(Connection& conn, const Keys& keys, const EnqueueAtArgs& a) {
  const std::string ts = std::to_string(a.ts);
  const Reply r = conn.eval(scripts::enqueue_at(),
                            {keys.delayed(a.ts), keys.delayed_schedule(),
                             keys.timestamps(a.payload), keys.timestamps(a.other_item)},
                            {a.payload, ts, "delayed:" + ts});
  return r.integer() == 0 ? EnqueueAtResult::Duplicate : EnqueueAtResult::Written;
}

long long del_matching(Connection& conn, const DelMatchingArgs& a) {
  std::vector<std::string> counts;
  counts.reserve(a.entries.size());
  for (const auto& e : a.entries) counts.push_back(std::to_string(e.second));
  const std::string limit = std::to_string(a.limit > 0 ? a.limit : 0);
  std::vector<std::string_view> argv;
  argv.reserve(1 + a.entries.size() * 2);
  argv.push_back(limit);
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    argv.push_back(a.entries[i].first);
    argv.push_back(counts[i]);
  }
  return conn.eval(scripts::del_matching(), {a.list}, argv).integer();
}

bool del_queue(Connection& conn, const Keys& keys, const std::string& queue) {
  return conn.eval(scripts::del_queue(), {keys.queue(queue), keys.queues()}, {queue}).integer() ==
         1;
}

std::vector<std::int64_t> del_delayed(Connection& conn, const Keys& keys, const DelDelayedArgs& a) {
  const Reply r = conn.eval(
      scripts::del_delayed(),
      {keys.delayed_schedule(), keys.timestamps(a.node_item), keys.timestamps(a.ruby_item)},
      {keys.prefix(), a.node_item, a.ruby_item});
  std::set<std::int64_t> out;
  for (const auto& s : r.strings()) {
    try {
      out.insert(std::stoll(s));
    } catch (const std::exception&) {
      // a member "delayed:<not a number>" written by someone else; nothing to report
    }
  }
  return {out.begin(), out.end()};
}

bool remove_failed_at(Connection& conn, const Keys& keys, long long index) {
  return conn.eval(scripts::remove_failed(), {keys.failed()},
                   {std::to_string(index), kRemovedSentinel})
             .integer() == 1;
}

RetryResult retry_failed(Connection& conn, const Keys& keys, const RetryFailedArgs& a) {
  const auto k = retry_keys(keys, a.queue);
  const auto argv = retry_argv(keys, a);
  return retry_result(conn.eval(scripts::retry_failed(), views(k), views(argv)));
}

std::vector<Outcome<RetryResult>> retry_failed_batch(Connection& conn, const Keys& keys,
                                                     const std::vector<RetryFailedArgs>& calls) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const auto& a : calls)
    commands.push_back(
        evalsha(scripts::retry_failed(), retry_keys(keys, a.queue), retry_argv(keys, a)));
  std::vector<Outcome<RetryResult>> out;
  out.reserve(calls.size());
  for (auto& r : eval_pipelined(conn, scripts::retry_failed(), std::move(commands))) {
    Outcome<RetryResult> o;
    if (r.is_error())
      o.error = r.string();
    else
      o.value = retry_result(r);
    out.push_back(std::move(o));
  }
  return out;
}

RetryResult retry_and_remove_failed(Connection& conn, const Keys& keys,
                                    const RetryAndRemoveArgs& a) {
  const auto k = retry_keys(keys, a.queue);
  const std::string channel = keys.enqueue_channel();
  return retry_result(conn.eval(scripts::retry_and_remove_failed(), views(k),
                                {a.entry, a.queue, a.payload, channel}));
}

}  // namespace resque::protocol
