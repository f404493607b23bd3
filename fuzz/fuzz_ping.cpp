// Heartbeat values (workers:heartbeat) and node's worker:ping:<name>, as any writer left them.
#include <cstdint>
#include <string_view>

#include "protocol/worker.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)resque::protocol::decode_ping(text);
  (void)resque::protocol::decode_heartbeat(text);
  (void)resque::protocol::parse_worker_id(std::string(text));
  return 0;
}
