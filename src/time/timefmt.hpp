#pragma once
// Time formats of the wire protocol, in one place so every part writes them alike:
//   ruby_failed_at  "2026/11/28 06:46:46 UTC"     failure failed_at / retried_at (local, %Z)
//   node_failed_at  "2026/11/28 06:46:46"         node Retry's failed_at (local, no zone)
//   ruby_started    "2026-11-28 06:46:50 +0000"   worker:<id>:started (Ruby Time#to_s, local)
//   iso_utc_z       "2026-11-28T06:46:50Z"        worker status run_at (UTC)
//   iso_offset      "2026-11-28T06:46:50+00:00"   workers:heartbeat (local, numeric offset)
// and one tolerant parser for everything the peers write. All functions are thread-safe
// (localtime_r / gmtime_r; the zone is read once per process, as the C library does).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace resque::detail {

using TimePoint = std::chrono::system_clock::time_point;

std::string ruby_failed_at(TimePoint tp);
std::string node_failed_at(TimePoint tp);
std::string ruby_started(TimePoint tp);
std::string iso_utc_z(TimePoint tp);
std::string iso_offset(TimePoint tp);

/// Parses, to whole seconds (fractions kept when given):
///  - ISO 8601: "2026-11-28T06:46:50Z", "...T06:46:50.123Z", "...+00:00", "...+0000"
///    (also with a space instead of 'T');
///  - Ruby Time#to_s: "2026-11-28 06:46:50 +0000";
///  - Ruby failed_at: "2026/11/28 06:46:46 UTC" (zone UTC/GMT/Z, a numeric offset, or the local
///    zone's abbreviation; no zone = local time);
///  - JavaScript Date#toString: "Sat Nov 28 2026 06:42:59 GMT+0000 (Coordinated Universal Time)";
///  - epoch seconds as a decimal integer (node's worker:<id>:started).
/// Returns nullopt for anything else.
std::optional<TimePoint> parse_time(std::string_view text);

}  // namespace resque::detail
