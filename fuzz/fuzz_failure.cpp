// Failure records: decoding any stored text, and encoding one around a payload of any bytes,
// which must always give valid JSON within the limits (a record nobody can read is a lost job).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "resque/error.hpp"
#include "resque/failure.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)resque::decode_failure(text);
  const std::string record = resque::encode_failure({"", text, "E", text, {text}, "w", "q"});
  try {
    const resque::Json r = resque::decode_json(record);
    if (!r.is_object() || !r.contains("payload")) std::abort();
  } catch (const resque::EncodingError&) {
    std::abort();
  }
  return 0;
}
