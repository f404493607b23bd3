// Queue: removing jobs (the peers' encodings, or by value), queues, delayed jobs and locks.
#include <fmt/format.h>

#include <map>

#include "protocol/queue_scripts.hpp"
#include "queue_internal.hpp"
#include "resque/error.hpp"
#include "resque/queue.hpp"

namespace resque {

namespace {

// Removes the entries of `list` for which `match` holds, at most `count` (0 = all): decode and
// match here (by value, any dialect), remove by the stored bytes in one script.
template <class Match>
long long remove_matching(Connection& conn, const std::string& list, long long count, Match match) {
  const auto raws = conn.command({"LRANGE", list, "0", "-1"}).strings();
  // Distinct raw strings in order of first appearance, with how often each was seen.
  std::vector<std::string> order;
  std::map<std::string, long long> seen;
  long long matched = 0;
  for (const auto& raw : raws) {
    if (count > 0 && matched >= count) break;
    Job job;
    try {
      job = decode_payload(raw);
    } catch (const EncodingError&) {
      continue;  // not a job we could match; never removed by value
    }
    if (!match(job)) continue;
    ++matched;
    if (seen[raw]++ == 0) order.push_back(raw);
  }
  if (order.empty()) return 0;
  protocol::DelMatchingArgs args{list, count > 0 ? count : 0, {}};
  args.entries.reserve(order.size());
  for (auto& raw : order) {
    const long long times = seen[raw];
    args.entries.emplace_back(std::move(raw), times);
  }
  return protocol::del_matching(conn, args);
}

// JSON text that every encoder (Ruby's JSON, JSON.stringify, cjson, ours) writes identically
// for a string: printable ASCII without the characters some escape and others do not ('/',
// and non-ASCII or control characters, which Python and Ruby's ascii_only write as \uXXXX).
bool plain_text(const std::string& s) {
  if (s.empty()) return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '/') return false;
  }
  return true;
}

// Substrings every encoding of `v` contains, to filter a list before decoding it:
// plain strings with their quotes, and integers below 10^15 (a float equal to one is written
// with the same digits: 42, 42.0). Other values add nothing; at most 8 needles.
void needles_of(const Json& v, std::vector<std::string>& out) {
  if (out.size() >= 8) return;
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (plain_text(s)) out.push_back('"' + s + '"');
  } else if (v.is_number_unsigned()) {
    const auto n = v.get<unsigned long long>();
    if (n < 1000000000000000ULL) out.push_back(std::to_string(n));
  } else if (v.is_number_integer()) {
    const auto n = v.get<long long>();
    if (n > -1000000000000000LL && n < 1000000000000000LL) out.push_back(std::to_string(n));
  } else if (v.is_array() || v.is_object()) {
    for (const auto& e : v) needles_of(e, out);
  }
}

// Removes every entry of `list` for which `match` holds (count 0) without one reply of the
// whole list: it is read in bounded pages (LRANGE), each entry is tested for the needles (plain
// bytes, no decoding), and only the candidates are decoded and matched (by value, any
// dialect). Removed by the stored bytes in one script at the end (del_matching.lua).
// Pages are counted from the tail: workers pop at the head and enqueues push at the tail, so a
// pop does not move the entries not read yet, and a push only makes the next page read again
// entries already seen (jobs pushed after the search began are not its business).
// (Filtering inside Redis with a Lua string.find per entry cost Redis 4x the CPU of sending
// the page: Lua interns every string it is given.)
template <class Match>
long long remove_all_matching(Connection& conn, const std::string& list,
                              const std::vector<std::string>& needles, Match match) {
  constexpr long long kPage = 10000;
  std::vector<std::string> order;
  std::map<std::string, long long> seen;
  for (long long offset = 0;; offset += kPage) {
    const Reply page = conn.command(
        {"LRANGE", list, std::to_string(-(offset + kPage)), std::to_string(-(offset + 1))});
    for (std::size_t i = 0; i < page.size(); ++i) {
      const std::string_view raw = page.element(i).str();
      bool candidate = true;
      for (const auto& n : needles)
        if (raw.find(n) == std::string_view::npos) {
          candidate = false;
          break;
        }
      if (!candidate) continue;
      Job job;
      try {
        job = decode_payload(raw);
      } catch (const EncodingError&) {
        continue;  // not a job we could match; never removed by value
      }
      if (match(job) && seen[std::string(raw)]++ == 0) order.emplace_back(raw);
    }
    if (page.size() < static_cast<std::size_t>(kPage)) break;
  }
  if (order.empty()) return 0;
  protocol::DelMatchingArgs args{list, 0, {}};
  args.entries.reserve(order.size());
  for (auto& raw : order) args.entries.emplace_back(std::move(raw), 1);
  return protocol::del_matching(conn, args);
}

}  // namespace

