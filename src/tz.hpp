#pragma once
// Time zones for cron schedules, read from the system's TZif files (/usr/share/zoneinfo, package
// tzdata) without touching the process's TZ state: setenv("TZ") + tzset() would race with every
// localtime_r() in other threads (failure records, worker :started values).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace resque::detail {

/// Seconds since 1970-01-01 00:00:00 of a wall-clock time, as if it were UTC ("civil seconds").
using CivilSeconds = std::int64_t;

struct CivilTime {
  int year, month, day, hour, minute, second;  // month 1-12, day 1-31
};

std::int64_t days_from_civil(int y, int m, int d);
CivilTime civil_from_seconds(CivilSeconds c);
CivilSeconds seconds_from_civil(const CivilTime& t);
int days_in_month(int y, int m);
/// 0 = Sunday.
int weekday_from_days(std::int64_t days);

/// A POSIX TZ rule ("WET0WEST,M3.5.0/1,M10.5.0"), used for TZ strings and for the footer of
/// TZif files, which covers every instant after the file's last listed transition.
struct PosixTz {
  struct Date {
    char kind = 'M';  // 'J' (1-365, no Feb 29), 'D' (0-365), 'M' (month.week.weekday)
    int a = 0, b = 0, c = 0;
    int time = 7200;  // seconds after local midnight; may be negative or > 24 h
  };
  int std_offset = 0;  // seconds east of UTC
  int dst_offset = 0;
  bool has_dst = false;
  Date start, end;

  /// Parses a TZ string; false if it is not one.
  static bool parse(const std::string& s, PosixTz& out);
  int offset_at(std::int64_t utc) const;
};

/// One time zone. Thread-safety: immutable after load; share freely.
class TimeZone {
 public:
  /// "UTC" (also "Etc/UTC", "GMT", "Z"), fixed offsets "+05:30" / "-0800", an IANA name from
  /// TZDIR or /usr/share/zoneinfo ("Europe/Lisbon"), or "" for the process's local zone (TZ,
  /// else /etc/localtime, else UTC). Cached per name. Throws ConfigError for unknown names.
  static std::shared_ptr<const TimeZone> get(const std::string& name);
  static std::shared_ptr<const TimeZone> utc();

  const std::string& name() const { return name_; }
  /// Seconds east of UTC in effect at `utc`.
  int offset_at(std::int64_t utc) const;
  CivilSeconds to_civil(std::int64_t utc) const { return utc + offset_at(utc); }
  /// The earliest instant whose wall-clock time is `c`. A wall-clock time skipped by a
  /// transition (spring forward) maps to the transition instant itself, so a job set inside the
  /// gap runs when the clocks jump rather than not at all.
  std::int64_t from_civil(CivilSeconds c) const;

  /// Parses TZif bytes (tests use it with crafted data). Throws ConfigError when malformed.
  static std::shared_ptr<const TimeZone> from_tzif(const std::string& name,
                                                   const std::string& bytes);
  static std::shared_ptr<const TimeZone> fixed(const std::string& name, int offset);

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;  // ascending
  std::vector<int> transition_offsets_;    // offset in effect from transitions_[i]
  int initial_offset_ = 0;                 // before the first transition
  bool has_footer_ = false;
  PosixTz footer_;
};

}  // namespace resque::detail
