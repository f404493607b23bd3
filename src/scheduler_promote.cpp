// Promotion of due delayed jobs (resque-scheduler's delayed_queue_schedule layout), written by
// Ruby, node-resque or resque-cpp.
#include <fmt/format.h>

#include <deque>
#include <memory>

#include "failure.hpp"
#include "hooks.hpp"
#include "resque/error.hpp"
#include "resque/registry.hpp"
#include "scheduler_state.hpp"
#include "scripts.hpp"

namespace resque {

namespace {

// What resque-scheduler pushes for a Ruby item {"class":C,"args":A,"queue":Q}: the same bytes
// without the trailing queue member, i.e. Ruby's own {"class":C,"args":A}, so Ruby's
// Job.destroy and resque-web see exactly what a Ruby scheduler would have pushed. Items in
// node's order ({"class","queue","args"}, ours too) are pushed as stored.
std::string payload_to_push(const std::string& raw, const Json& item) {
  if (item.size() < 2 || item.items().begin().key() != "class") return raw;
  auto last = item.end();
  --last;
  if (last.key() != "queue") return raw;
  const auto pos = raw.rfind(",\"queue\":");
  if (pos == std::string::npos) return raw;
  std::string candidate = raw.substr(0, pos) + "}";
  try {
    const Json stripped = decode_json(candidate);
    if (!stripped.is_object() || stripped.size() + 1 != item.size()) return raw;
    auto a = stripped.begin();
    auto b = item.begin();
    for (; a != stripped.end(); ++a, ++b)
      if (a.key() != b.key() || *a != *b) return raw;
  } catch (const EncodingError&) {
    return raw;
  }
  return candidate;
}

struct Move {
  std::string action;  // push, fail, defer, drop
  std::string raw;
  std::string a, b;
  Job job;
  const JobDefinition* def = nullptr;
  bool hooks_ran = false;
  bool vetoed = false;
  std::string problem;  // why it failed
  // One context from before_enqueue to after_enqueue or enqueue_aborted, so hooks can pass
  // values on (a lock's value). It refers to `job`: Moves live in a deque and never move.
  std::unique_ptr<HookContext> ctx;
};

}  // namespace

std::size_t Scheduler::State::promote(Connection& conn, std::chrono::milliseconds budget,
                                      bool& more) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  const std::string batch = std::to_string(opts.promotion_batch_size);
  std::size_t promoted = 0;
  for (;;) {
    const Reply due =
        conn.eval(scripts::delayed_due(), {keys.delayed_schedule()}, {keys.prefix(), batch});
    if (due.size() < 3) return promoted;
    const std::int64_t now = std::stoll(due.element(0).string());
    const std::string ts = due.element(1).string();
    const std::vector<std::string> items = due.element(2).strings();
    std::int64_t ts_num = 0;
    try {
      ts_num = std::stoll(ts);
    } catch (const std::exception&) {
      ts_num = now;
    }

    std::deque<Move> moves;
    for (const auto& raw : items) {
      Move m;
      m.raw = raw;
      Json item;
      try {
        item = decode_json(raw);
      } catch (const EncodingError& e) {
        m.problem = e.what();
      }
      if (m.problem.empty() &&
          (!item.is_object() || !item.contains("class") || !item["class"].is_string()))
        m.problem = "it is not a job payload (a JSON object with a string \"class\")";
      if (!m.problem.empty()) {
        m.action = "fail";
        m.a = detail::failure_record(
            raw, "resque::EncodingError",
            fmt::format("delayed item due at {} cannot be promoted: {}", ts, m.problem), {},
            opts.name, "");
        moves.push_back(std::move(m));
        continue;
      }
      m.job = decode_payload(raw);
      if (m.job.queue.empty()) {
        // Ruby writes "queue":null when it could not tell the class's queue; its scheduler
        // then drops the item if it cannot load the class. Here it is kept, as a failure.
        m.action = "fail";
        m.problem = fmt::format(
            "delayed job {} due at {} names no queue, so it cannot be promoted (Ruby's "
            "scheduler would use the class's @queue, which resque-cpp cannot know); enqueue it "
            "again with a queue",
            m.job.klass, ts);
        m.a = detail::failure_record(raw, "resque::NoQueueError", m.problem, {}, opts.name, "");
        moves.push_back(std::move(m));
        continue;
      }
      m.action = "push";
      m.a = m.job.queue;
      m.b = payload_to_push(raw, item);
      m.def = registry ? registry->find(m.job.klass) : nullptr;
      moves.push_back(std::move(m));
      Move& mv = moves.back();
      if (opts.run_enqueue_hooks_on_promotion && mv.def != nullptr && !mv.def->plugins.empty()) {
        mv.ctx = std::make_unique<HookContext>(
            HookContext::for_enqueue(mv.job, conn, keys, *hook_queue));
        mv.hooks_ran = true;
        try {
          mv.vetoed = !detail::run_before_enqueue(mv.def, *mv.ctx);
        } catch (const std::exception& e) {
          // Not knowing what the hook meant, keep the job and try again later.
          error(fmt::format("before_enqueue hook of {} threw while promoting it: {}; deferred",
                            mv.job.klass, e.what()));
          mv.vetoed = true;
          mv.hooks_ran = false;
          mv.action = "defer";
          mv.a = std::to_string(now + opts.veto_retry_delay.count());
        }
        if (mv.vetoed && mv.action == "push") {
          switch (opts.on_promotion_veto) {
            case VetoedPromotion::Defer:
              mv.action = "defer";
              mv.a = std::to_string(now + opts.veto_retry_delay.count());
              break;
            case VetoedPromotion::Push: break;
            case VetoedPromotion::Drop: mv.action = "drop"; break;
          }
        }
      }
    }

    std::vector<std::string> argv = {keys.prefix(), keys.enqueue_channel(), ts, "delayed:" + ts};
    argv.reserve(4 + moves.size() * 4);
    for (const auto& m : moves) {
      argv.push_back(m.action);
      argv.push_back(m.raw);
      argv.push_back(m.a);
      argv.push_back(m.b);
    }
    const std::string delayed_key = keys.key("delayed:" + ts);
    // Hooks that ran and did not veto took something (a QueueLock) for a push that did not
    // happen: let them give it back.
    auto abort_hooks = [&](Move& m) {
      if (!m.hooks_ran || m.vetoed || !m.ctx) return;
      try {
        detail::run_enqueue_aborted(m.def, *m.ctx);
      } catch (const std::exception& e) {
        error(fmt::format("enqueue_aborted hook of {} threw: {}", m.job.klass, e.what()));
      }
    };
    Reply res;
    try {
      res = conn.eval(scripts::promote(),
                      {keys.delayed_schedule(), delayed_key, keys.queues(), keys.failed()},
                      std::vector<std::string_view>(argv.begin(), argv.end()));
    } catch (const ReplyError&) {
      // Refused: the script wrote nothing. (After a ConnectionError it may have run, so the
      // hooks' locks are left to their TTL instead.)
      for (auto& m : moves) abort_hooks(m);
      throw;
    }

    for (std::size_t i = 0; i < moves.size() && i < res.size(); ++i) {
      Move& m = moves[i];
      if (res.element(i).integer() != 1) {  // gone since it was read: not ours to move
        abort_hooks(m);
        continue;
      }
      if (m.action == "fail") {
        error(m.problem + " (sent to the failed list)");
        continue;
      }
      if (m.vetoed) {
        const VetoedPromotion what = m.action == "defer"  ? VetoedPromotion::Defer
                                     : m.action == "drop" ? VetoedPromotion::Drop
                                                          : VetoedPromotion::Push;
        log(LogLevel::Warning,
            fmt::format("scheduler {}: a before_enqueue hook vetoed promoting {} {} due at {}; {}",
                        opts.name, m.job.klass, encode_json(m.job.args), ts,
                        what == VetoedPromotion::Defer  ? fmt::format("deferred to {}", m.a)
                        : what == VetoedPromotion::Drop ? std::string("dropped")
                                                        : std::string("pushed anyway")));
        emit(opts.events.on_promotion_vetoed, m.job, ts_num, what);
        if (m.action != "push") continue;
      }
      ++promoted;
      if (m.hooks_ran && m.ctx) {
        try {
          detail::run_after_enqueue(m.def, *m.ctx);
        } catch (const std::exception& e) {
          error(fmt::format("after_enqueue hook of {} threw: {}", m.job.klass, e.what()));
        }
      }
      emit(opts.events.on_promoted, m.job, ts_num);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      more = true;
      return promoted;
    }
  }
}

}  // namespace resque
