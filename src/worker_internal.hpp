#pragma once
// Shared by Worker and WorkerPool: option checks at construction.
#include "resque/options.hpp"
#include "resque/worker.hpp"

namespace resque::detail {

/// Throws ConfigError for invalid worker options (no queues, bad queue names, a host with ':',
/// intervals or reconnect backoff that are not positive).
void validate_worker_options(const ConnectionOptions& connection, const WorkerOptions& options);

}  // namespace resque::detail
