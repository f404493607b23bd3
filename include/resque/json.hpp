#pragma once
/// @file json.hpp
/// The wire codec: how job payloads and other protocol values become bytes and back.
/// Writes either dialect (Ruby's JSON or node-resque's JSON.stringify), reads all (Ruby, node,
/// cjson). Integers beyond 64 bits (Ruby's bignums) are kept exactly, never made doubles.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "resque/options.hpp"  // Dialect

namespace resque {

/// JSON value type used for job arguments. Ordered: object keys keep their insertion order,
/// as JavaScript and Ruby keep them, so re-encoding reproduces the peers' bytes.
using Json = nlohmann::ordered_json;

/// Encodes a value compactly, UTF-8 raw, '/' unescaped, integers exact (64-bit, and big
/// integers as their digits), in one dialect:
/// - Dialect::node (the default here: node-resque's lock and key conventions are built on it),
///   exactly as JavaScript's JSON.stringify: keys in insertion order except that array-index
///   keys ("0", "17", ...) come first in ascending order, as in any JavaScript object, and
///   doubles in JavaScript's shortest form (1.0 -> 1, 1e21 -> 1e+21, 1.5e-7 -> 1.5e-7).
/// - Dialect::ruby, exactly as Ruby's JSON.generate: keys in insertion order, doubles as Ruby's
///   Float#to_s (1.0 -> 1.0, -0.0 -> -0.0, 1e20 -> 1.0e+20, 1e-5 -> 1.0e-05).
/// Throws EncodingError for NaN, infinities and strings that are not valid UTF-8, naming the
/// offending path (e.g. "args[1]").
std::string encode_json(const Json& value, Dialect dialect = Dialect::node);

/// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD, so any bytes can
/// go into a JSON string (failure records keep what they can of a broken payload).
std::string to_valid_utf8(std::string_view s);

/// Parses any valid JSON (Ruby floats such as 1.0e+20, cjson's "\/", ...). An integer literal
/// beyond 64 bits (18446744073709551616, -2**70) becomes a big integer (see is_big_integer),
/// never a double. Throws EncodingError with the parser's position on invalid input, and for
/// numbers beyond a double's range.
Json decode_json(std::string_view text);

/// Formats a double as JavaScript's Number.prototype.toString does.
std::string js_number(double value);
/// Formats a double as Ruby's Float#to_s (hence its JSON) does.
std::string ruby_number(double value);

/// Big integers: an integer that fits neither int64 nor uint64, as decode_json keeps it (a
/// nlohmann binary value of subtype kBigIntegerSubtype holding the decimal digits, so every
/// nlohmann accessor for numbers refuses it rather than rounding it). encode_json writes the
/// digits back unchanged; typed job arguments refuse it with ArgumentError.
constexpr std::uint64_t kBigIntegerSubtype = 0x62;  // 'b'
bool is_big_integer(const Json& value);
/// The digits of a big integer ("-1180591620717411303424"); empty for any other value.
std::string big_integer_text(const Json& value);
/// A big integer from its decimal text (an optional '-' then digits). Throws EncodingError for
/// other text. (Text that fits 64 bits is accepted too; it still encodes as the same digits.)
Json big_integer(std::string_view digits);

}  // namespace resque
