#pragma once
// Ruby's queue list semantics: literal names in priority order, glob patterns ("*", "mail_*")
// expanded from the `queues` set and sorted, "!pattern" exclusions, duplicates dropped.
#include <string>
#include <vector>

namespace resque::detail {
/// True when the list needs the `queues` set (a glob or an exclusion is present).
bool queues_are_dynamic(const std::vector<std::string>& patterns);
/// Expands `patterns` against `known` (the `queues` set).
std::vector<std::string> resolve_queues(const std::vector<std::string>& patterns,
                                        std::vector<std::string> known);
}  // namespace resque::detail
