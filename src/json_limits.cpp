#include "json_limits.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "resque/error.hpp"

namespace resque::detail {

namespace {
// Depth of `text` and the offset where it first went past `limit` (npos when it did not).
std::pair<std::size_t, std::size_t> scan(std::string_view text, std::size_t limit) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped byte cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit) return {deepest, i};
        }
        break;
      case ']':
      case '}':
        // Unbalanced text is the parser's to reject; never wrap around.
        if (depth > 0) --depth;
        break;
      default: break;
    }
  }
  return {deepest, std::string_view::npos};
}
}  // namespace

std::size_t json_text_depth(std::string_view text, std::size_t limit) {
  return scan(text, limit).first;
}

void check_json_limits(std::string_view text, std::size_t max_depth, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    throw EncodingError(
        fmt::format("JSON text of {} bytes is over the limit of {} bytes", text.size(), max_bytes));
  const auto [depth, at] = scan(text, max_depth);
  if (at != std::string_view::npos)
    throw EncodingError(fmt::format(
        "JSON nests deeper than {} levels (offset {}): refused before decoding", max_depth, at));
  (void)depth;
}

bool within_json_limits(std::string_view text, std::size_t max_depth, std::size_t max_bytes) {
  return text.size() <= max_bytes && scan(text, max_depth).second == std::string_view::npos;
}

void check_json_depth(const Json& value, std::size_t max_depth) {
  if (!value.is_structured()) return;
  std::vector<std::pair<const Json*, std::size_t>> stack{{&value, 1}};
  while (!stack.empty()) {
    const auto [v, depth] = stack.back();
    stack.pop_back();
    if (depth > max_depth)
      throw EncodingError(fmt::format("JSON value nests deeper than {} levels", max_depth));
    for (const auto& e : *v)
      if (e.is_structured()) stack.emplace_back(&e, depth + 1);
  }
}

std::string truncate_for_record(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t cut = max_bytes;
  // Back up over UTF-8 continuation bytes so a character is not split.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  std::string out(s.substr(0, cut));
  out += fmt::format("... ({} more bytes not kept)", s.size() - cut);
  return out;
}

}  // namespace resque::detail
