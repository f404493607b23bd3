#include "resque/json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "json_limits.hpp"
#include "resque/error.hpp"

namespace resque {

namespace {
// The shortest digits that read back as |v| (no point), the sign ("-" or ""), and n, the
// position of the decimal point relative to those digits: v = 0.<digits> * 10^n, signed.
struct ShortestDigits {
  std::string sign;
  std::string digits;
  int n;
};
ShortestDigits shortest_digits(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  ShortestDigits d;
  if (sci[0] == '-') {
    d.sign = "-";
    sci.erase(0, 1);
  }
  const auto e = sci.find('e');
  d.digits = sci.substr(0, e);
  d.digits.erase(std::remove(d.digits.begin(), d.digits.end(), '.'), d.digits.end());
  d.n = std::stoi(sci.substr(e + 1)) + 1;
  return d;
}
}  // namespace

std::string js_number(double v) {
  if (v == 0) return "0";  // also -0, which JSON.stringify prints as 0
  // Shortest round-trip digits, then laid out by ECMAScript's Number::toString rules.
  auto [out, digits, n] = shortest_digits(v);
  const int k = static_cast<int>(digits.size());
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1 >= 0) ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string ruby_number(double v) {
  // Ruby's flo_to_s: shortest round-trip digits; fixed notation while the number has a fraction
  // part within 16 integer digits or is whole with at most 15 (DBL_DIG) digits, or when it is
  // at least 0.0001; otherwise d.ddde+XX with at least two exponent digits. Always a '.'.
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  auto [out, digits, n] = shortest_digits(v);
  const int k = static_cast<int>(digits.size());
  if (n > 0 && n < k) {
    out += digits.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += digits.substr(static_cast<std::size_t>(n));
  } else if (n > 0 && n <= 15) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
    out += ".0";
  } else if (n <= 0 && n > -4) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    out += '.';
    out += k > 1 ? digits.substr(1) : std::string("0");
    out += fmt::format("e{:+03d}", n - 1);
  }
  return out;
}

bool is_big_integer(const Json& v) {
  return v.is_binary() && v.get_binary().has_subtype() &&
         v.get_binary().subtype() == kBigIntegerSubtype;
}

std::string big_integer_text(const Json& v) {
  if (!is_big_integer(v)) return {};
  const auto& b = v.get_binary();
  return std::string(b.begin(), b.end());
}

