#pragma once
// Human output of resque-cli (tables, readable times, terminal-safe text) and its --json output.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resque/json.hpp"

namespace resque::cli {

/// Left-aligned columns separated by two spaces; cells are made terminal-safe (control
/// characters escaped), so a hostile Redis cannot move the cursor or hide text.
struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  void add(std::vector<std::string> row) { rows.push_back(std::move(row)); }
  void print(std::ostream& out) const;
};

/// Control characters and invalid UTF-8 escaped as \xNN; text longer than `max` code points
/// (0 = no limit) cut with "...".
std::string safe_text(std::string_view text, std::size_t max = 0);
/// Compact JSON of a value, safe for a terminal and cut at `max` characters.
std::string brief_json(const Json& value, std::size_t max = 60);
/// "2026-11-30 10:56:27 UTC".
std::string utc_time(std::int64_t epoch);
/// "1h 02m", "3m 12s", "45s", "2d 03h".
std::string duration(std::int64_t seconds);
/// "2026-11-30 10:56:27 UTC (3m 12s ago)" or "(in 5s)", relative to `now`.
std::string time_and_age(std::int64_t epoch, std::int64_t now);
/// Times as the peers write them (ISO 8601, Ruby's "2026/11/28 06:46:46 UTC" and Time#to_s,
/// JavaScript's Date#toString, epoch seconds) to epoch seconds; nullopt when unreadable.
/// A time without a zone is read as UTC.
std::optional<std::int64_t> parse_time(std::string_view text);
/// parse_time of a Json string (or a number of epoch seconds / JavaScript milliseconds when
/// `millis`).
std::optional<std::int64_t> json_time(const Json& value, bool millis = false);

/// Prints `value` as one line of JSON (invalid UTF-8 replaced, never thrown on).
void print_json(std::ostream& out, const Json& value);

}  // namespace resque::cli
