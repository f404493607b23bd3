#pragma once
/// @file failure.hpp
/// Failure records as the peers write them, for plugins and tools that record or read
/// failures: Ruby Resque's record in the `failed` list (resque-web, Ruby's Failure.requeue and
/// node's failed() all read it) and node-resque's Retry record. The names of the failure kinds
/// resque-cpp writes are constants here, so code that filters failures need not spell them.
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resque/json.hpp"

namespace resque {

/// The "exception" names resque-cpp writes into failure records.
namespace failure_kind {
/// The payload names a class no JobDefinition was registered for.
inline constexpr std::string_view kUnknownJobClass = "resque::UnknownJobClass";
/// The payload is not a JSON object with a string "class".
inline constexpr std::string_view kEncodingError = "resque::EncodingError";
/// resque-cpp workers died while performing the job too often (or it names no queue).
inline constexpr std::string_view kWorkerDied = "resque::WorkerDied";
/// Ruby's name for a job whose worker was force-cleaned (Queue::force_clean_worker).
inline constexpr std::string_view kDirtyExit = "Resque::DirtyExit";
/// Ruby's name for a job whose worker was pruned as dead (Ruby's and node's workers).
inline constexpr std::string_view kPruneDeadWorkerDirtyExit = "Resque::PruneDeadWorkerDirtyExit";
/// A delayed job that names no queue, so the scheduler cannot promote it.
inline constexpr std::string_view kNoQueue = "resque::NoQueueError";
}  // namespace failure_kind

/// Ruby Resque's failure record, fields in Ruby's order:
/// {"failed_at","payload","exception","error","backtrace","worker","queue"}.
struct FailureRecord {
  /// Ruby's failed_at ("2026/11/28 06:46:46 UTC"); empty means now.
  std::string failed_at;
  /// The job's stored bytes: embedded as the JSON they are, or as a JSON string when they are
  /// not valid JSON (invalid UTF-8 replaced), so the record is always valid JSON.
  std::string payload;
  std::string exception;
  std::string error;
  std::vector<std::string> backtrace;
  std::string worker;
  /// The queue; nullopt writes null (Ruby writes null when it does not know the queue).
  std::optional<std::string> queue;
};

/// Encodes `r`. Never throws on bad bytes: strings that are not UTF-8 are repaired, so
/// recording a failure cannot itself fail.
std::string encode_failure(const FailureRecord& r);

/// Decodes a stored failure entry tolerantly: a JSON value (Ruby's, node's or ours), or null
/// when the text is not JSON (the caller keeps the raw text).
Json decode_failure(std::string_view raw);

/// node-resque Retry's last-error record, as node writes it under failure-resque-retry:...:
/// {"failed_at","payload":args,"exception","error","backtrace":[],"worker":class,"queue"}.
/// `failed_at` empty means now (JavaScript's Date#toString format).
std::string encode_node_retry_failure(const std::string& klass, const std::string& queue,
                                      const Json& args, const std::string& shown_error,
                                      const std::string& failed_at = {});

/// The type (demangled) and message of an exception; for a non-std throw, the thrown type
/// ("int") and a fixed message ("unknown" when the type cannot be found).
struct ExceptionInfo {
  std::string type;
  std::string message;
};
ExceptionInfo describe_exception(const std::exception_ptr& e);

}  // namespace resque
