// worker:<id> status records (any library's, or garbage): the Scheduler's recovery reads them.
#include <cstdint>
#include <string_view>

#include "protocol/worker.hpp"
#include "resque/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto s = resque::protocol::decode_status(text)) {
    (void)s->klass();
    try {
      (void)resque::encode_json(s->payload);  // recovery re-encodes the payload it found
    } catch (const resque::EncodingError&) {
    }
  }
  // The status we write around a payload of any bytes.
  (void)resque::protocol::encode_status("q", text, "2026-01-01T00:00:00Z", "w", "tok");
  return 0;
}
