// Promotion of due delayed jobs (resque-scheduler's delayed_queue_schedule layout), written by
// Ruby, node-resque or resque-cpp.
#include <fmt/format.h>

#include <deque>
#include <memory>
#include <optional>

#include "hooks.hpp"
#include "protocol/scheduler_scripts.hpp"
#include "resque/error.hpp"
#include "resque/failure.hpp"
#include "resque/registry.hpp"
#include "scheduler_state.hpp"

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

using protocol::PromoteAction;

struct Move {
  protocol::PromoteMove move;
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
  std::size_t promoted = 0;
  std::optional<std::int64_t> pass_now;  // every round of this pass judges "due" by this time
  for (;;) {
    const protocol::DueBatch due =
        protocol::delayed_due(conn, keys, opts.promotion_batch_size, pass_now);
    if (due.due.empty()) return promoted;
    const std::int64_t now = due.now;
    pass_now = now;
    // The due timestamps of this round, promoted together by one script.
    struct Group {
      std::string ts;
      std::int64_t ts_num = 0;
      std::deque<Move> moves;
    };
    std::deque<Group> groups;
    for (const auto& d : due.due) {
      const std::string& ts = d.ts;
      if (d.wrong_type) {
        // Anyone can write anything: a delayed:<ts> that is not a list is set aside (left for
        // inspection, unscheduled) so it does not fail every poll and block later timestamps.
        conn.command({"ZREM", keys.delayed_schedule(), ts});
        error(fmt::format("{} is not a list; unscheduled and left as it is for inspection",
                          keys.key("delayed:" + ts)));
        continue;
      }
      groups.emplace_back();
      Group& group = groups.back();
      group.ts = ts;
      try {
        group.ts_num = std::stoll(ts);
      } catch (const std::exception&) {
        group.ts_num = now;
      }
      std::deque<Move>& moves = group.moves;
      for (const auto& raw : d.items) {
        Move m;
        m.move.raw = raw;
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
          m.move.action = PromoteAction::Fail;
          m.move.record = encode_failure(
              {{},
               raw,
               std::string(failure_kind::kEncodingError),
               fmt::format("delayed item due at {} cannot be promoted: {}", ts, m.problem),
               {},
               opts.name,
               ""});
          moves.push_back(std::move(m));
          continue;
        }
        m.job = decode_payload(raw);
        if (m.job.queue.empty()) {
          // Ruby writes "queue":null when it could not tell the class's queue; its scheduler
          // then drops the item if it cannot load the class. Here it is kept, as a failure.
          m.move.action = PromoteAction::Fail;
          m.problem = fmt::format(
              "delayed job {} due at {} names no queue, so it cannot be promoted (Ruby's "
              "scheduler would use the class's @queue, which resque-cpp cannot know); enqueue it "
              "again with a queue",
              m.job.klass, ts);
          m.move.record = encode_failure(
              {{}, raw, std::string(failure_kind::kNoQueue), m.problem, {}, opts.name, ""});
          moves.push_back(std::move(m));
          continue;
        }
        m.move.action = PromoteAction::Push;
        m.move.queue = m.job.queue;
        m.move.payload = payload_to_push(raw, item);
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
            mv.move.action = PromoteAction::Defer;
            mv.move.defer_to = now + opts.veto_retry_delay.count();
          }
          if (mv.vetoed && mv.move.action == PromoteAction::Push) {
            switch (opts.on_promotion_veto) {
              case VetoedPromotion::Defer:
                mv.move.action = PromoteAction::Defer;
                mv.move.defer_to = now + opts.veto_retry_delay.count();
                break;
              case VetoedPromotion::Push: break;
              case VetoedPromotion::Drop: mv.move.action = PromoteAction::Drop; break;
            }
          }
        }
      }
    }

    std::vector<protocol::PromoteGroup> to_move;
    to_move.reserve(groups.size());
    for (const auto& g : groups) {
      to_move.push_back({g.ts, {}});
      to_move.back().moves.reserve(g.moves.size());
      for (const auto& m : g.moves) to_move.back().moves.push_back(m.move);
    }
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
    std::vector<std::vector<bool>> res;
    if (!to_move.empty()) {
      try {
        res = protocol::promote(conn, keys, to_move);
      } catch (const ReplyError&) {
        // Refused: the script wrote nothing. (After a ConnectionError it may have run, so the
        // hooks' locks are left to their TTL instead.)
        for (auto& g : groups)
          for (auto& m : g.moves) abort_hooks(m);
        throw;
      }
    }

    for (std::size_t gi = 0; gi < groups.size() && gi < res.size(); ++gi) {
      const std::string& ts = groups[gi].ts;
      const std::int64_t ts_num = groups[gi].ts_num;
      std::deque<Move>& moves = groups[gi].moves;
      const std::vector<bool>& moved = res[gi];
      for (std::size_t i = 0; i < moves.size() && i < moved.size(); ++i) {
        Move& m = moves[i];
        if (!moved[i]) {  // gone since it was read: not ours to move
          abort_hooks(m);
          continue;
        }
        if (m.move.action == PromoteAction::Fail) {
          error(m.problem + " (sent to the failed list)");
          continue;
        }
        if (m.vetoed) {
          const VetoedPromotion what =
              m.move.action == PromoteAction::Defer  ? VetoedPromotion::Defer
              : m.move.action == PromoteAction::Drop ? VetoedPromotion::Drop
                                                     : VetoedPromotion::Push;
          log(LogLevel::Warning,
              fmt::format(
                  "scheduler={} queue={} class={} a before_enqueue hook vetoed promoting {} due "
                  "at {}; {}",
                  opts.name, m.job.queue, m.job.klass, encode_json(m.job.args), ts,
                  what == VetoedPromotion::Defer  ? fmt::format("deferred to {}", m.move.defer_to)
                  : what == VetoedPromotion::Drop ? std::string("dropped")
                                                  : std::string("pushed anyway")));
          emit(opts.events.on_promotion_vetoed, m.job, ts_num, what);
          if (m.move.action != PromoteAction::Push) continue;
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
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      more = true;
      return promoted;
    }
  }
}

}  // namespace resque
