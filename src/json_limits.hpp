#pragma once
// Bounds on JSON that comes from Redis (anyone who can write to it writes our input). nlohmann
// parses and frees without recursion, but copying, comparing, dumping and our encoder recurse
// once per nesting level: a 100,000-deep array would overflow the stack. Every decode checks
// these limits before a tree is built, so every tree in the process is at most
// kMaxJsonDepth deep and every recursive walk over it is bounded.
#include <cstddef>
#include <string>
#include <string_view>

#include "resque/json.hpp"

namespace resque::detail {

/// Deepest nesting of arrays and objects accepted: 512 (Ruby's JSON.parse stops at 100 by
/// default, node's JSON.parse has no limit but its stack ends near 10,000; 512 leaves room for
/// any real job while keeping the recursion of a walk over the tree under ~100 KB of stack).
inline constexpr std::size_t kMaxJsonDepth = 512;
/// Largest JSON text decoded: 512 MiB, Redis' own limit on one string (proto-max-bulk-len).
inline constexpr std::size_t kMaxJsonBytes = std::size_t{512} << 20;

/// Deepest nesting of `text`, counting brackets outside strings; stops counting (and returns
/// limit + 1) as soon as `limit` is passed. One pass, no recursion, never throws.
std::size_t json_text_depth(std::string_view text, std::size_t limit = kMaxJsonDepth);

/// Throws EncodingError when `text` is longer than `max_bytes` or nests deeper than
/// `max_depth`, naming the size or the offset of the bracket that went too deep.
void check_json_limits(std::string_view text, std::size_t max_depth = kMaxJsonDepth,
                       std::size_t max_bytes = kMaxJsonBytes);

/// True when `text` passes check_json_limits.
bool within_json_limits(std::string_view text, std::size_t max_depth = kMaxJsonDepth,
                        std::size_t max_bytes = kMaxJsonBytes);

/// Throws EncodingError when the tree `value` nests deeper than `max_depth` (a tree built in
/// this process by the caller, e.g. job arguments given to enqueue). Iterative.
void check_json_depth(const Json& value, std::size_t max_depth = kMaxJsonDepth);

/// `s` cut to at most `max_bytes` (at a UTF-8 boundary), with a note of how many bytes were
/// left out; `s` itself when short enough. For messages and failure records of huge input.
std::string truncate_for_record(std::string_view s, std::size_t max_bytes);

}  // namespace resque::detail
