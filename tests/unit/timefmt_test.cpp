// The wire time formats (src/timefmt.hpp): what Ruby and node write, and parsing them back.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "time/timefmt.hpp"

using namespace resque::detail;
using std::chrono::seconds;

namespace {

// 2026-11-28 06:46:46 UTC, the moment of Ruby fixture 04.
const TimePoint kT = TimePoint(seconds(1795848406));

// Sets TZ for one test and restores the previous value afterwards.
class ZoneGuard {
 public:
  explicit ZoneGuard(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old, had_ = true;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ZoneGuard() {
    if (had_)
      setenv("TZ", old_.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }

 private:
  std::string old_;
  bool had_ = false;
};

}  // namespace

TEST(TimeFormat, RubyFormatsInUtc) {
  ZoneGuard tz("UTC");
  EXPECT_EQ(ruby_failed_at(kT), "2026/11/28 06:46:46 UTC");
  EXPECT_EQ(ruby_started(kT), "2026-11-28 06:46:46 +0000");
  EXPECT_EQ(iso_utc_z(kT), "2026-11-28T06:46:46Z");
  EXPECT_EQ(iso_offset(kT), "2026-11-28T06:46:46+00:00");
}

TEST(TimeFormat, LocalZoneIsUsedWhereRubyUsesLocalTime) {
  // A POSIX zone string needs no tzdata: CET is UTC+1 in November.
  ZoneGuard tz("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(ruby_failed_at(kT), "2026/11/28 07:46:46 CET");
  EXPECT_EQ(ruby_started(kT), "2026-11-28 07:46:46 +0100");
  EXPECT_EQ(iso_offset(kT), "2026-11-28T07:46:46+01:00");
  // run_at is always UTC.
  EXPECT_EQ(iso_utc_z(kT), "2026-11-28T06:46:46Z");
}

TEST(TimeFormat, NegativeOffsetAndFractionsFloor) {
  ZoneGuard tz("<-0330>3:30");
  const TimePoint t = kT + std::chrono::milliseconds(999);
  EXPECT_EQ(iso_offset(t), "2026-11-28T03:16:46-03:30");
  EXPECT_EQ(ruby_started(t), "2026-11-28 03:16:46 -0330");
  EXPECT_EQ(iso_utc_z(t), "2026-11-28T06:46:46Z");
}

TEST(TimeFormat, TzdataZoneInSummerAndInstantsBeforeTheEpoch) {
  ZoneGuard tz("Europe/Lisbon");
  const TimePoint summer = TimePoint(seconds(1784116800));  // 2026-07-15 12:00:00 UTC
  EXPECT_EQ(ruby_failed_at(summer), "2026/07/15 13:00:00 WEST");
  EXPECT_EQ(ruby_started(summer), "2026-07-15 13:00:00 +0100");
  EXPECT_EQ(iso_offset(summer), "2026-07-15T13:00:00+01:00");
  EXPECT_EQ(iso_utc_z(summer), "2026-07-15T12:00:00Z");
  // 1.5 s before the epoch is second -2 (floor), not -1.
  EXPECT_EQ(iso_utc_z(TimePoint(std::chrono::milliseconds(-1500))), "1969-12-31T23:59:58Z");
}

TEST(TimeFormat, SameTextAsStrftimeWhichRubyUses) {
  // Ruby's Time#strftime and Time#to_s print what C's strftime prints for the local zone.
  auto c_format = [](TimePoint tp, const char* f, bool local) {
    const std::time_t t = std::chrono::floor<seconds>(tp.time_since_epoch()).count();
    std::tm tm{};
    if (local)
      localtime_r(&t, &tm);
    else
      gmtime_r(&t, &tm);
    char buf[64];
    return std::string(buf, std::strftime(buf, sizeof buf, f, &tm));
  };
  for (const char* zone : {"UTC", "Europe/Lisbon", "America/New_York", "Asia/Kolkata",
                           "Australia/Lord_Howe", "CET-1CEST,M3.5.0,M10.5.0/3", "<-0330>3:30"}) {
    ZoneGuard tz(zone);
    // Every 7 h 13 min 17.25 s across two years: both DST changes, all hours and weekdays.
    for (auto t = kT - std::chrono::hours(24 * 365); t < kT + std::chrono::hours(24 * 365);
         t += std::chrono::milliseconds(26'997'250)) {
      ASSERT_EQ(ruby_failed_at(t), c_format(t, "%Y/%m/%d %H:%M:%S %Z", true)) << zone;
      ASSERT_EQ(ruby_started(t), c_format(t, "%Y-%m-%d %H:%M:%S %z", true)) << zone;
      ASSERT_EQ(iso_utc_z(t), c_format(t, "%Y-%m-%dT%H:%M:%SZ", false)) << zone;
      std::string z = c_format(t, "%z", true);
      ASSERT_EQ(iso_offset(t), c_format(t, "%Y-%m-%dT%H:%M:%S", true) + z.insert(3, ":")) << zone;
      ASSERT_EQ(parse_time(ruby_started(t)), std::chrono::floor<seconds>(t)) << zone;
    }
  }
}

TEST(TimeParse, RubyAndIsoForms) {
  ZoneGuard tz("UTC");
  EXPECT_EQ(parse_time("2026-11-28T06:46:46Z"), kT);
  EXPECT_EQ(parse_time("2026-11-28T06:46:46+00:00"), kT);
  EXPECT_EQ(parse_time("2026-11-28T07:46:46+01:00"), kT);
  EXPECT_EQ(parse_time("2026-11-28T03:16:46-0330"), kT);
  EXPECT_EQ(parse_time("2026-11-28 06:46:46 +0000"), kT);
  EXPECT_EQ(parse_time("2026-11-28 08:46:46 +0200"), kT);
  EXPECT_EQ(parse_time("2026/11/28 06:46:46 UTC"), kT);
  EXPECT_EQ(parse_time("2026/11/28 06:46:46 GMT"), kT);
  EXPECT_EQ(parse_time("  2026-11-28T06:46:46Z\n"), kT);
  EXPECT_EQ(parse_time("2026-11-28T06:46:46.250Z"), kT + std::chrono::milliseconds(250));
}

TEST(TimeParse, JavaScriptDateToString) {
  ZoneGuard tz("UTC");
  EXPECT_EQ(parse_time("Sat Nov 28 2026 06:46:46 GMT+0000 (Coordinated Universal Time)"), kT);
  EXPECT_EQ(parse_time("Sat Nov 28 2026 07:46:46 GMT+0100 (Central European Standard Time)"), kT);
  EXPECT_EQ(parse_time("Fri Nov 27 2026 22:46:46 GMT-0800 (Pacific Standard Time)"), kT);
  EXPECT_EQ(parse_time("Sat Nov 28 2026 06:46:46 GMT+0000"), kT);
}

TEST(TimeParse, LocalTimeWhenNoZoneOrTheLocalAbbreviation) {
  ZoneGuard tz("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(parse_time("2026/11/28 07:46:46 CET"), kT);
  EXPECT_EQ(parse_time("2026-11-28 07:46:46"), kT);
  // A zone abbreviation that is not ours cannot be resolved.
  EXPECT_EQ(parse_time("2026/11/28 07:46:46 PST"), std::nullopt);
}

TEST(TimeParse, EpochSeconds) {
  EXPECT_EQ(parse_time("1795848406"), kT);
  EXPECT_EQ(parse_time("0"), TimePoint(seconds(0)));
}

TEST(TimeParse, RoundTripsItsOwnFormats) {
  for (const char* zone : {"UTC", "CET-1CEST,M3.5.0,M10.5.0/3", "<-0330>3:30"}) {
    ZoneGuard tz(zone);
    EXPECT_EQ(parse_time(ruby_failed_at(kT)), kT) << zone;
    EXPECT_EQ(parse_time(ruby_started(kT)), kT) << zone;
    EXPECT_EQ(parse_time(iso_utc_z(kT)), kT) << zone;
    EXPECT_EQ(parse_time(iso_offset(kT)), kT) << zone;
  }
}

TEST(TimeParse, RejectsGarbage) {
  for (const char* bad :
       {"", "   ", "garbage", "2026-13-28T06:46:46Z", "2026-11-28T25:46:46Z", "2026-11-28",
        "2026-11-28T06:46Z", "2026-11-28T06:46:46Zjunk", "Sat Foo 28 2026 06:46:46 GMT+0000",
        "Sat Nov 28 2026 06:46:46 GMT+0000 (unterminated", "12345678901234567890", "-5",
        "2026-11-28T06:46:46+25:00"}) {
    EXPECT_EQ(parse_time(bad), std::nullopt) << bad;
  }
}
