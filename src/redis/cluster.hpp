#pragma once
// Redis Cluster helpers: the hash slot of a key and the hash tag of a key namespace. A
// namespace is usable on a cluster only when its tag puts every "<ns>:<name>" key in one slot.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "resque/options.hpp"

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

/// With options.cluster: throws ConfigError when the namespace has no hash tag (naming the
/// fix), when db is not 0, or when sentinels or a Unix socket are set too. Called where
/// options enter the library (Connection, ConnectionPool, Worker, Scheduler), so a bad setting
/// is refused at once rather than retried by a worker thread.
void check_cluster_options(const ConnectionOptions& options);

}  // namespace resque::detail