namespace {
bool integer_literal(std::string_view s) {
  const std::size_t start = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (s.size() == start) return false;
  for (std::size_t i = start; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}
}  // namespace

Json big_integer(std::string_view digits) {
  if (!integer_literal(digits))
    throw EncodingError(fmt::format("'{}' is not an integer", to_valid_utf8(digits)));
  return Json::binary(Json::binary_t::container_type(digits.begin(), digits.end()),
                      kBigIntegerSubtype);
}

namespace {

// Returns the length of the valid UTF-8 sequence at s[i], or 0 when it is not valid.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t j) {
    return j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80;
  };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xE0 && c1 < 0xA0) return 0;   // overlong
    if (c == 0xED && c1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c == 0xF0 && c1 < 0x90) return 0;
    if (c == 0xF4 && c1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

// Bytes written as they are: printable ASCII but '"' and '\\'.
bool plain_byte(unsigned char c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

// The end of the run of plain bytes from `i`: eight at a time while a word holds no byte
// below 0x20, none from 0x80, no '"' and no '\\' (bit tricks, no branch per byte).
std::size_t plain_run(std::string_view s, std::size_t i) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
  while (i + 8 <= s.size()) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & highs) != 0 || ((w - 0x20 * ones) & ~w & highs) != 0 || has_zero(w ^ (ones * '"')) ||
        has_zero(w ^ (ones * '\\')))
      break;
    i += 8;
  }
  while (i < s.size() && plain_byte(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

void write_string(std::string& out, std::string_view s, const std::string& path) {
  // For a long string, room for what usually follows (the closing brackets, a few fields): an
  // exact reservation made the next append copy a 1 MB payload once more.
  out.reserve(out.size() + s.size() + 2 + (s.size() >= 4096 ? 256 : 0));
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    // A run of plain bytes in one append (a 1 MB argument went byte by byte).
    std::size_t j = plain_run(s, i);
    if (j != i) {
      out.append(s.data() + i, j - i);
      i = j;
      if (i == s.size()) break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_len(s, i);
      if (n == 0)
        throw EncodingError(
            fmt::format("{} is not valid UTF-8 (byte 0x{:02x} at offset {})", path, c, i));
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20)
          out += fmt::format("\\u{:04x}", c);
        else
          out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

// JavaScript's array-index keys: "0" or [1-9][0-9]* below 2^32-1. Objects list them first, in
// ascending order, before the other keys (ECMAScript OrdinaryOwnPropertyKeys), and
// JSON.stringify follows that order.
bool array_index(const std::string& k, std::uint32_t& index) {
  if (k.empty() || k.size() > 10 || (k[0] == '0' && k.size() > 1)) return false;
  std::uint64_t n = 0;
  for (const char c : k) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n >= 0xFFFFFFFFull) return false;
  index = static_cast<std::uint32_t>(n);
  return true;
}

void write(std::string& out, const Json& v, const std::string& path, Dialect dialect);

void write_member(std::string& out, bool& first, const std::string& k, const Json& e,
                  const std::string& path, Dialect dialect) {
  if (!first) out += ',';
  first = false;
  write_string(out, k, path + " key");
  out += ':';
  write(out, e, path + "." + k, dialect);
}

void write(std::string& out, const Json& v, const std::string& path, Dialect dialect) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
    case Json::value_t::number_integer: out += std::to_string(v.get<std::int64_t>()); break;
    case Json::value_t::number_unsigned: out += std::to_string(v.get<std::uint64_t>()); break;
    case Json::value_t::number_float: {
      const double x = v.get<double>();
      if (!std::isfinite(x))
        throw EncodingError(fmt::format("{} is {}: JSON has no such number", path,
                                        std::isnan(x) ? "NaN" : "infinite"));
      out += dialect == Dialect::ruby ? ruby_number(x) : js_number(x);
      break;
    }
    case Json::value_t::string: write_string(out, v.get_ref<const std::string&>(), path); break;
    case Json::value_t::array: {
      out += '[';
      std::size_t i = 0;
      for (const auto& e : v) {
        if (i) out += ',';
        write(out, e, fmt::format("{}[{}]", path, i), dialect);
        ++i;
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      if (dialect == Dialect::ruby) {  // a Ruby Hash keeps plain insertion order
        for (auto it = v.begin(); it != v.end(); ++it)
          write_member(out, first, it.key(), it.value(), path, dialect);
        out += '}';
        break;
      }
      std::vector<std::pair<std::uint32_t, Json::const_iterator>> indexed;
      for (auto it = v.begin(); it != v.end(); ++it) {
        std::uint32_t index = 0;
        if (array_index(it.key(), index)) indexed.emplace_back(index, it);
      }
      std::sort(indexed.begin(), indexed.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [index, it] : indexed)
        write_member(out, first, it.key(), it.value(), path, dialect);
      for (auto it = v.begin(); it != v.end(); ++it) {
        std::uint32_t index = 0;
        if (!array_index(it.key(), index))
          write_member(out, first, it.key(), it.value(), path, dialect);
      }
      out += '}';
      break;
    }
    case Json::value_t::binary:
      if (is_big_integer(v)) {
        out += big_integer_text(v);
        break;
      }
      throw EncodingError(fmt::format("{} cannot be represented in JSON", path));
    case Json::value_t::discarded:
      throw EncodingError(fmt::format("{} cannot be represented in JSON", path));
  }
}

// nlohmann's DOM builder, except that an integer literal nlohmann had to read as a double (it
// fits neither int64 nor uint64) is kept as a big integer with its exact digits.
class BigIntegerSax : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  explicit BigIntegerSax(Json& out) : json_sax_dom_parser(out, true) {}
  bool number_float(double value, const std::string& text) {
    if (integer_literal(text)) {
      Json::binary_t b(Json::binary_t::container_type(text.begin(), text.end()),
                       kBigIntegerSubtype);
      return binary(b);
    }
    return json_sax_dom_parser::number_float(value, text);
  }
};

}  // namespace

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string encode_json(const Json& value, Dialect dialect) {
  detail::check_json_depth(value);  // write() recurses once per level
  std::string out;
  out.reserve(64);
  write(out, value, "value", dialect);
  return out;
}

