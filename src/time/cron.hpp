#pragma once
// Recurring-schedule timing: cron expressions (the subset of rufus-scheduler/fugit syntax that
// resque-scheduler users write) and "every" durations. The parser is ours (no packaged library
// speaks fugit's dialect); calendar arithmetic and time zones are cctz's: civil_* types for the
// wall clock, cctz::time_zone (read from the system's tzdata) to map it to instants.
#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace resque::detail {

/// The zone a cron expression or SchedulerOptions::cron_time_zone names: "UTC" (also "Etc/UTC",
/// "GMT", "Z", "UCT", "Zulu", "Universal"; no tzdata needed), a fixed offset "+05:30", "-0800"
/// or "+05", an IANA name read from TZDIR or /usr/share/zoneinfo ("Europe/Lisbon"), or "" for
/// the process's local zone (TZ, else /etc/localtime). cctz reads no POSIX rule strings, so a
/// TZ such as "CET-1CEST,M3.5.0,M10.5.0/3" (rather than a zone name) gives UTC, as an unknown
/// TZ does. Throws ConfigError for an unknown or malformed name. Thread-safe; cctz keeps every
/// zone it loads for the life of the process (only existing zone files reach it).
cctz::time_zone time_zone_named(const std::string& name);

/// A parsed cron expression.
///
/// Syntax: 5 fields "min hour day-of-month month day-of-week", or 6 with seconds first
/// (fugit's order); each field "*", "?", numbers, ranges "a-b", lists "a,b", steps "*/n",
/// "a-b/n", "a/n"; month names JAN-DEC, weekday names SUN-SAT (0 and 7 are Sunday); "L" in the
/// day of month (last day); "d#n" in the day of week (n-th weekday of the month, n = 1..5) and
/// "dL" (last such weekday). Aliases @yearly @annually @monthly @weekly @daily @midnight @hourly.
/// An optional last token names the time zone ("0 3 * * * Europe/Lisbon"), as fugit accepts.
/// Day of month and day of week combine as in Vixie cron: when both are restricted (neither
/// starts with '*' or '?'), a day matching either one matches.
///
/// Time zones: wall-clock times skipped by a DST change (spring forward) fire at the instant the
/// clocks jump; wall-clock times that happen twice (fall back) fire once, at the first.
/// Thread-safety: immutable after parse; share freely.
class CronExpr {
 public:
  /// Throws ConfigError naming the field that is wrong. `default_zone` applies when the
  /// expression names none ("" = the process's local zone, as cron and rufus-scheduler use).
  static CronExpr parse(const std::string& expr, const std::string& default_zone = "");

  /// The first instant (epoch seconds) strictly after `after` that matches, or nullopt if none
  /// exists within 30 years (e.g. "0 0 30 2 *").
  std::optional<std::int64_t> next_after(std::int64_t after) const;

  const std::string& source() const { return source_; }
  const cctz::time_zone& zone() const { return zone_; }

 private:
  bool day_matches(const cctz::civil_day& day) const;
  std::optional<cctz::civil_second> next_civil(const cctz::civil_second& after) const;

  std::string source_;
  std::uint64_t seconds_ = 0, minutes_ = 0;
  std::uint32_t hours_ = 0, dom_ = 0, months_ = 0, dow_ = 0;
  bool dom_star_ = true, dow_star_ = true, dom_last_ = false;
  std::vector<std::pair<int, int>> dow_nth_;  // (weekday, n); n = -1 for "last"
  cctz::time_zone zone_;
};

/// resque-scheduler's "every" value (rufus-scheduler durations): "30s", "15m", "1h30m", "2d",
/// "1w", "1M" (30 days), "1y" (365 days), "500ms" rounded up to 1 s, long unit names
/// ("15 minutes", "2 hours", "15mins"), or a plain number of seconds. Throws ConfigError for
/// anything else or a duration under one second.
std::int64_t parse_every_seconds(const std::string& text);

}  // namespace resque::detail
