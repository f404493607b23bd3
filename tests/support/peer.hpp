#pragma once
// What every interop test does when its peer (node-resque, Ruby Resque) is not there: one rule
// for all of them, so no interop test fails for a missing peer outside CI and none passes by
// skipping in CI.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "resque/json.hpp"

namespace resque::test {

/// CI=true in the environment (what CI sets; .ci/run runs there).
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

/// The last line of `output` that is a JSON object (every driver script ends with one), or
/// null when there is none.
inline Json last_json_line(const std::string& output) {
  std::size_t end = output.size();
  while (end > 0) {
    std::size_t begin = output.rfind('\n', end - 1);
    begin = begin == std::string::npos ? 0 : begin + 1;
    const std::string line = output.substr(begin, end - begin);
    if (!line.empty() && line[0] == '{') {
      try {
        return decode_json(line);
      } catch (const std::exception&) {
        // a log line that starts with '{'; keep looking
      }
    }
    if (begin == 0) break;
    end = begin - 1;
  }
  return Json(nullptr);
}

}  // namespace resque::test

/// In a test body: when `missing` (an expression giving "" when the peer is ready, else what is
/// missing and the one-line recipe to get it) is not empty, the test fails when `required`
/// holds and is skipped, with that message, otherwise.
#define RESQUE_REQUIRE_PEER(missing, required)                                               \
  do {                                                                                       \
    const std::string resque_peer_missing_ = (missing);                                      \
    if (!resque_peer_missing_.empty()) {                                                     \
      if (required) GTEST_FAIL() << resque_peer_missing_ << " [required here: not skipped]"; \
      GTEST_SKIP() << resque_peer_missing_;                                                  \
    }                                                                                        \
  } while (0)
