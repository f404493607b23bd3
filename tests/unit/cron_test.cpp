// Cron parsing, next-fire computation (UTC and named zones across DST changes), zone names as
// cron and SchedulerOptions give them (resolved through cctz), and "every" durations. No Redis.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "resque/error.hpp"
#include "time/cron.hpp"

using namespace resque;
using namespace resque::detail;

namespace {

using Instant = cctz::time_point<cctz::seconds>;

// "YYYY-MM-DD HH:MM:SS" (UTC) -> epoch seconds.
std::int64_t utc(const char* s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  EXPECT_EQ(std::sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &sec), 6);
  return cctz::convert(cctz::civil_second(y, mo, d, h, mi, sec), cctz::utc_time_zone())
      .time_since_epoch()
      .count();
}

std::string show(std::int64_t u) {
  return cctz::format("%Y-%m-%d %H:%M:%S", Instant(cctz::seconds(u)), cctz::utc_time_zone());
}

// Seconds east of UTC in effect in `zone` at the UTC time `at`.
int offset_at(const cctz::time_zone& zone, const char* at) {
  return zone.lookup(Instant(cctz::seconds(utc(at)))).offset;
}

// The instant cron fires for the wall-clock time `local` in `zone` (see CronExpr::next_after).
std::string fire_instant(const cctz::time_zone& zone, const char* local) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  EXPECT_EQ(std::sscanf(local, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &sec), 6);
  return show(
      cctz::convert(cctz::civil_second(y, mo, d, h, mi, sec), zone).time_since_epoch().count());
}

// Sets TZ for one test and restores the previous value afterwards.
class ZoneGuard {
 public:
  explicit ZoneGuard(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old, had_ = true;
    setenv("TZ", tz, 1);
  }
  ~ZoneGuard() {
    if (had_)
      setenv("TZ", old_.c_str(), 1);
    else
      unsetenv("TZ");
  }

 private:
  std::string old_;
  bool had_ = false;
};

std::string next(const std::string& expr, const char* after, const std::string& zone = "UTC") {
  auto n = CronExpr::parse(expr, zone).next_after(utc(after));
  return n ? show(*n) : "never";
}

}  // namespace

