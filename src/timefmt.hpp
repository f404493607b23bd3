#pragma once
// The time formats of the protocol, each where the peers use it (see README, protocol notes).
#include <chrono>
#include <optional>
#include <string>

namespace resque::detail {
using TimePoint = std::chrono::system_clock::time_point;

/// failure "failed_at" / "retried_at": "YYYY/MM/DD HH:MM:SS ZZZ" (local time, %Z).
std::string ruby_failed_at(TimePoint t);
/// "worker:<id>:started": "YYYY-MM-DD HH:MM:SS +ZZZZ" (local time).
std::string ruby_started(TimePoint t);
/// worker status "run_at": "YYYY-MM-DDTHH:MM:SSZ" (UTC).
std::string iso_utc_z(TimePoint t);
/// "workers:heartbeat" value: "YYYY-MM-DDTHH:MM:SS+00:00" (UTC, numeric offset).
std::string iso_offset(TimePoint t);
/// Reads Ruby ISO-8601 ("…Z", "…+00:00"), Ruby Time#to_s and JS Date#toString forms.
std::optional<TimePoint> parse_time(const std::string& s);
}  // namespace resque::detail
