// decode_json on any bytes; what decodes re-encodes (JSON.stringify's dialect), and that text is
// a fixed point: decoding and encoding it again gives the same bytes. (Not the same value: the
// dialect moves array-index keys first and writes -0 as 0, as JavaScript does.)
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resque/error.hpp"
#include "resque/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  resque::Json v;
  try {
    v = resque::decode_json(text);
  } catch (const resque::EncodingError&) {
    return 0;
  }
  const std::string again = resque::encode_json(v);
  if (resque::encode_json(resque::decode_json(again)) != again) std::abort();
  return 0;
}
