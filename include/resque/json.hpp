#pragma once
/// @file json.hpp
/// The wire codec: how job payloads and other protocol values become bytes and back.
/// Writes one dialect (node-resque's JSON.stringify output), reads all (Ruby, node, cjson).

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace resque {

/// JSON value type used for job arguments. Ordered: object keys keep their insertion order,
/// as JavaScript and Ruby keep them, so re-encoding reproduces the peers' bytes.
using Json = nlohmann::ordered_json;

/// Encodes a value exactly as JavaScript's JSON.stringify does: compact, keys in insertion order
/// except that array-index keys ("0", "17", ...) come first in ascending order, as in any
/// JavaScript object (node-resque's byte-matching operations depend on this), UTF-8 raw, '/'
/// unescaped, integers exact (64-bit), doubles in JavaScript's shortest form (1.0 -> 1, 1e21 ->
/// 1e+21, 1.5e-7 -> 1.5e-7). Throws EncodingError for NaN, infinities and strings that are not
/// valid UTF-8, naming the offending path (e.g. "args[1]").
std::string encode_json(const Json& value);

/// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD, so any bytes can
/// go into a JSON string (failure records keep what they can of a broken payload).
std::string to_valid_utf8(std::string_view s);

/// Parses any valid JSON (Ruby floats such as 1.0e+20, cjson's "\/", ...). Throws EncodingError
/// with the parser's position on invalid input.
Json decode_json(std::string_view text);

/// Formats a double as JavaScript's Number.prototype.toString does.
std::string js_number(double value);

}  // namespace resque
