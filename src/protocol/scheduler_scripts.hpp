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

/// The next due timestamp and up to `batch` of its items (read-only), on Redis' clock.
struct DueBatch {
  std::int64_t now = 0;           ///< Redis TIME, seconds
  std::optional<std::string> ts;  ///< the due zset member; nullopt when nothing is due
  std::vector<std::string> items;
  /// delayed:<ts> holds another type than a list (written by someone else): set it aside.
  bool wrong_type = false;
};
DueBatch delayed_due(Connection& conn, const Keys& keys, long long batch);

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
/// Moves the items of delayed:<ts> in one script; element i is false when item i was no
/// longer there (promoted or removed by someone else since it was read: nothing was done).
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