TEST(Civil, TheTestHelpersRoundTrip) {
  // The helpers below every expectation in this file: epoch <-> UTC wall clock.
  EXPECT_EQ(utc("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(utc("2026-11-28 06:46:50"), 1795848410);
  EXPECT_EQ(show(1900000000), "2030-03-17 17:46:40");
  EXPECT_EQ(show(-1), "1969-12-31 23:59:59");
}

TEST(Cron, FiveFieldsInUtc) {
  EXPECT_EQ(next("0 3 * * *", "2026-11-28 06:46:50"), "2026-11-29 03:00:00");
  EXPECT_EQ(next("0 3 * * *", "2026-11-28 02:59:59"), "2026-11-28 03:00:00");
  // Strictly after: an instant that matches is not its own next fire.
  EXPECT_EQ(next("0 3 * * *", "2026-11-28 03:00:00"), "2026-11-29 03:00:00");
  EXPECT_EQ(next("* * * * *", "2026-11-28 06:46:50"), "2026-11-28 06:47:00");
  EXPECT_EQ(next("*/15 * * * *", "2026-11-28 06:46:50"), "2026-11-28 07:00:00");
  EXPECT_EQ(next("5,35 9-17 * * MON-FRI", "2026-11-28 06:46:50"), "2026-11-30 09:05:00");
  EXPECT_EQ(next("0 0 1 JAN *", "2026-11-28 06:46:50"), "2027-01-01 00:00:00");
  EXPECT_EQ(next("0 12 * feb,Mar sun", "2026-11-28 06:46:50"), "2027-02-07 12:00:00");
  EXPECT_EQ(next("10-40/10 * * * *", "2026-11-28 06:46:50"), "2026-11-28 07:10:00");
  EXPECT_EQ(next("30/10 * * * *", "2026-11-28 06:51:00"), "2026-11-28 07:30:00");
  EXPECT_EQ(next("0 22-2 * * *", "2026-11-28 23:30:00"), "2026-11-29 00:00:00");
  EXPECT_EQ(next("0 0 * * 7", "2026-11-28 06:46:50"), "2026-11-29 00:00:00");  // 7 = Sunday
  EXPECT_EQ(next("0 0 * * FRI-MON", "2026-11-24 12:00:00"), "2026-11-27 00:00:00");
}

TEST(Cron, SixFieldsHaveSecondsFirst) {
  EXPECT_EQ(next("*/20 * * * * *", "2026-11-28 06:46:50"), "2026-11-28 06:47:00");
  EXPECT_EQ(next("15 30 4 * * *", "2026-11-28 06:46:50"), "2026-11-29 04:30:15");
  EXPECT_EQ(next("* * * * * *", "2026-11-28 06:46:50"), "2026-11-28 06:46:51");
}

TEST(Cron, DayOfMonthAndWeekCombineLikeVixie) {
  // Both restricted: either matches (the 13th, or any Friday).
  EXPECT_EQ(next("0 0 13 * FRI", "2026-11-28 06:46:50"), "2026-12-04 00:00:00");
  EXPECT_EQ(next("0 0 13 * FRI", "2026-12-05 00:00:00"), "2026-12-11 00:00:00");
  EXPECT_EQ(next("0 0 13 * FRI", "2026-12-11 00:00:00"), "2026-12-13 00:00:00");
  // One starts with '*': both must match (odd days that are Mondays).
  EXPECT_EQ(next("0 0 */2 * 1", "2026-11-28 06:46:50"), "2026-12-07 00:00:00");
}

TEST(Cron, LastDayAndNthWeekday) {
  EXPECT_EQ(next("0 0 L * *", "2026-02-01 00:00:00"), "2026-02-28 00:00:00");
  EXPECT_EQ(next("0 0 L * *", "2028-02-01 00:00:00"), "2028-02-29 00:00:00");
  EXPECT_EQ(next("0 9 * * MON#2", "2026-11-28 06:46:50"), "2026-12-14 09:00:00");
  EXPECT_EQ(next("0 9 * * 5L", "2026-11-28 06:46:50"), "2026-12-25 09:00:00");
}

TEST(Cron, Aliases) {
  EXPECT_EQ(next("@hourly", "2026-11-28 06:46:50"), "2026-11-28 07:00:00");
  EXPECT_EQ(next("@daily", "2026-11-28 06:46:50"), "2026-11-29 00:00:00");
  EXPECT_EQ(next("@midnight", "2026-11-28 06:46:50"), "2026-11-29 00:00:00");
  EXPECT_EQ(next("@weekly", "2026-11-28 06:46:50"), "2026-11-29 00:00:00");
  EXPECT_EQ(next("@monthly", "2026-11-28 06:46:50"), "2026-12-01 00:00:00");
  EXPECT_EQ(next("@yearly", "2026-11-28 06:46:50"), "2027-01-01 00:00:00");
  EXPECT_EQ(next("@annually", "2026-11-28 06:46:50"), "2027-01-01 00:00:00");
}

TEST(Cron, RejectsBadExpressionsNamingTheField) {
  auto message = [](const std::string& e) -> std::string {
    try {
      CronExpr::parse(e, "UTC");
    } catch (const ConfigError& err) {
      return err.what();
    }
    return "accepted";
  };
  EXPECT_NE(message("60 * * * *").find("minute field '60' is out of range 0-59"),
            std::string::npos);
  EXPECT_NE(message("* 24 * * *").find("hour field"), std::string::npos);
  EXPECT_NE(message("* * 0 * *").find("day of month field"), std::string::npos);
  EXPECT_NE(message("* * * 13 *").find("month field"), std::string::npos);
  EXPECT_NE(message("* * * * FOO").find("day of week field 'FOO' has an unknown value"),
            std::string::npos);
  EXPECT_NE(message("* * * *").find("has 4 fields"), std::string::npos);
  EXPECT_NE(message("*/0 * * * *").find("step"), std::string::npos);
  EXPECT_NE(message("1,,2 * * * *").find("empty"), std::string::npos);
  EXPECT_NE(message("0 0 30 2 *").find("never fires"), std::string::npos);
  EXPECT_NE(message("@reboot").find("unknown alias"), std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message("0 3 * * * Mars/Olympus_Mons").find("unknown time zone"), std::string::npos);
}

TEST(TimeZone, LisbonFromTzdataIncludingTheFooterRule) {
  const auto z = time_zone_named("Europe/Lisbon");
  EXPECT_EQ(offset_at(z, "2026-01-15 12:00:00"), 0);
  EXPECT_EQ(offset_at(z, "2026-07-15 12:00:00"), 3600);
  EXPECT_EQ(offset_at(z, "2026-03-29 00:59:59"), 0);
  EXPECT_EQ(offset_at(z, "2026-03-29 01:00:00"), 3600);
  EXPECT_EQ(offset_at(z, "2026-10-25 00:59:59"), 3600);
  EXPECT_EQ(offset_at(z, "2026-10-25 01:00:00"), 0);
  // Far beyond any table: only the POSIX footer knows.
  EXPECT_EQ(offset_at(z, "2100-07-01 00:00:00"), 3600);
  EXPECT_EQ(offset_at(z, "2100-12-01 00:00:00"), 0);
  // Lisbon was on CET (+1) in 1992-1996.
  EXPECT_EQ(offset_at(z, "1993-01-15 12:00:00"), 3600);
}

TEST(TimeZone, WallClockToInstantAcrossGapsAndOverlaps) {
  const auto z = time_zone_named("Europe/Lisbon");
  // 01:30 does not exist on 2026-03-29: it maps to the jump, 01:00 UTC.
  EXPECT_EQ(fire_instant(z, "2026-03-29 01:30:00"), "2026-03-29 01:00:00");
  EXPECT_EQ(fire_instant(z, "2026-03-29 02:00:00"), "2026-03-29 01:00:00");
  // 01:30 happens twice on 2026-10-25: the first one (WEST, 00:30 UTC).
  EXPECT_EQ(fire_instant(z, "2026-10-25 01:30:00"), "2026-10-25 00:30:00");
  EXPECT_EQ(fire_instant(z, "2026-10-25 02:00:00"), "2026-10-25 02:00:00");
}

TEST(TimeZone, NamesFixedOffsetsAndErrors) {
  EXPECT_EQ(offset_at(time_zone_named("+05:30"), "2026-01-01 00:00:00"), 5 * 3600 + 1800);
  EXPECT_EQ(offset_at(time_zone_named("-0800"), "2026-01-01 00:00:00"), -8 * 3600);
  EXPECT_EQ(offset_at(time_zone_named("+05"), "2026-01-01 00:00:00"), 5 * 3600);
  for (const char* name : {"UTC", "Etc/UTC", "GMT", "Z", "Zulu", "UCT", "Universal"})
    EXPECT_EQ(offset_at(time_zone_named(name), "2026-07-01 00:00:00"), 0) << name;
  EXPECT_EQ(offset_at(time_zone_named("America/New_York"), "2026-01-15 12:00:00"), -5 * 3600);
  // Southern hemisphere: DST spans the new year.
  EXPECT_EQ(offset_at(time_zone_named("Australia/Sydney"), "2026-01-15 00:00:00"), 11 * 3600);
  EXPECT_EQ(offset_at(time_zone_named("Australia/Sydney"), "2026-07-15 00:00:00"), 10 * 3600);
  EXPECT_THROW(time_zone_named("../../etc/passwd"), ConfigError);
  EXPECT_THROW(time_zone_named("/etc/passwd"), ConfigError);
  EXPECT_THROW(time_zone_named("No/Such_Zone"), ConfigError);
  EXPECT_THROW(time_zone_named("+25:00"), ConfigError);
  // A file in the zoneinfo directory that is not TZif data.
  EXPECT_THROW(time_zone_named("zone1970.tab"), ConfigError);
}

TEST(TimeZone, EmptyNameIsTheProcessLocalZone) {
  {
    ZoneGuard tz("America/New_York");
    EXPECT_EQ(offset_at(time_zone_named(""), "2026-07-15 12:00:00"), -4 * 3600);
    EXPECT_EQ(next("0 3 * * *", "2026-07-01 00:00:00", ""), "2026-07-01 07:00:00");
  }
  {
    ZoneGuard tz(":Europe/Lisbon");
    EXPECT_EQ(next("0 3 * * *", "2026-07-01 00:00:00", ""), "2026-07-01 02:00:00");
  }
  {
    // Junk (and POSIX rule strings, which cctz does not read) fall back to UTC, as glibc does
    // for junk.
    ZoneGuard tz("Not/A_Zone");
    EXPECT_EQ(next("0 3 * * *", "2026-07-01 00:00:00", ""), "2026-07-01 03:00:00");
  }
}

TEST(Cron, NamedZoneAcrossSpringForward) {
  // 03:00 Lisbon time: 03:00 UTC in winter, 02:00 UTC in summer.
  EXPECT_EQ(next("0 3 * * *", "2026-03-28 12:00:00", "Europe/Lisbon"), "2026-03-29 02:00:00");
  EXPECT_EQ(next("0 3 * * *", "2026-03-27 12:00:00", "Europe/Lisbon"), "2026-03-28 03:00:00");
  // 01:30 does not exist on the 29th: fired when the clocks jump, once.
  EXPECT_EQ(next("30 1 * * *", "2026-03-28 12:00:00", "Europe/Lisbon"), "2026-03-29 01:00:00");
  EXPECT_EQ(next("30 1 * * *", "2026-03-29 01:00:00", "Europe/Lisbon"), "2026-03-30 00:30:00");
  EXPECT_EQ(next("*/15 1 * * *", "2026-03-29 00:50:00", "Europe/Lisbon"), "2026-03-29 01:00:00");
  EXPECT_EQ(next("*/15 1 * * *", "2026-03-29 01:00:00", "Europe/Lisbon"), "2026-03-30 00:00:00");
  // Hourly keeps going through the change.
  EXPECT_EQ(next("0 * * * *", "2026-03-29 00:30:00", "Europe/Lisbon"), "2026-03-29 01:00:00");
  EXPECT_EQ(next("0 * * * *", "2026-03-29 01:00:00", "Europe/Lisbon"), "2026-03-29 02:00:00");
}

TEST(Cron, NamedZoneAcrossFallBack) {
  // 01:30 Lisbon happens twice on 2026-10-25: fired at the first only.
  EXPECT_EQ(next("30 1 * * *", "2026-10-24 12:00:00", "Europe/Lisbon"), "2026-10-25 00:30:00");
  EXPECT_EQ(next("30 1 * * *", "2026-10-25 00:30:00", "Europe/Lisbon"), "2026-10-26 01:30:00");
  // During the repeated hour nothing inside it fires again.
  EXPECT_EQ(next("*/30 * * * *", "2026-10-25 00:45:00", "Europe/Lisbon"), "2026-10-25 02:00:00");
  EXPECT_EQ(next("0 3 * * *", "2026-10-24 12:00:00", "Europe/Lisbon"), "2026-10-25 03:00:00");
}

TEST(Cron, ZoneInTheExpressionWinsOverTheDefault) {
  EXPECT_EQ(next("0 3 * * * Europe/Lisbon", "2026-07-01 00:00:00", "UTC"), "2026-07-01 02:00:00");
  EXPECT_EQ(next("0 3 * * * America/New_York", "2026-07-01 00:00:00", "UTC"),
            "2026-07-01 07:00:00");
  EXPECT_EQ(next("0 0 3 * * * Europe/Lisbon", "2026-07-01 00:00:00", "UTC"), "2026-07-01 02:00:00");
  EXPECT_EQ(next("@daily Europe/Lisbon", "2026-07-01 00:00:00", "UTC"), "2026-07-01 23:00:00");
  EXPECT_EQ(next("0 3 * * * +02:00", "2026-07-01 00:00:00", "UTC"), "2026-07-01 01:00:00");
  // New York: 02:30 is skipped on 2026-03-08; it fires at the jump (07:00 UTC).
  EXPECT_EQ(next("30 2 * * * America/New_York", "2026-03-08 00:00:00", "UTC"),
            "2026-03-08 07:00:00");
}

TEST(Cron, EveryWeekdayNameIsItsDay) {
  // From Saturday 2026-11-28: each name's next midnight is its own day of the coming week.
  const char* names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
  const char* days[] = {"2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02",
                        "2026-12-03", "2026-12-04", "2026-12-05"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(next(std::string("0 0 * * ") + names[i], "2026-11-28 06:46:50"),
              std::string(days[i]) + " 00:00:00")
        << names[i];
    EXPECT_EQ(next("0 0 * * " + std::to_string(i), "2026-11-28 06:46:50"),
              std::string(days[i]) + " 00:00:00")
        << i;
  }
}

TEST(Cron, MonthAndYearBoundariesAndLeapDays) {
  EXPECT_EQ(next("0 0 29 2 *", "2026-11-28 06:46:50"), "2028-02-29 00:00:00");
  EXPECT_EQ(next("59 23 31 12 *", "2026-12-31 23:59:00"), "2027-12-31 23:59:00");
  EXPECT_EQ(next("0 0 31 * *", "2026-11-28 06:46:50"), "2026-12-31 00:00:00");
  EXPECT_EQ(next("0 0 L 2 *", "2099-03-01 00:00:00"), "2100-02-28 00:00:00");
}

TEST(Cron, ZoneRulesBeyondTheTablesAndInTheSouth) {
  // After 2037 the zone file's POSIX footer decides: Lisbon is on WEST in July 2100.
  EXPECT_EQ(next("0 3 * * *", "2100-07-01 00:00:00", "Europe/Lisbon"), "2100-07-01 02:00:00");
  // Sydney springs forward at 02:00 on 2026-10-04 (16:00 UTC the day before): 02:30 fires at
  // the jump, and the day after at 02:30 AEDT.
  EXPECT_EQ(next("30 2 * * *", "2026-10-03 00:00:00", "Australia/Sydney"), "2026-10-03 16:00:00");
  EXPECT_EQ(next("30 2 * * *", "2026-10-03 16:00:00", "Australia/Sydney"), "2026-10-04 15:30:00");
}

TEST(Every, ParsesRufusDurations) {
  EXPECT_EQ(parse_every_seconds("30s"), 30);
  EXPECT_EQ(parse_every_seconds("15m"), 900);
  EXPECT_EQ(parse_every_seconds("1h30m"), 5400);
  EXPECT_EQ(parse_every_seconds("2d"), 172800);
  EXPECT_EQ(parse_every_seconds("1w"), 604800);
  EXPECT_EQ(parse_every_seconds("1M"), 30 * 86400);
  EXPECT_EQ(parse_every_seconds("1y"), 365 * 86400);
  EXPECT_EQ(parse_every_seconds("1.5h"), 5400);
  EXPECT_EQ(parse_every_seconds("15 minutes"), 900);
  EXPECT_EQ(parse_every_seconds("15mins"), 900);
  EXPECT_EQ(parse_every_seconds("2 hours 5s"), 7205);
  EXPECT_EQ(parse_every_seconds("45"), 45);
  EXPECT_EQ(parse_every_seconds("1500ms"), 2);
  EXPECT_THROW(parse_every_seconds(""), ConfigError);
  EXPECT_THROW(parse_every_seconds("soon"), ConfigError);
  EXPECT_THROW(parse_every_seconds("10 parsecs"), ConfigError);
  EXPECT_THROW(parse_every_seconds("0s"), ConfigError);
  EXPECT_THROW(parse_every_seconds("5 5"), ConfigError);
}
