#include "redis/cluster.hpp"

#include <array>

namespace resque::detail {

namespace {
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
    t[i] = static_cast<std::uint16_t>(crc & 0xffff);
  }
  return t;
}
constexpr auto kCrc16 = make_crc16_table();

std::uint16_t crc16(std::string_view s) {
  unsigned crc = 0;
  for (unsigned char c : s) crc = ((crc << 8) ^ kCrc16[((crc >> 8) ^ c) & 0xff]) & 0xffff;
  return static_cast<std::uint16_t>(crc);
}
}  // namespace

int hash_slot(std::string_view key) {
  // Redis' rule (cluster.c keyHashSlot): hash only what is between the first '{' and the first
  // '}' after it, when that is not empty.
  const auto open = key.find('{');
  if (open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % kClusterSlots;
}

std::optional<std::string> namespace_hash_tag(std::string_view ns) {
  const auto open = ns.find('{');
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = ns.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return std::nullopt;
  return std::string(ns.substr(open + 1, close - open - 1));
}

}  // namespace resque::detail
