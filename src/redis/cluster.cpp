#include "redis/cluster.hpp"

#include <fmt/format.h>

#include <array>

#include "resque/error.hpp"

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

void check_cluster_options(const ConnectionOptions& o) {
  if (!o.cluster) return;
  if (!namespace_hash_tag(o.key_namespace))
    throw ConfigError(fmt::format(
        "key namespace '{}' has no hash tag, so it cannot be used on Redis Cluster ({}): the "
        "scripts and transactions touch several keys at once, and on a cluster they must all "
        "hash to one slot. Put the namespace in braces, e.g. ConnectionOptions::key_namespace = "
        "\"{{{}}}\" (and the same namespace in every Ruby or node peer)",
        o.key_namespace, o.describe(), o.key_namespace.empty() ? "resque" : o.key_namespace));
  if (o.db != 0)
    throw ConfigError(
        fmt::format("database {} on {}: a Redis Cluster has only database 0", o.db, o.describe()));
  if (!o.sentinels.empty() || !o.unix_socket.empty())
    throw ConfigError(fmt::format("{}: cluster cannot be combined with sentinels or a Unix socket",
                                  o.describe()));
}

}  // namespace resque::detail
