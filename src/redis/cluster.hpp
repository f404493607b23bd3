#pragma once
// Redis Cluster helpers: the hash slot of a key and the hash tag of a key namespace. A
// namespace is usable on a cluster only when its tag puts every "<ns>:<name>" key in one slot.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resque::detail {

/// Number of hash slots of a Redis Cluster.
inline constexpr int kClusterSlots = 16384;

/// CRC16 (XMODEM) of `key`'s hash tag (or of the whole key when it has none) modulo 16384, as
/// Redis computes a key's slot.
int hash_slot(std::string_view key);

/// The hash tag that every "<ns>:<name>" key shares: the text between the namespace's first '{'
/// and the first '}' after it, when both are inside the namespace and the text is not empty.
/// Otherwise nullopt (the slot of a key would depend on its name).
std::optional<std::string> namespace_hash_tag(std::string_view key_namespace);

}  // namespace resque::detail