namespace {

Json parse_checked(std::string_view text) {
  detail::check_json_limits(text);  // before any tree exists: see json_limits.hpp
  try {
    Json out;
    BigIntegerSax sax(out);
    Json::sax_parse(text.begin(), text.end(), &sax);
    return out;
  } catch (const Json::exception& e) {
    // parse_error, and out_of_range for numbers beyond a double (1e400).
    throw EncodingError(fmt::format("invalid JSON: {}", e.what()));
  }
}

// Long strings: nlohmann's lexer reads a string byte by byte (~10 ns a byte, 10 ms for a 1 MB
// argument). A string literal of at least kLongString bytes of printable ASCII without
// escapes means exactly its bytes, so it is cut out of the text, replaced by a placeholder
// ("\u0000" and its number: no text holding "\u0000" takes this path, so no real string looks
// like one), the rest parsed, and the bytes put back. Anything else (escapes, non-ASCII,
// control bytes, a long object key) is parsed as before.
constexpr std::size_t kLongString = 4096;

bool plain_ascii(std::string_view s) {
  return plain_run(s, 0) == s.size();
}

// Puts the cut strings back; false when a placeholder was not a string value (a key).
bool restore_long(Json& v, const std::vector<std::string_view>& cut, std::size_t& restored) {
  if (v.is_string()) {
    auto& s = v.get_ref<std::string&>();
    if (!s.empty() && s[0] == '\0') {
      std::size_t k = 0;
      for (std::size_t i = 1; i < s.size(); ++i) k = k * 10 + static_cast<std::size_t>(s[i] - '0');
      s.assign(cut[k].data(), cut[k].size());
      ++restored;
    }
  } else if (v.is_structured()) {
    for (auto& e : v)
      if (!restore_long(e, cut, restored)) return false;
  }
  return true;
}

std::optional<Json> decode_with_long_strings(std::string_view text) {
  if (text.size() < kLongString || text.find("\\u0000") != std::string_view::npos)
    return std::nullopt;
  std::vector<std::string_view> cut;
  std::string rest;
  std::size_t copied = 0;  // text[0, copied) is in `rest`
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t open = text.find('"', i);
    if (open == std::string_view::npos) break;
    // The string's end: the next quote, unless a backslash comes before it.
    std::size_t close = text.find('"', open + 1);
    if (close == std::string_view::npos) return std::nullopt;  // the parser's to reject
    const void* bs = std::memchr(text.data() + open + 1, '\\', close - open - 1);
    const bool escaped = bs != nullptr;
    if (escaped) {
      // Escapes: walk this string byte by byte from the first backslash.
      std::size_t j = static_cast<std::size_t>(static_cast<const char*>(bs) - text.data());
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      if (j >= text.size()) return std::nullopt;
      close = j;
    }
    const std::string_view body = text.substr(open + 1, close - open - 1);
    if (!escaped && body.size() >= kLongString && plain_ascii(body)) {
      rest.append(text.data() + copied, open + 1 - copied);
      rest += "\\u0000" + std::to_string(cut.size());
      cut.push_back(body);
      copied = close;
    }
    i = close + 1;
  }
  if (cut.empty()) return std::nullopt;
  rest.append(text.data() + copied, text.size() - copied);
  // The size limit is the whole text's; the depth is the same with or without the strings.
  if (text.size() > detail::kMaxJsonBytes) detail::check_json_limits(text);  // throws
  Json out = parse_checked(rest);
  std::size_t restored = 0;
  if (!restore_long(out, cut, restored) || restored != cut.size()) return std::nullopt;
  return out;
}

}  // namespace

Json decode_json(std::string_view text) {
  // JSON never holds a raw NUL (inside strings it must be escaped), but nlohmann's parser takes
  // one after a complete value as the end of input: "{...}\0junk" would decode as "{...}".
  if (const auto nul = text.find('\0'); nul != std::string_view::npos)
    throw EncodingError(fmt::format("invalid JSON: a NUL byte at offset {}", nul));
  if (auto fast = decode_with_long_strings(text)) return std::move(*fast);
  return parse_checked(text);
}

}  // namespace resque
