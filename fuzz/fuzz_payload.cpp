// Job payloads as any writer of the Redis may leave them: decode, and what decodes re-encodes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "resque/error.hpp"
#include "resque/job.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  resque::Job job;
  try {
    job = resque::decode_payload(text);
  } catch (const resque::EncodingError&) {
    return 0;
  }
  // A payload that decoded is re-encoded (the worker's locks, Retry and status do so) and reads
  // back as the same job.
  const std::string again = resque::encode_payload(job);
  if (!(resque::decode_payload(again) == job)) std::abort();
  return 0;
}
