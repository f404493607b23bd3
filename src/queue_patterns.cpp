#include "queue_patterns.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace resque::detail {
namespace {
bool is_glob(const std::string& p) {
  return p.find_first_of("*?[{") != std::string::npos;
}
bool matches(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}
}  // namespace

bool queues_are_dynamic(const std::vector<std::string>& patterns) {
  for (const auto& p : patterns)
    if (is_glob(p) || (!p.empty() && p[0] == '!')) return true;
  return false;
}

std::vector<std::string> resolve_queues(const std::vector<std::string>& patterns,
                                        std::vector<std::string> known) {
  std::sort(known.begin(), known.end());  // byte order, as Ruby sorts
  std::vector<std::string> out;
  auto add = [&](const std::string& q) {
    if (std::find(out.begin(), out.end(), q) == out.end()) out.push_back(q);
  };
  for (const auto& p : patterns) {
    if (p.empty() || p[0] == '!') continue;
    if (is_glob(p)) {
      for (const auto& q : known)
        if (matches(p, q)) add(q);
    } else {
      add(p);
    }
  }
  for (const auto& p : patterns) {
    if (p.empty() || p[0] != '!') continue;
    const std::string ex = p.substr(1);
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const std::string& q) { return matches(ex, q); }),
              out.end());
  }
  return out;
}
}  // namespace resque::detail