long long Queue::del(const std::string& queue, const std::string& klass, const Json& args,
                     long long count) {
  DelOptions o;
  o.count = count;
  return del(queue, klass, args, o);
}

long long Queue::del(const std::string& queue, const std::string& klass, const Json& args,
                     const DelOptions& options) {
  const long long count = options.count;
  detail::require_name(queue, "queue name");
  validate_class_name(klass);
  if (count < 0) throw ConfigError(fmt::format("del: count must be >= 0, got {}", count));
  const Json wanted = detail::normalize_args(args);
  auto match = [&](const Job& job) {
    return job.klass == klass && detail::same_value(job.args, wanted);
  };
  auto conn = pool_->acquire();
  const std::string list = keys_.queue(queue);
  // "At most count, first ones first" over every encoding needs the order of every match: read
  // the list whole.
  if (count > 0 && options.match_by_value) return remove_matching(*conn, list, count, match);
  // First the encodings the peers write (node's and ours {"class","queue","args"}, Ruby's
  // {"class","args"}), by LREM inside Redis as Ruby's Job.destroy does; then, when asked,
  // whatever other encoding of the same value is left (another key order, 42.0 for 42, extra
  // fields).
  Job job;
  job.klass = klass;
  job.queue = queue;
  job.args = wanted;
  // (With a count, del_matching.lua removes up to `count` in entry order: node's, then Ruby's.)
  protocol::DelMatchingArgs known{
      list, count, {{encode_payload(job, Dialect::node), count > 0 ? count : 1}}};
  std::string ruby = encode_ruby_payload(job);
  if (ruby != known.entries[0].first)
    known.entries.emplace_back(std::move(ruby), count > 0 ? count : 1);
  long long removed = protocol::del_matching(*conn, known);
  if (!options.match_by_value) return removed;
  std::vector<std::string> needles;
  if (plain_text(klass)) needles.push_back('"' + klass + '"');
  needles_of(wanted, needles);
  removed += remove_all_matching(*conn, list, needles, match);
  return removed;
}

long long Queue::del_by_class(const std::string& queue, const std::string& klass) {
  detail::require_name(queue, "queue name");
  validate_class_name(klass);
  auto conn = pool_->acquire();
  std::vector<std::string> needles;
  if (plain_text(klass)) needles.push_back('"' + klass + '"');
  return remove_all_matching(*conn, keys_.queue(queue), needles,
                             [&](const Job& job) { return job.klass == klass; });
}

void Queue::del_queue(const std::string& queue) {
  detail::require_name(queue, "queue name");
  auto conn = pool_->acquire();
  protocol::del_queue(*conn, keys_, queue);
}

std::vector<std::int64_t> Queue::del_delayed(const std::string& queue, const std::string& klass,
                                             const Json& args) {
  const Job job = detail::make_job(queue, klass, args);
  const protocol::DelDelayedArgs items{encode_delayed(job, Dialect::node),
                                       encode_ruby_delayed(job)};
  auto conn = pool_->acquire();
  return protocol::del_delayed(*conn, keys_, items);
}

bool Queue::del_lock(const std::string& key) {
  // Only lock keys: this must not become a way to delete arbitrary keys by mistake.
  if (key.rfind("lock:", 0) != 0 && key.rfind("workerslock:", 0) != 0)
    throw ConfigError(fmt::format(
        "del_lock: '{}' is not a lock key (expected \"lock:...\" or \"workerslock:...\")", key));
  auto conn = pool_->acquire();
  return conn->command({"DEL", keys_.key(key)}).integer() > 0;
}

}  // namespace resque
