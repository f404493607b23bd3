#pragma once
// Helpers shared by the Queue's source files (queue*.cpp); not part of the public API.
#include <string>
#include <string_view>
#include <vector>

#include "resque/connection.hpp"
#include "resque/job.hpp"
#include "resque/queue.hpp"

namespace resque::detail {

/// A job about to be written: names validated, args normalised (node's rule: a non-array
/// argument is the single argument).
Job make_job(const std::string& queue, const std::string& klass, Json args);
/// node's rule for args given by the caller: a non-array value is the single argument.
Json normalize_args(Json args);
/// For reads and removals: the name must not be empty (other writers' names that enqueue
/// would refuse, e.g. with ':', can still be inspected and cleaned up).
void require_name(std::string_view value, const char* what);

/// JSON equality as the peers mean it: object keys in any order, 1 == 1.0, and an empty object
/// equal to an empty array (Lua cjson writes [] as {}).
bool same_value(const Json& a, const Json& b);

/// Decodes stored payloads; an entry that does not decode becomes a Job with empty klass and
/// extra["raw"] = the stored text. `queue` fills in payloads without one (Ruby's).
std::vector<Job> decode_jobs(const std::vector<std::string>& raws, const std::string& queue);

}  // namespace resque::detail
