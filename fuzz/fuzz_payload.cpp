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
  // back as the same job: whole in node's dialect, which carries the queue; without the queue in
  // Ruby's, whose payload names none (the queue is the list it sits in).
  const std::string again = resque::encode_payload(job, resque::Dialect::node);
  if (!(resque::decode_payload(again) == job)) std::abort();
  resque::Job ruby = resque::decode_payload(resque::encode_payload(job, resque::Dialect::ruby));
  ruby.queue = job.queue;
  if (!(ruby == job)) std::abort();
  return 0;
}
