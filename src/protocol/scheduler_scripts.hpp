#pragma once
// Typed calls of the scheduler's scripts (delayed_due.lua, promote.lua, schedule_fire.lua):
// an argument struct in, a result struct out; each wrapper is the one place that knows its
// script's KEYS/ARGV layout.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resque/connection.hpp"
#include "resque/keys.hpp"

namespace resque::protocol {

/// One due timestamp and the head of its list, as delayed_due read it.
struct DueTimestamp {
  std::string ts;  ///< the due zset member
  std::vector<std::string> items;
  /// delayed:<ts> holds another type than a list (written by someone else): set it aside.
  bool wrong_type = false;
};
/// The due timestamps (oldest first) with up to `batch` of their items in all (read-only), on
/// Redis' clock, but no later than `upto` when given (the `now` of a pass's first round).
struct DueBatch {
  std::int64_t now = 0;  ///< Redis TIME, seconds (or `upto`, when earlier)
  std::vector<DueTimestamp> due;
};
DueBatch delayed_due(Connection& conn, const Keys& keys, long long batch,
                     std::optional<std::int64_t> upto = std::nullopt);

/// What promotion does with one delayed item.
enum class PromoteAction {
  Push,   ///< to `queue`, as `payload`
  Fail,   ///< to the failed list, as `record`
  Defer,  ///< to the delayed queue at `defer_to` (a vetoed promotion, tried later)
  Drop,   ///< removed (a vetoed promotion, dropped on request)
};
struct PromoteMove {
  PromoteAction action = PromoteAction::Push;
  std::string raw;            ///< the item as stored in delayed:<ts>
  std::string queue;          ///< Push
  std::string payload;        ///< Push: the bytes to push
  std::string record;         ///< Fail: the failure record
  std::int64_t defer_to = 0;  ///< Defer
};
/// The moves of one due timestamp: its items in the order delayed_due returned them.
struct PromoteGroup {
  std::string ts;
  std::vector<PromoteMove> moves;
};
/// Moves the items of every group in one script; element [g][i] is false when item i of group
/// g was no longer there (promoted or removed by someone else since it was read: nothing was
/// done for it).
std::vector<std::vector<bool>> promote(Connection& conn, const Keys& keys,
                                       const std::vector<PromoteGroup>& groups);
/// One group.
std::vector<bool> promote(Connection& conn, const Keys& keys, const std::string& ts,
                          const std::vector<PromoteMove>& moves);

/// One recurring fire, guarded by a compare-and-set on delayed:last_enqueued_at.
struct FireArgs {
  std::string name;
  std::optional<std::string> last_seen;  ///< the record the caller read
  std::string record;                    ///< the new record (Ruby Time#to_s)
  std::optional<std::string> queue;      ///< nullopt: a hook vetoed, only record the fire
  std::string payload;
};
/// false: another scheduler fired this slot (nothing was enqueued).
bool schedule_fire(Connection& conn, const Keys& keys, const FireArgs& args);

}  // namespace resque::protocol
